// SPDX-License-Identifier: Apache-2.0
/**
 * Chaos experiment files: a topology, steps anchored to beacon rounds (or seconds), and the
 * expectations a run is judged by. Validation errors name the field and say what to fix.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { z } from "zod";
import { API_VERSION, CHAOS_KIND, checkSteps, ExperimentRunFields, type ExperimentRun } from "../api/index.js";


export const ExperimentSchema = z.object({
  apiVersion: z.literal(API_VERSION, `must be ${API_VERSION}`),
  kind: z.literal(CHAOS_KIND, `must be ${CHAOS_KIND}`),
  metadata: z.object({ name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label") }),
  spec: z
    .object({
      /** Topology files relative to the experiment file, or inline Subnet/DataCenter objects. */
      topology: z.union([z.object({ files: z.array(z.string()).min(1) }).strict(), z.object({ inline: z.array(z.record(z.string(), z.unknown())).min(1) }).strict()]),
      ...ExperimentRunFields,
    })
    .strict()
    .superRefine(checkSteps),
});
export type Experiment = z.infer<typeof ExperimentSchema>;

/** What the engine and the verdicts need of an experiment: its name and its run (a file's or a ChaosExperiment's). */
export interface RunnableExperiment {
  readonly metadata: { readonly name: string };
  readonly spec: ExperimentRun;
}

export class ExperimentError extends Error {
  override readonly name = "ExperimentError";
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
}

/** Validates a parsed experiment document. */
export function parseExperiment(value: unknown, where: string): Experiment {
  const r = ExperimentSchema.safeParse(value);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : "";
  throw new ExperimentError(`${where}: ${first ? `${formatPath(first.path) || "(document)"}: ${first.message}` : "invalid"}${more}`);
}

function kindOf(value: unknown): string | undefined {
  const kind = typeof value === "object" && value !== null ? (value as { kind?: unknown }).kind : undefined;
  return typeof kind === "string" ? kind : undefined;
}

/** Reads an experiment file; topology file paths are resolved relative to it. */
export function loadExperiment(file: string): { experiment: Experiment; topologyFiles: string[] | undefined } {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new ExperimentError(`cannot read experiment file ${file}`);
  }
  const docs = parseAllDocuments(text);
  const broken = docs.flatMap((d) => d.errors)[0];
  if (broken !== undefined) throw new ExperimentError(`${file}: not valid YAML (${broken.message.split("\n")[0] ?? ""})`);
  const values: unknown[] = docs.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined);
  const kinds = values.map(kindOf);
  if (values.length !== 1 || kinds[0] !== CHAOS_KIND) {
    const holds = values.length === 0 ? "nothing" : kinds.map((k) => k ?? "a document without a kind").join(", ");
    const hint = kinds.includes("Subnet") ? "; a topology runs with 'relaylab up -f FILE'" : "";
    throw new ExperimentError(`${file} is not a chaos experiment: it holds ${holds}; 'relaylab chaos run' takes one document of kind ${CHAOS_KIND}${hint}`);
  }
  const experiment = parseExperiment(values[0], file);
  const topo = experiment.spec.topology;
  return { experiment, topologyFiles: "files" in topo ? topo.files.map((f) => resolve(dirname(file), f)) : undefined };
}

/** Evaluates a member count for a group of size g with threshold t. */
export function evalMemberCount(expr: number | string, g: number, t: number): number {
  if (typeof expr === "number") return expr;
  const tokens = expr.replace(/\s+/g, "").match(/[+-]?[gt0-9]+/g) ?? [];
  return tokens.reduce((acc, tok) => {
    const sign = tok.startsWith("-") ? -1 : 1;
    const body = tok.replace(/^[+-]/, "");
    const v = body === "g" ? g : body === "t" ? t : Number(body);
    return acc + sign * v;
  }, 0);
}
