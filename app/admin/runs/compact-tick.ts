/**
 * An axis label that fits the axis: three significant digits, and exponent notation for the very
 * small or large numbers a learning rate or a loss spike brings (0.00003 → "3e-5"), so a chart such
 * as train/lr never clips its labels.
 */
export function compactTick(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const magnitude = Math.abs(v);
  if (magnitude < 1e-3 || magnitude >= 1e5) return v.toExponential(magnitude.toExponential(2).includes(".00e") ? 0 : 1).replace("e+", "e");
  return Number(v.toPrecision(3)).toString();
}
