// Option kinds whose shape the platform spells itself; the generated option schemas
// (trainer-options.generated.ts) refer to them by name (trainer/ts_options.py, KINDS).
import { z } from "zod";

/** {policy: {rubric: value}}: the safety reward table (the trainer checks its cells). */
export const ZRewardTable = z.record(z.string(), z.record(z.string(), z.number()));
