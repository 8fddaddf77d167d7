import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { krippendorffAlpha } from "./krippendorff";

const _ = null;

/** Krippendorff (2011), section C: 4 observers (rows) × 12 units (columns), "." as null. */
const paperObservers = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
  [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
];
const paperUnits = paperObservers[0]!.map((_, u) => paperObservers.map((row) => row[u]));

describe("krippendorffAlpha", () => {
  describe("Krippendorff (2011) worked example with missing values", () => {
    it("drops unit 12, which has a single value, and counts n = 40 pairable values", () => {
      const result = krippendorffAlpha(paperUnits, "nominal");
      expect(result.units).toBe(11);
      expect(result.pairableValues).toBe(40);
    });

    it("gives nominal alpha 0.743", () => {
      expect(krippendorffAlpha(paperUnits, "nominal").alpha).toBeCloseTo(0.743, 3);
    });

    it("gives ordinal alpha 0.815", () => {
      expect(krippendorffAlpha(paperUnits, "ordinal").alpha).toBeCloseTo(0.815, 3);
    });

    it("gives interval alpha 0.849", () => {
      expect(krippendorffAlpha(paperUnits, "interval").alpha).toBeCloseTo(0.849, 3);
    });
  });

  it("gives 0.095 for Krippendorff's (2011) two observers, binary data example", () => {
    const a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0];
    const b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0];
    // o00 = 10, o11 = 2, o01 = o10 = 4; n0 = 14, n1 = 6, n = 20:
    // α = 1 − 19 · 8 / (20² − 14² − 6²) = 1 − 152/168 = 0.0952
    const result = krippendorffAlpha(a.map((v, u) => [v, b[u]]), "nominal");
    expect(result.alpha).toBeCloseTo(1 - 152 / 168, 12);
  });

  it("matches a hand-computed nominal case with string labels", () => {
    // Units [x,x], [x,y], [y,y]: o_xx = o_yy = 2, o_xy = o_yx = 1; n_x = n_y = 3, n = 6.
    // α = 1 − 5 · 2 / (6² − 3² − 3²) = 1 − 10/18 = 4/9
    const result = krippendorffAlpha(
      [
        ["x", "x"],
        ["x", "y"],
        ["y", "y"],
      ],
      "nominal",
    );
    expect(result).toEqual({ alpha: expect.closeTo(4 / 9, 12), pairableValues: 6, units: 3 });
  });

  it("matches a hand-computed interval and ordinal case", () => {
    // Units [1,1], [1,2], [3,3]: o_11 = 2, o_12 = o_21 = 1, o_33 = 2; n_1 = 3, n_2 = 1, n_3 = 2, n = 6.
    const units = [
      [1, 1],
      [1, 2],
      [3, 3],
    ];
    // Interval: Σ o δ² = 2 · 1 = 2; Σ n_c n_k δ² = 2 · (3·1·1 + 3·2·4 + 1·2·1) = 58; α = 1 − 5 · 2 / 58.
    expect(krippendorffAlpha(units, "interval").alpha).toBeCloseTo(1 - 10 / 58, 12);
    // Ordinal: δ²_12 = (3 + 1 − 2)² = 4, δ²_13 = (6 − 2.5)² = 12.25, δ²_23 = (3 − 1.5)² = 2.25;
    // Σ o δ² = 2 · 4 = 8; Σ n_c n_k δ² = 2 · (3·1·4 + 3·2·12.25 + 1·2·2.25) = 180; α = 1 − 5 · 8 / 180.
    expect(krippendorffAlpha(units, "ordinal").alpha).toBeCloseTo(1 - 40 / 180, 12);
  });

  it("gives 1 for perfect agreement at every level", () => {
    const units = [
      [1, 1, 1],
      [2, 2, _],
      [3, 3, 3],
      [5, _, 5],
    ];
    for (const level of ["nominal", "ordinal", "interval"] as const) {
      expect(krippendorffAlpha(units, level).alpha).toBe(1);
    }
  });

  it("is undefined when every value is the same", () => {
    expect(krippendorffAlpha([[2, 2], [2, 2, 2]], "interval")).toEqual({ alpha: null, pairableValues: 5, units: 2 });
  });

  it("is undefined when no unit has two values", () => {
    expect(krippendorffAlpha([[1, _], [_, 2], []], "nominal")).toEqual({ alpha: null, pairableValues: 0, units: 0 });
  });

  it("treats null and undefined alike and ignores which coder gave a value", () => {
    const withNulls = krippendorffAlpha([[1, null, 2], [undefined, 3, 3], [2, 1, undefined]], "ordinal");
    const compact = krippendorffAlpha([[2, 1], [3, 3], [1, 2]], "ordinal");
    expect(withNulls).toEqual(compact);
  });

  it("is negative when coders disagree systematically", () => {
    expect(krippendorffAlpha([[1, 2], [2, 1], [1, 2], [2, 1]], "nominal").alpha).toBeLessThan(0);
  });

  it("does not depend on the spacing of ordinal values, only their order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.option(fc.integer({ min: 0, max: 4 }), { nil: null }), { minLength: 2, maxLength: 4 }), {
          minLength: 1,
          maxLength: 12,
        }),
        (units) => {
          const stretched = units.map((unit) => unit.map((v) => (v === null ? null : v ** 3 + 10)));
          const a = krippendorffAlpha(units, "ordinal").alpha;
          const b = krippendorffAlpha(stretched, "ordinal").alpha;
          if (a === null) expect(b).toBeNull();
          else expect(b).toBeCloseTo(a, 9);
        },
      ),
    );
  });

  it("rejects non-finite numbers and non-numeric ordinal data", () => {
    expect(() => krippendorffAlpha([[1, Number.NaN]], "interval")).toThrow(/finite/);
    // @ts-expect-error ordinal data must be numbers
    expect(() => krippendorffAlpha([["a", "b"]], "ordinal")).toThrow(/must be numbers/);
  });
});
