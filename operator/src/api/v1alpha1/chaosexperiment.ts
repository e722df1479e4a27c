// SPDX-License-Identifier: Apache-2.0
/**
 * ChaosExperiment (namespaced): steps anchored to beacon rounds (or seconds), the members they hit
 * and the expectations a run is judged by. The same steps, selectors and expectations run locally
 * (`relaylab chaos run FILE`, whose file adds a topology) and on Kubernetes, where the operator
 * creates a Subnet from `spec.subnet` named after the experiment, runs the steps against its pods
 * and writes one verdict per expectation to the status. Rounds count from that Subnet's genesis.
 *
 * zod refinements do not reach the CRD, so every cross-field rule is written once as CEL here;
 * local files are checked by the same zod schema plus the rules local.ts adds for topology.
 */
import { z } from "zod";
import { integer, kube } from "../structural.js";
import { ConditionsSchema } from "./conditions.js";
import { MAX_NODES } from "./group.js";
import type { ObjectMeta } from "./meta.js";
import { BYZANTINE_BEHAVIOURS, SubnetSpecSchema, type SubnetSpec } from "./subnet.js";

export const CHAOS_KIND = "ChaosExperiment";
export const CHAOS_PLURAL = "chaosexperiments";
export const CHAOS_SINGULAR = "chaosexperiment";
export const CHAOS_SHORT_NAMES = ["chaos"] as const;
/** Label on the Subnet an experiment runs on, naming the experiment. */
export const LABEL_EXPERIMENT = "relaylab.dev/chaos-experiment";
/** Most steps in one experiment (bounds the CEL rules' cost). */
export const MAX_STEPS = 64;
const MAX_NAME = 63;

/** A member count: a whole number or an expression in g (group size) and t (threshold), e.g. "g-t+1". */
const MemberCount = z.union([
  z.number().int().min(1, "must be at least 1"),
  z
    .string()
    .max(32)
    .regex(/^\s*[gt0-9]+(\s*[-+]\s*[gt0-9]+)*\s*$/, "must be a whole number or an expression of g and t such as 't-1' or 'g-t+1'"),
]);

const TARGET_KEYS = ["nodes", "dataCenter", "group", "groupOfRound", "activeGroup", "perDataCenter", "random", "step"] as const;
const has = (k: string): string => `(has(self.${k}) ? 1 : 0)`;

export const TargetSchema = kube(
  z.object({
    nodes: z.array(integer("A node index.").min(0).max(MAX_NODES)).min(1).max(1024).optional().describe("Explicit node indices."),
    dataCenter: z.string().max(MAX_NAME).optional().describe("Every node in this data center."),
    group: integer("Members of registered group N of the current epoch.").min(0).max(1023).optional(),
    groupOfRound: integer("Members of the group that signs round R.").min(1).optional(),
    activeGroup: z.literal(true).optional().describe("Members of the group that signs the round after the step fires."),
    members: MemberCount.optional().describe("How many members of the chosen group (default all): a number or an expression of g and t such as 'g-t+1'."),
    perDataCenter: z.literal(1).optional().describe("One node per data center (the lowest index of each)."),
    random: integer("N nodes drawn with the experiment's seed.").min(1).max(MAX_NODES).optional(),
    step: z.string().max(MAX_NAME).optional().describe("The victims of an earlier step, by its name (e.g. to restart what was crashed)."),
  })
    .strict()
    .refine((t) => TARGET_KEYS.filter((k) => k in t).length === 1, { message: `name exactly one of ${TARGET_KEYS.join(", ")}` })
    .refine((t) => t.members === undefined || t.group !== undefined || t.groupOfRound !== undefined || t.activeGroup !== undefined, {
      message: "members applies only to group, groupOfRound or activeGroup",
    }),
  {
    description: "Which nodes a step hits: exactly one selector, optionally narrowed by members.",
    "x-kubernetes-validations": [
      { rule: `${TARGET_KEYS.map(has).join(" + ")} == 1`, message: `name exactly one of ${TARGET_KEYS.join(", ")}` },
      { rule: "!has(self.members) || has(self.group) || has(self.groupOfRound) || has(self.activeGroup)", message: "members applies only to group, groupOfRound or activeGroup", fieldPath: ".members" },
      {
        // The expression form is checked when the run starts (a CEL regex over an unbounded int-or-string is over the cost budget).
        rule: "!has(self.members) || type(self.members) != int || int(self.members) >= 1",
        message: "members must be at least 1",
        fieldPath: ".members",
      },
    ],
  },
);
export type Target = z.infer<typeof TargetSchema>;

const When = (what: string) =>
  kube(
    z
      .object({ round: integer("Beacon round.").min(1).optional(), seconds: z.number().min(0).optional().describe("Seconds.") })
      .strict()
      .refine((w) => (w.round === undefined) !== (w.seconds === undefined), { message: "give exactly one of round or seconds" }),
    { description: what, "x-kubernetes-validations": [{ rule: "has(self.round) != has(self.seconds)", message: "give exactly one of round or seconds" }] },
  );

export const ACTIONS = ["partition", "delay", "loss", "bandwidth", "crash", "restart", "pause", "byzantine", "heal", "impostor"] as const;
export type Action = (typeof ACTIONS)[number];

/** The field each action cannot do without. */
const NEEDS: Partial<Record<Action, "delayMs" | "loss" | "bandwidthBps" | "pauseMs" | "behaviour">> = { delay: "delayMs", loss: "loss", bandwidth: "bandwidthBps", pause: "pauseMs", byzantine: "behaviour" };

export const StepSchema = kube(
  z.object({
    name: z.string().min(1).max(MAX_NAME).describe("Unique within the experiment; later steps and the record refer to it."),
    at: When("When the step fires: a beacon round, or seconds after the run starts."),
    action: z.enum(ACTIONS).describe("What the step does to its targets (impostor: an outside process opens peer streams to each target posing as another node, with a replayed, a relayed and a forged Hello)."),
    target: TargetSchema,
    for: When("Undo the step after this long: heal a network fault, end byzantine behaviour, restart crashed nodes.").optional(),
    delayMs: integer("Extra one-way delay (delay).").min(0).max(600000).optional(),
    jitterMs: integer("Random extra delay up to this (delay).").min(0).max(600000).optional(),
    loss: z.number().min(0).max(1, "must be a probability between 0 and 1").optional().describe("Probability 0..1 that a message is dropped (loss)."),
    bandwidthBps: integer("Bytes per second cap (bandwidth).").min(1).optional(),
    pauseMs: integer("How long the nodes drop all traffic (pause).").min(1).max(600000).optional(),
    behaviour: z.enum(BYZANTINE_BEHAVIOURS).optional().describe("What the members do (byzantine)."),
  })
    .strict()
    .superRefine((s, ctx) => {
      const field = NEEDS[s.action];
      if (field && s[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: `is required for action ${s.action}` });
    }),
  {
    description: "One fault, fired at a round and optionally undone later.",
    "x-kubernetes-validations": Object.entries(NEEDS).map(([action, field]) => ({ rule: `self.action != '${action}' || has(self.${field})`, message: `${field} is required for action ${action}` })),
  },
);
export type Step = z.infer<typeof StepSchema>;

const confidence = () => z.union([z.literal(0.9), z.literal(0.95), z.literal(0.99)]);

export const ExpectationsSchema = z
  .object({
    maxStalls: integer("Most rounds that may stall (verified later than the stall timeout).").min(0).optional(),
    maxStallSeconds: z.number().min(0).optional().describe("Longest stall allowed, in seconds."),
    recoveryWithinRounds: integer("After each step's fault ends, the beacon runs below the stall timeout again within this many rounds, and by the end of the run the finalized height has passed the one it had when the fault ended.").min(1).optional(),
    roundLatencySeconds: z
      .object({ p50: z.number().min(0).optional(), p90: z.number().min(0).optional(), p99: z.number().min(0).optional(), max: z.number().min(0).optional() })
      .strict()
      .optional()
      .describe("Upper bounds of round latency quantiles, in seconds."),
    safetyViolations: integer("Safety violations allowed; default 0, so safety is always judged.").min(0).default(0),
    invalidSharesDetected: z.literal(true).optional().describe("Invalid shares a byzantine member sends must be seen and counted by honest nodes."),
    impostorsRefused: z.literal(true).optional().describe("Every Hello an impostor step sent (replayed, relayed, forged) must be refused by its target."),
    stallModel: z
      .object({ confidence: confidence().default(0.95) })
      .strict()
      .optional()
      .describe("The fraction of groups that crash steps left below their threshold must agree with the exact hypergeometric stall model: the count lies in the central region, at this confidence, of its exact distribution over random crash sets for the registered groups."),
    baseline: z
      .object({
        quantile: z.number().min(0.5, "must be between 0.5 and 1").max(1, "must be between 0.5 and 1").default(0.99),
        maxRegressionPercent: z.number().min(0).default(5),
        confidence: confidence().default(0.95),
      })
      .strict()
      .prefault({})
      .describe("How a baseline run judges round latency: a significant shift (one-sided Mann-Whitney at confidence) that also moves quantile by more than maxRegressionPercent."),
  })
  .strict()
  .describe("What the run is judged by: one verdict per expectation.");
export type Expectations = z.infer<typeof ExpectationsSchema>;

/** What a run re-applies from an earlier run's record: the genesis seed, and each step's firing round and victims. */
export const ReplaySchema = z
  .object({
    genesisSeed: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters").describe("Genesis seed of the recorded run."),
    selectorSeed: integer("Selector seed of the recorded run.").min(0),
    steps: z
      .array(
        z
          .object({
            name: z.string().max(MAX_NAME).describe("Step name."),
            firedAtRound: integer("Round the step fired at.").min(0),
            victims: z.array(integer("A node index.").min(0)).max(MAX_NODES).describe("Nodes it hit."),
          })
          .strict()
          .describe("One recorded step."),
      )
      .max(MAX_STEPS)
      .describe("Recorded steps."),
  })
  .strict()
  .describe("Re-apply an earlier run's record: the same genesis seed, firing rounds and victims.");

/** The parts of an experiment that run anywhere: seed, length, steps and expectations. */
export const ExperimentRunFields = {
  seed: integer("Seed of random selectors (victims are recorded, so a replay does not depend on it).").min(0).default(1),
  rounds: integer("Run length in beacon rounds.").min(2),
  steps: kube(z.array(StepSchema).max(MAX_STEPS), { description: "Faults, in firing order.", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] }).default([]),
  expectations: ExpectationsSchema.prefault({}),
};

/** Seed, length, steps and expectations with their defaults: what the chaos engine runs, whatever the testnet. */
export type ExperimentRun = z.output<z.ZodObject<typeof ExperimentRunFields>>;

/** The rules between steps and the run that hold wherever an experiment runs (also CEL in the CRD). */
export function checkSteps(spec: { rounds: number; steps: readonly Step[] }, ctx: z.RefinementCtx): void {
  const names = new Set<string>();
  spec.steps.forEach((s, i) => {
    if (names.has(s.name)) ctx.addIssue({ code: "custom", path: ["steps", i, "name"], message: "duplicates an earlier step name" });
    if (s.target.step !== undefined && !names.has(s.target.step)) ctx.addIssue({ code: "custom", path: ["steps", i, "target", "step"], message: `names no earlier step ('${s.target.step}')` });
    if (s.at.round !== undefined && s.at.round > spec.rounds) ctx.addIssue({ code: "custom", path: ["steps", i, "at", "round"], message: `is after the run ends (rounds: ${spec.rounds})` });
    names.add(s.name);
  });
}

/** Desired state of a ChaosExperiment on Kubernetes. */
export const ChaosExperimentSpecSchema = kube(
  z
    .object({
      subnet: SubnetSpecSchema.describe("The Subnet the experiment creates (named after the experiment, in its namespace) and runs on; its DataCenters must exist."),
      ...ExperimentRunFields,
      replay: ReplaySchema.optional(),
      keepSubnet: z.boolean().default(false).describe("Keep the Subnet after the verdict (to inspect it); by default it is deleted."),
    })
    .strict()
    .superRefine(checkSteps),
  {
    description: "A chaos experiment the operator runs on a new Subnet, with a verdict per expectation.",
    "x-kubernetes-validations": [
      { rule: "self == oldSelf", message: "a ChaosExperiment cannot change once created: delete it and create it again" },
      {
        rule: "self.steps.all(s, !has(s.at.round) || s.at.round <= self.rounds)",
        message: "a step fires after the run ends (steps[].at.round > rounds): raise rounds or fire the step earlier",
        fieldPath: ".steps",
      },
      {
        rule: "self.steps.all(s, !has(s.target.step) || self.steps.exists(p, p.name == s.target.step))",
        message: "a step's target.step names no step of this experiment: name an earlier step",
        fieldPath: ".steps",
      },
      {
        rule: "self.steps.all(s, !has(s.target.members) || type(s.target.members) != int || int(s.target.members) <= self.subnet.groupSize)",
        message: "a step's target.members is larger than a group (subnet.groupSize): lower members",
        fieldPath: ".steps",
      },
      {
        rule: "self.steps.all(s, !has(s.target.group) || s.target.group < self.subnet.groups)",
        message: "a step's target.group names no group (groups are numbered 0 to subnet.groups-1): lower target.group",
        fieldPath: ".steps",
      },
      {
        rule: "self.steps.all(s, !has(s.target.nodes) || s.target.nodes.all(n, n < self.subnet.nodes))",
        message: "a step's target.nodes names a node the Subnet does not have (nodes are numbered 0 to subnet.nodes-1): fix target.nodes",
        fieldPath: ".steps",
      },
      {
        rule: "self.steps.all(s, !has(s.target.random) || s.target.random <= self.subnet.nodes)",
        message: "a step's target.random draws more nodes than the Subnet has: lower target.random",
        fieldPath: ".steps",
      },
      {
        rule: "!has(self.subnet.dataCenters.names) || self.steps.all(s, !has(s.target.dataCenter) || s.target.dataCenter in self.subnet.dataCenters.names)",
        message: "a step's target.dataCenter is not one of subnet.dataCenters.names: name a data center the Subnet runs in",
        fieldPath: ".steps",
      },
    ],
  },
);
export type ChaosExperimentSpec = z.input<typeof ChaosExperimentSpecSchema>;

export const CHAOS_PHASES = ["Pending", "Running", "Succeeded", "Failed"] as const;
export type ChaosPhase = (typeof CHAOS_PHASES)[number];

/** Observed state of a ChaosExperiment, written by the operator while it runs and once it is judged. */
export const ChaosExperimentStatusSchema = z
  .object({
    observedGeneration: integer("metadata.generation this status describes.").min(0).optional(),
    phase: z.enum(CHAOS_PHASES).optional().describe("Pending, Running, Succeeded (every expectation met) or Failed."),
    subnet: z.string().optional().describe("The Subnet the experiment runs on."),
    round: integer("Highest beacon round the verifier has checked.").min(0).optional(),
    rounds: integer("Rounds the run lasts.").min(0).optional(),
    startTime: kube(z.string(), { description: "When the run started.", format: "date-time" }).optional(),
    completionTime: kube(z.string(), { description: "When the verdict was written.", format: "date-time" }).optional(),
    steps: kube(
      z.array(
        z
          .object({
            name: z.string().describe("Step name."),
            action: z.string().describe("Its action."),
            firedAtRound: integer("Round it fired at.").min(0),
            firedAtSeconds: z.number().min(0).optional().describe("Seconds into the run it fired at."),
            victims: z.array(integer("A node index.").min(0)).describe("Nodes it hit."),
            endedAtRound: integer("Round it was undone at.").min(0).optional(),
            error: z.string().optional().describe("Why it could not be applied."),
          })
          .describe("A step that fired."),
      ),
      { description: "Steps fired so far.", "x-kubernetes-list-type": "atomic" },
    ).optional(),
    verdicts: kube(
      z.array(
        z
          .object({
            name: z.string().describe("The expectation."),
            passed: z.boolean().describe("Whether it held."),
            expected: z.string().describe("What was expected."),
            measured: z.string().describe("What was measured."),
          })
          .describe("One expectation's verdict."),
      ),
      { description: "One verdict per expectation, once the run is over.", "x-kubernetes-list-type": "atomic" },
    ).optional(),
    passed: integer("Expectations met.").min(0).optional(),
    failed: integer("Expectations not met.").min(0).optional(),
    results: z.string().optional().describe("ConfigMap holding the run record (record.json), the JUnit report (junit.xml) and the run summary (summary.json)."),
    conditions: ConditionsSchema.optional(),
  })
  .describe("Progress and verdicts, written by the operator.");
export type ChaosExperimentStatus = z.input<typeof ChaosExperimentStatusSchema>;

export interface ChaosExperiment {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: ChaosExperimentSpec & { subnet: SubnetSpec };
  status?: ChaosExperimentStatus;
}

export const CHAOS_CONDITIONS = {
  /** The run is under way. */
  running: "Running",
  /** The run is over and every expectation held (`kubectl wait --for=condition=Succeeded`). */
  succeeded: "Succeeded",
  /** The run is over and an expectation failed, or it could not run; the reason says which. */
  failed: "Failed",
} as const;

export const CHAOS_REASONS = {
  creatingSubnet: "CreatingSubnet",
  running: "StepsRunning",
  finished: "Finished",
  expectationsMet: "ExpectationsMet",
  expectationsFailed: "ExpectationsFailed",
  subnetDeleted: "SubnetDeleted",
  subnetExists: "SubnetExists",
  operatorRestarted: "OperatorRestarted",
  runError: "RunError",
  invalidSpec: "InvalidSpec",
} as const;
export type ChaosReason = (typeof CHAOS_REASONS)[keyof typeof CHAOS_REASONS];
