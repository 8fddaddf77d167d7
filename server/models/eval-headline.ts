/** A model's eval as a few headline numbers for a table: accuracy, reward, KL and refusal rates first. */
export type EvalHeadline = { name: string; value: number };

const preferred = [/accuracy/, /reward/, /kl/, /refus/, /loss/];

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * The top-level numbers of a model's eval; a run without a held-out eval (PPO without held-out
 * prompts) has only its training numbers, and then its last training step's stand in: the run
 * summary's for a final model, `last_train` for a checkpoint.
 */
export function evalHeadline(evalJson: unknown, max = 3): EvalHeadline[] {
  if (!isObject(evalJson)) return [];
  const own = headlineOf(evalJson, max);
  if (own.length > 0) return own;
  const summary = evalJson.summary;
  const lastTrain = isObject(summary) && isObject(summary.last_train) ? summary.last_train : evalJson.last_train;
  return isObject(lastTrain) ? headlineOf(lastTrain, max) : [];
}

function headlineOf(evalJson: Record<string, unknown>, max: number): EvalHeadline[] {
  const numbers = Object.entries(evalJson).filter(
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
