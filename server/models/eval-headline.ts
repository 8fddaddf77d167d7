import { wilson } from "../evaluation/results";

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

/** Held-out pairs below this are too few for a pair accuracy to say much (±14 points at 50 pairs). */
export const fewPairs = 50;

function pairCount(evalJson: Record<string, unknown>): number | null {
  const summary = isObject(evalJson.summary) ? evalJson.summary : {};
  for (const v of [evalJson.pairs, evalJson.eval_pairs, summary.eval_pairs]) if (typeof v === "number" && Number.isFinite(v)) return v;
  return null;
}

const percent = (x: number) => `${Math.round(x * 100)} %`;

/**
 * What a reader of a reward model's held-out accuracy must know, in words: that the held-out set is
 * too small to mean much, and that the accuracy is not distinguishable from a coin flip.
 */
export function evalCaveats(evalJson: unknown): string[] {
  if (!isObject(evalJson) || typeof evalJson.accuracy !== "number") return [];
  const pairs = pairCount(evalJson);
  if (pairs === null) return [];
  if (pairs === 0) return ["No held-out pairs: the accuracy measures nothing."];
  const caveats: string[] = [];
  if (pairs < fewPairs) caveats.push(`Only ${pairs} held-out pair${pairs === 1 ? "" : "s"}: too few for the accuracy to mean much; label more before trusting it.`);
  const [lo, hi] = wilson(evalJson.accuracy * pairs, pairs);
  if (lo <= 0.5 && hi >= 0.5) caveats.push(`At chance: ${percent(evalJson.accuracy)} on ${pairs} pairs is within its 95 % interval (${percent(lo)}–${percent(hi)}) of a coin flip's 50 %.`);
  return caveats;
}
