import { describe, expect, it } from "vitest";
import { excerpt } from "./excerpt";

describe("excerpt", () => {
  it("keeps code readable and drops the fence and its language tag", () => {
    expect(excerpt("```python\ndef reverse_list(head):\n    prev = None\n```")).toBe("def reverse_list(head): prev = None");
  });

  it("drops headings, list markers, quotes, emphasis and link syntax", () => {
    expect(excerpt("# Title\n\n- **bold** item\n> a quote with *stress* and [a link](http://x.example)")).toBe("Title bold item a quote with stress and a link");
  });

  it("shortens long text with an ellipsis and names an empty response", () => {
    expect(excerpt("word ".repeat(100), 20)).toBe("word word word word…");
    expect(excerpt("  \n ")).toBe("(empty response)");
  });
});
