// SPDX-License-Identifier: Apache-2.0
/**
 * Chaos experiment files: a topology, steps anchored to beacon rounds (or seconds), and the
 * expectations a run is judged by. Validation errors name the field and say what to fix.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { z } from "zod";
import { API_VERSION, BYZANTINE_BEHAVIOURS } from "../api/index.js";

export const CHAOS_KIND = "ChaosExperiment";

/** A member count: a whole number or an expression in g (group size) and t (threshold), e.g. "g-t+1". */
const MemberCount = z.union([
  z.number().int().min(1, "must be at least 1"),
  z.string().regex(/^\s*[gt0-9]+(\s*[-+]\s*[gt0-9]+)*\s*$/, "must be a whole number or an expression of g and t such as 't-1' or 'g-t+1'"),
]);

export const TargetSchema = z
  .object({
    /** Explicit node indices. */
    nodes: z.array(z.number().int().min(0)).min(1).optional(),
    /** Every node in a data center. */
    dataCenter: z.string().optional(),
    /** Members of registered group N (of the current epoch). */
    group: z.number().int().min(0).optional(),
    /** Members of the group that signs round R. */
    groupOfRound: z.number().int().min(1).optional(),
    /** Members of the group that signs the round after the step fires. */
    activeGroup: z.literal(true).optional(),
    /** How many members of the chosen group (default all). */
    members: MemberCount.optional(),
    /** One node per data center (the lowest index of each). */
    perDataCenter: z.literal(1).optional(),
    /** N nodes drawn with the experiment's seed. */
    random: z.number().int().min(1).optional(),
    /** The victims of an earlier step, by its name (e.g. to restart what was crashed). */
    step: z.string().optional(),
  })
  .strict()
  .refine((t) => ["nodes", "dataCenter", "group", "groupOfRound", "activeGroup", "perDataCenter", "random", "step"].filter((k) => k in t).length === 1, {
    message: "name exactly one of nodes, dataCenter, group, groupOfRound, activeGroup, perDataCenter, random, step",
  })
  .refine((t) => t.members === undefined || t.group !== undefined || t.groupOfRound !== undefined || t.activeGroup !== undefined, {
    message: "members applies only to group, groupOfRound or activeGroup",
  });
export type Target = z.infer<typeof TargetSchema>;

const When = z
  .object({ round: z.number().int().min(1).optional(), seconds: z.number().min(0).optional() })
  .strict()
  .refine((w) => (w.round === undefined) !== (w.seconds === undefined), { message: "give exactly one of round or seconds" });

export const ACTIONS = ["partition", "delay", "loss", "bandwidth", "crash", "restart", "pause", "byzantine", "heal"] as const;
export type Action = (typeof ACTIONS)[number];

export const StepSchema = z
  .object({
    name: z.string().min(1),
    at: When,
    action: z.enum(ACTIONS),
    target: TargetSchema,
    /** Undo the step after this long: heal a network fault, end byzantine behaviour, restart crashed nodes. */
    for: When.optional(),
    delayMs: z.number().int().min(0).optional(),
    jitterMs: z.number().int().min(0).optional(),
    loss: z.number().min(0).max(1, "must be a probability between 0 and 1").optional(),
    bandwidthBps: z.number().int().min(1).optional(),
    pauseMs: z.number().int().min(1).optional(),
    behaviour: z.enum(BYZANTINE_BEHAVIOURS).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const need: Partial<Record<Action, keyof typeof s>> = { delay: "delayMs", loss: "loss", bandwidth: "bandwidthBps", pause: "pauseMs", byzantine: "behaviour" };
    const field = need[s.action];
    if (field && s[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: `is required for action ${s.action}` });
  });
export type Step = z.infer<typeof StepSchema>;

export const ExpectationsSchema = z
  .object({
    maxStalls: z.number().int().min(0).optional(),
    maxStallSeconds: z.number().min(0).optional(),
    /** After each step's fault ends, the beacon runs below the stall timeout again within this many rounds. */
    recoveryWithinRounds: z.number().int().min(1).optional(),
    roundLatencySeconds: z.object({ p50: z.number().positive().optional(), p90: z.number().positive().optional(), p99: z.number().positive().optional(), max: z.number().positive().optional() }).strict().optional(),
    /** Default 0: safety is always judged. */
    safetyViolations: z.number().int().min(0).default(0),
    /** Invalid shares a byzantine member sends must be seen and counted by honest nodes. */
    invalidSharesDetected: z.literal(true).optional(),
    /**
     * The fraction of groups that crash steps left below their threshold must agree with the exact
     * hypergeometric stall model: the model's probability lies in the measured fraction's Wilson interval.
     */
    stallModel: z.object({ confidence: z.union([z.literal(0.9), z.literal(0.95), z.literal(0.99)]).default(0.95) }).strict().optional(),
    /**
     * How `--baseline RECORD` judges round latency against an earlier run: a regression is a
     * significant shift (one-sided Mann-Whitney at `confidence`) that also moves `quantile` by more
     * than `maxRegressionPercent`. Without `--baseline` nothing is compared.
     */
    baseline: z
      .object({
        quantile: z.number().min(0.5, "must be between 0.5 and 1").max(1, "must be between 0.5 and 1").default(0.99),
        maxRegressionPercent: z.number().min(0).default(5),
        confidence: z.union([z.literal(0.9), z.literal(0.95), z.literal(0.99)]).default(0.95),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type Expectations = z.infer<typeof ExpectationsSchema>;

export const ExperimentSchema = z.object({
  apiVersion: z.literal(API_VERSION, `must be ${API_VERSION}`),
  kind: z.literal(CHAOS_KIND, `must be ${CHAOS_KIND}`),
  metadata: z.object({ name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label") }),
  spec: z
    .object({
      /** Topology files relative to the experiment file, or inline Subnet/DataCenter objects. */
      topology: z.union([z.object({ files: z.array(z.string()).min(1) }).strict(), z.object({ inline: z.array(z.record(z.string(), z.unknown())).min(1) }).strict()]),
      /** Seed of random selectors (victims are recorded, so --replay does not depend on it). */
      seed: z.number().int().min(0).default(1),
      /** Run length in beacon rounds. */
      rounds: z.number().int().min(2),
      steps: z.array(StepSchema).default([]),
      expectations: ExpectationsSchema.prefault({}),
    })
    .strict()
    .superRefine((spec, ctx) => {
      const names = new Set<string>();
      spec.steps.forEach((s, i) => {
        if (names.has(s.name)) ctx.addIssue({ code: "custom", path: ["steps", i, "name"], message: `duplicates an earlier step name` });
        if (s.target.step !== undefined && !names.has(s.target.step)) ctx.addIssue({ code: "custom", path: ["steps", i, "target", "step"], message: `names no earlier step ('${s.target.step}')` });
        if (s.at.round !== undefined && s.at.round > spec.rounds) ctx.addIssue({ code: "custom", path: ["steps", i, "at", "round"], message: `is after the run ends (rounds: ${spec.rounds})` });
        names.add(s.name);
      });
    }),
});
export type Experiment = z.infer<typeof ExperimentSchema>;

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
