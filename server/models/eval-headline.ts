/** A model's eval as a few headline numbers for a table: accuracy, reward, KL and refusal rates first. */
export type EvalHeadline = { name: string; value: number };

const preferred = [/accuracy/, /reward/, /kl/, /refus/, /loss/];

export function evalHeadline(evalJson: unknown, max = 3): EvalHeadline[] {
  if (evalJson === null || typeof evalJson !== "object" || Array.isArray(evalJson)) return [];
  const numbers = Object.entries(evalJson as Record<string, unknown>).filter(
    (e): e is [string, number] => typeof e[1] === "number" && Number.isFinite(e[1]) && e[0] !== "step",
  );
  const rank = (name: string) => {
    const i = preferred.findIndex((re) => re.test(name.toLowerCase()));
    return i === -1 ? preferred.length : i;
  };
  return numbers
    .map(([name, value]) => ({ name, value }))
    .sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name))
    .slice(0, max);
}
