"use client";

import { useState } from "react";
import { defaultHarmTaxonomy } from "../../../server/annotation/submission";
import { maxResponsesPerTask } from "../../../server/annotation/submission.schema";
import type { TCreateProjectInput } from "../../../server/projects/project.schema";

export type ProjectSettingsValues = {
  name: string;
  description: string;
  guidelines: string;
  k: number;
  mode: "rank" | "pairwise";
  tiesAllowed: boolean;
  defaultStrength: string | null;
  overlap: number;
  goldRate: number;
  goldThreshold: number;
  leaseMinutes: number;
  harmTaxonomy: string[];
};

/** The database defaults (prisma/schema.prisma), so a new project starts where the server would. */
export const newProjectDefaults: ProjectSettingsValues = {
  name: "",
  description: "",
  guidelines: "",
  k: 4,
  mode: "rank",
  tiesAllowed: true,
  defaultStrength: null,
  overlap: 1,
  goldRate: 0,
  goldThreshold: 0.7,
  leaseMinutes: 15,
  harmTaxonomy: [...defaultHarmTaxonomy],
};

type Settings = Omit<TCreateProjectInput, "rewardTable">;

const numberOrUndefined = (v: FormDataEntryValue | null) => (v === null || String(v).trim() === "" ? undefined : Number(v));

/**
 * What the form says, in the server's input shape. Checks are the server's job (its messages are
 * shown as they come), so this only converts; disabled fields are left out and keep their value.
 */
export function readProjectSettings(form: FormData): Settings {
  const taxonomy = form.get("harmTaxonomy");
  return {
    name: String(form.get("name") ?? ""),
    description: String(form.get("description") ?? ""),
    guidelines: String(form.get("guidelines") ?? ""),
    k: numberOrUndefined(form.get("k")),
    mode: (form.get("mode") ?? undefined) as Settings["mode"],
    tiesAllowed: form.get("tiesAllowed") === "on",
    defaultStrength: form.get("defaultStrength") === null ? undefined : ((String(form.get("defaultStrength")) || null) as Settings["defaultStrength"]),
    overlap: numberOrUndefined(form.get("overlap")),
    goldRate: numberOrUndefined(form.get("goldRate")),
    goldThreshold: numberOrUndefined(form.get("goldThreshold")),
    leaseMinutes: numberOrUndefined(form.get("leaseMinutes")),
    harmTaxonomy:
      taxonomy === null
        ? undefined
        : String(taxonomy)
            .split(/[\n,]/)
            .map((c) => c.trim())
            .filter(Boolean),
  };
}

/** Field errors of the form on screen, by field name, from the browser's check or the server's. */
export type FieldErrors = Record<string, string>;

function Field({ id, label, hint, children, wide = false, error }: { id: string; label: string; hint?: string; children: React.ReactNode; wide?: boolean; error?: string }) {
  return (
    <div className={`space-y-1 text-sm ${wide ? "sm:col-span-2 lg:col-span-4" : ""}`}>
      <label htmlFor={id} className="block font-medium">
        {label}
      </label>
      {children}
      {error && (
        <p className="text-xs font-medium text-red-700" data-testid={`${id}-error`}>
          {error}
        </p>
      )}
      {hint && <p className="text-xs text-slate-500">{hint}</p>}
    </div>
  );
}

const ranges: Record<string, { min: number; max: number; what: string; whole?: boolean }> = {
  k: { min: 2, max: maxResponsesPerTask, what: "K", whole: true },
  overlap: { min: 1, max: 50, what: "The overlap", whole: true },
  goldRate: { min: 0, max: 1, what: "The gold rate" },
  goldThreshold: { min: 0, max: 1, what: "The gold threshold" },
  leaseMinutes: { min: 1, max: 24 * 60, what: "The lease", whole: true },
};

/** The simple rules, checked in the browser before the round trip; the server checks them all again. */
export function checkProjectSettings(settings: Settings): FieldErrors {
  const errors: FieldErrors = {};
  if (!settings.name?.trim()) errors.name = "Give the project a name.";
  for (const [field, r] of Object.entries(ranges)) {
    const v = settings[field as keyof Settings] as number | undefined;
    if (v === undefined) continue;
    if (!Number.isFinite(v)) errors[field] = `${r.what} must be a number.`;
    else if (v < r.min || v > r.max || (r.whole && !Number.isInteger(v))) errors[field] = `${r.what} must be ${r.whole ? "a whole number " : ""}between ${r.min} and ${r.max}.`;
  }
  if (settings.harmTaxonomy && settings.harmTaxonomy.length === 0) errors.harmTaxonomy = "List at least one harm category.";
  return errors;
}

/** The server's field errors with the input's nesting ("changes.") taken off the names. */
export function serverFieldErrors(data: unknown): FieldErrors {
  const raw = (data as { fieldErrors?: Record<string, string> | null } | undefined)?.fieldErrors ?? {};
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k.replace(/^changes\./, "").split(".")[0]!, v]));
}

const input = "w-full rounded border border-slate-300 px-2 py-1 disabled:bg-slate-100 disabled:text-slate-500";

/**
 * The settings a project is made of, shared by the "new project" and the project settings forms.
 * `idPrefix` keeps the ids unique when both could be on one page; `shapeLocked` disables K and the
 * mode once tasks exist (they shape the imported tasks).
 */
export function ProjectSettingsFields({
  idPrefix,
  initial,
  shapeLocked = false,
  disabled = false,
  errors = {},
}: {
  idPrefix: string;
  initial: ProjectSettingsValues;
  shapeLocked?: boolean;
  disabled?: boolean;
  errors?: FieldErrors;
}) {
  const [mode, setMode] = useState(initial.mode);
  const id = (name: string) => `${idPrefix}-${name}`;
  return (
    <fieldset disabled={disabled} className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
      <Field error={errors.name} id={id("name")} label="Name" wide>
        <input id={id("name")} name="name" defaultValue={initial.name} maxLength={200} className={input} />
      </Field>
      <Field error={errors.description} id={id("description")} label="Description" wide>
        <input id={id("description")} name="description" defaultValue={initial.description} className={input} />
      </Field>
      <Field error={errors.guidelines} id={id("guidelines")} label="Guidelines (markdown)" hint="Annotators read these beside every task. Editing them bumps the guidelines version." wide>
        <textarea id={id("guidelines")} name="guidelines" defaultValue={initial.guidelines} rows={6} className={`${input} font-mono`} />
      </Field>
      <Field error={errors.mode} id={id("mode")} label="Mode" hint={shapeLocked ? "Fixed once the project has tasks." : undefined}>
        <select
          id={id("mode")}
          name="mode"
          value={mode}
          onChange={(e) => setMode(e.target.value as ProjectSettingsValues["mode"])}
          disabled={shapeLocked}
          className={input}
        >
          <option value="rank">Rank K responses</option>
          <option value="pairwise">Pairwise (A vs B)</option>
        </select>
      </Field>
      <Field
        error={errors.k}
        id={id("k")}
        label="K (responses per task)"
        hint={mode === "pairwise" ? "Pairwise tasks always show 2." : shapeLocked ? "Fixed once the project has tasks." : undefined}
      >
        {mode === "pairwise" ? (
          <input id={id("k")} value={2} disabled readOnly className={input} />
        ) : (
          <input id={id("k")} name="k" type="number" defaultValue={initial.k} disabled={shapeLocked} className={input} />
        )}
      </Field>
      <Field error={errors.overlap} id={id("overlap")} label="Overlap (annotators per task)">
        <input id={id("overlap")} name="overlap" type="number" defaultValue={initial.overlap} className={input} />
      </Field>
      <div className="flex items-end pb-1.5 text-sm">
        <label className="flex items-center gap-2">
          <input type="checkbox" name="tiesAllowed" defaultChecked={initial.tiesAllowed} className="accent-indigo-600" /> Ties allowed
        </label>
      </div>
      <Field error={errors.defaultStrength} id={id("defaultStrength")} label="Preference strength" hint="Teams that do not collect strengths give every rank boundary one.">
        <select id={id("defaultStrength")} name="defaultStrength" defaultValue={initial.defaultStrength ?? ""} className={input}>
          <option value="">annotators choose each</option>
          {(["negligible", "slight", "clear", "strong"] as const).map((s) => (
            <option key={s} value={s}>
              always {s} unless chosen
            </option>
          ))}
        </select>
      </Field>
      <Field error={errors.goldRate} id={id("goldRate")} label="Gold rate (0–1)" hint="Share of tasks served from the gold pool.">
        <input id={id("goldRate")} name="goldRate" type="number" step="0.01" defaultValue={initial.goldRate} className={input} />
      </Field>
      <Field error={errors.goldThreshold} id={id("goldThreshold")} label="Gold threshold (0–1)" hint="Annotators below this gold accuracy are flagged.">
        <input id={id("goldThreshold")} name="goldThreshold" type="number" step="0.01" defaultValue={initial.goldThreshold} className={input} />
      </Field>
      <Field error={errors.leaseMinutes} id={id("leaseMinutes")} label="Lease (minutes)" hint="How long a task stays reserved for one annotator.">
        <input id={id("leaseMinutes")} name="leaseMinutes" type="number" defaultValue={initial.leaseMinutes} className={input} />
      </Field>
      <div className="hidden lg:block" />
      <Field error={errors.harmTaxonomy} id={id("harmTaxonomy")} label="Harm taxonomy" hint="One category per line, or separated by commas." wide>
        <textarea id={id("harmTaxonomy")} name="harmTaxonomy" defaultValue={initial.harmTaxonomy.join("\n")} rows={4} className={`${input} font-mono`} />
      </Field>
    </fieldset>
  );
}
