/**
 * Kendall's tau-b between two rankings of the same items (Kendall 1945, "The treatment of ties in
 * ranking problems"; the variant scipy.stats.kendalltau computes by default):
 *
 *   τ_b = (n_c − n_d) / √((n_0 − n_1)(n_0 − n_2))
 *
 * n_c / n_d: concordant / discordant item pairs; n_0 = n(n − 1)/2; n_1 = Σ t_i(t_i − 1)/2 over
 * groups of ties in `a`, n_2 the same for `b`. A pair tied in either ranking counts as neither.
 * Null when undefined: fewer than two items, or a ranking that ties every item.
 *
 * a[i] and b[i] are the ranks of item i; equal rank numbers are ties. Only the order matters,
 * so any numbers that sort the items work. O(n²), fine for the few responses a task holds.
 */
export function kendallTau(a: readonly number[], b: readonly number[]): number | null {
  if (a.length !== b.length) {
    throw new Error(`kendallTau: rankings have different lengths (${a.length} and ${b.length})`);
  }
  for (const x of [...a, ...b]) {
    if (!Number.isFinite(x)) throw new Error(`kendallTau: rank ${x} is not a finite number`);
  }

  let concordant = 0;
  let discordant = 0;
  let tiedA = 0;
  let tiedB = 0;
  const n = a.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const da = Math.sign(a[i]! - a[j]!);
      const db = Math.sign(b[i]! - b[j]!);
      if (da === 0) tiedA += 1;
      if (db === 0) tiedB += 1;
      if (da * db > 0) concordant += 1;
      else if (da * db < 0) discordant += 1;
    }
  }
  const pairs = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((pairs - tiedA) * (pairs - tiedB));
  return denominator === 0 ? null : (concordant - discordant) / denominator;
}
