/**
 * Krippendorff's alpha by the coincidence-matrix method of Krippendorff (2011), "Computing
 * Krippendorff's Alpha-Reliability", https://repository.upenn.edu/asc_papers/43:
 *
 *   o_ck = Σ_u (number of ordered c–k value pairs in unit u) / (m_u − 1)
 *   n_c  = Σ_k o_ck,  n = Σ_c n_c  (pairable values)
 *   α    = 1 − (n − 1) · Σ_c Σ_k o_ck δ²_ck / Σ_c Σ_k n_c n_k δ²_ck
 *
 * with δ²_ck = [c ≠ k] (nominal), (c − k)² (interval), and for ordinal
 * (Σ_{g=c..k} n_g − (n_c + n_k) / 2)², which depends on the order and the marginal frequencies of
 * the values, not on their spacing.
 */

export type MeasurementLevel = "nominal" | "ordinal" | "interval";

/** One unit's values, one per coder; null or undefined where the coder gave none. */
export type Unit<T> = ReadonlyArray<T | null | undefined>;

export type AlphaResult = {
  /** null when undefined: no pairable values, or every pairable value is the same. */
  alpha: number | null;
  /** n: values in units with at least two values. */
  pairableValues: number;
  /** Units with at least two values; the rest cannot be paired and are dropped. */
  units: number;
};

export type Value = string | number;

export function krippendorffAlpha(units: ReadonlyArray<Unit<number>>, level: MeasurementLevel): AlphaResult;
export function krippendorffAlpha(units: ReadonlyArray<Unit<string | number>>, level: "nominal"): AlphaResult;
export function krippendorffAlpha(units: ReadonlyArray<Unit<Value>>, level: MeasurementLevel): AlphaResult {
  return alphaOfCoincidences(coincidenceMatrix(units, level), level);
}

/** The coincidence matrix o_ck, its marginals n_c and the number of pairable units. Sums over
 *  units, so several sets of units (a project's tasks) can be summed before computing alpha. */
export type Coincidences = {
  coincidences: Map<Value, Map<Value, number>>;
  marginals: Map<Value, number>;
  pairableUnits: number;
};

export function alphaOfCoincidences({ coincidences, marginals, pairableUnits }: Coincidences, level: MeasurementLevel): AlphaResult {
  let n = 0;
  for (const count of marginals.values()) n += count;

  const delta = distance(level, marginals);
  let observed = 0;
  for (const [c, row] of coincidences) {
    for (const [k, o] of row) observed += o * delta(c, k);
  }
  let expected = 0;
  for (const [c, nc] of marginals) {
    for (const [k, nk] of marginals) expected += nc * nk * delta(c, k);
  }

  const alpha = expected === 0 ? null : 1 - ((n - 1) * observed) / expected;
  return { alpha, pairableValues: n, units: pairableUnits };
}

/** Calls `visit` with the value counts of every unit that has at least two values, and m_u. */
export function forEachPairableUnit(
  units: ReadonlyArray<Unit<Value>>,
  level: MeasurementLevel,
  visit: (counts: ReadonlyMap<Value, number>, m: number) => void,
): void {
  for (const unit of units) {
    const counts = new Map<Value, number>();
    let m = 0;
    for (const value of unit) {
      if (value === null || value === undefined) continue;
      checkValue(value, level);
      counts.set(value, (counts.get(value) ?? 0) + 1);
      m += 1;
    }
    if (m >= 2) visit(counts, m);
  }
}

/** Ordered c–k value pairs within one unit: nc · nk, and nc · (nc − 1) on the diagonal (a value
 *  is never paired with itself). */
export function pairsInUnit(counts: ReadonlyMap<Value, number>, c: Value, k: Value): number {
  const nc = counts.get(c) ?? 0;
  return c === k ? nc * (nc - 1) : nc * (counts.get(k) ?? 0);
}

function coincidenceMatrix(units: ReadonlyArray<Unit<Value>>, level: MeasurementLevel): Coincidences {
  const coincidences = new Map<Value, Map<Value, number>>();
  const marginals = new Map<Value, number>();
  let pairableUnits = 0;

  forEachPairableUnit(units, level, (counts, m) => {
    pairableUnits += 1;
    for (const [c, nc] of counts) {
      marginals.set(c, (marginals.get(c) ?? 0) + nc);
      const row = coincidences.get(c) ?? new Map<Value, number>();
      coincidences.set(c, row);
      for (const k of counts.keys()) {
        const pairs = pairsInUnit(counts, c, k);
        if (pairs > 0) row.set(k, (row.get(k) ?? 0) + pairs / (m - 1));
      }
    }
  });
  return { coincidences, marginals, pairableUnits };
}

function checkValue(value: Value, level: MeasurementLevel): void {
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new Error(`krippendorffAlpha: ${value} is not a finite value (use null for a missing one)`);
  }
  if (level !== "nominal" && typeof value !== "number") {
    throw new Error(`krippendorffAlpha: ${level} data must be numbers, got ${JSON.stringify(value)}`);
  }
}

function distance(level: MeasurementLevel, marginals: ReadonlyMap<Value, number>): (c: Value, k: Value) => number {
  switch (level) {
    case "nominal":
      return (c, k) => (c === k ? 0 : 1);
    case "interval":
      return (c, k) => ((c as number) - (k as number)) ** 2;
    case "ordinal": {
      // Cumulative frequency below each value turns Σ_{g=c..k} n_g into one subtraction.
      const sorted = [...marginals.keys()].sort((a, b) => (a as number) - (b as number));
      const below = new Map<Value, number>();
      let running = 0;
      for (const v of sorted) {
        below.set(v, running);
        running += marginals.get(v) ?? 0;
      }
      return (c, k) => {
        if (c === k) return 0;
        const [lo, hi] = (c as number) < (k as number) ? [c, k] : [k, c];
        const between = (below.get(hi) ?? 0) + (marginals.get(hi) ?? 0) - (below.get(lo) ?? 0);
        return (between - ((marginals.get(c) ?? 0) + (marginals.get(k) ?? 0)) / 2) ** 2;
      };
    }
  }
}
