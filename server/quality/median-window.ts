// A median read from an index in order: of n sorted values, skip the ones below the middle and
// average the middle one (n odd) or two (n even).

/** How many of n sorted values to skip, and how many to take, to reach the middle. */
export function medianWindow(n: number): { skip: number; take: number } {
  return { skip: Math.floor((n - 1) / 2), take: n % 2 ? 1 : 2 };
}

/** The median from the values `medianWindow` took; null when there were none. */
export function medianOfMiddle(middle: readonly number[]): number | null {
  return middle.length ? middle.reduce((a, b) => a + b, 0) / middle.length : null;
}
