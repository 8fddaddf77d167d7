import { describe, expect, it } from "vitest";
import { splitSqlStatements } from "./migrate";

describe("splitSqlStatements", () => {
  it("splits at top-level semicolons and drops empty statements", () => {
    expect(splitSqlStatements("CREATE TABLE a (x int);\n\nCREATE INDEX i ON a (x);\n")).toEqual(["CREATE TABLE a (x int)", "CREATE INDEX i ON a (x)"]);
  });

  it("keeps a function body, quoted semicolons and comments inside one statement", () => {
    const fn = "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  PERFORM 1;\n  RETURN NULL;\nEND\n$$";
    const tagged = "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$";
    const script = `${fn};\n${tagged};\nINSERT INTO a VALUES (';'), ('it''s');\n-- a comment; with a semicolon\nSELECT "a;b" /* c; d */ FROM a`;
    expect(splitSqlStatements(script)).toEqual([fn, tagged, "INSERT INTO a VALUES (';'), ('it''s')", '-- a comment; with a semicolon\nSELECT "a;b" /* c; d */ FROM a']);
  });
});
