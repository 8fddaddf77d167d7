import type { ModelKind } from "../generated/prisma/enums";

export type BuiltinModel = { id: string; name: string; kind: ModelKind; path: string; description: string };

// Fixed ids, so every database (and every worker) names the same built-in model the same way.
// Their folders are under MODELS_DIR on each machine (`make models`).
export const minilmEncoder = {
  id: "00000000-0000-4000-8000-000000000001",
  name: "minilm-l6-v2",
  kind: "base",
  path: "minilm-l6-v2",
  description: "all-MiniLM-L6-v2 (BERT encoder, 22M parameters): the default reward and safety backbone",
} as const satisfies BuiltinModel;

export const smollmPolicy = {
  id: "00000000-0000-4000-8000-000000000002",
  name: "smollm2-135m-instruct",
  kind: "policy",
  path: "smollm2-135m-instruct",
  description: "SmolLM2-135M-Instruct (Llama architecture, 135M): the default policy",
} as const satisfies BuiltinModel;

export const builtinModels: readonly BuiltinModel[] = [minilmEncoder, smollmPolicy];
