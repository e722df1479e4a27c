// SPDX-License-Identifier: Apache-2.0
/**
 * The ChaosExperiment controller. An experiment gets a new Subnet of its own name, made from
 * `spec.subnet` and owned by the experiment (so rounds count from its genesis, as locally, and
 * deleting the experiment takes the Subnet with it). The run itself is the same code as
 * `relaylab chaos run`: the step engine, the independent verifier and the verdicts, here through
 * the Kubernetes testnet port at the pods' IPs. Progress (round, steps fired and their victims)
 * goes to the status while it runs; then one verdict per expectation, the conditions
 * `Succeeded` or `Failed` (with the reason), and a ConfigMap with the record, the JUnit report
 * and the run summary.
 *
 * A run lives in this process: if the operator restarts or loses its lease mid-run, the verifier's
 * view is gone, and the next leader marks the experiment Failed (OperatorRestarted) rather than
 * judge a run it did not watch. A Subnet deleted mid-run ends the run at once, Failed with
 * SubnetDeleted and a failing "subnet" verdict.
 */
import type { Logger } from "pino";
import type { Clock } from "@relaylab/node/clock";
import {
  API_VERSION,
  CHAOS_CONDITIONS,
  CHAOS_KIND,
  CHAOS_REASONS,
  ChaosExperimentSpecSchema,
  type ChaosExperiment,
  type ChaosExperimentStatus,
  type ChaosReason,
  LABEL_EXPERIMENT,
  type Subnet,
  SUBNET_CONDITIONS,
  SUBNET_KIND,
  SUBNET_REASONS,
} from "../../api/index.js";
import { junitXml } from "../../chaos/junit.js";
import type { ChaosRecord, StepRecord } from "../../chaos/record.js";
import { runExperiment } from "../../chaos/run.js";
import type { Verdict } from "../../chaos/verdict.js";
import type { Progress } from "../../local/progress.js";
import { chaosResultsConfigMapName } from "../../resources/names.js";
import { KubeProvider, type KubeProviderOptions } from "../../testnet/kube.js";
import type { Reconcile } from "../runtime/controller.js";
import { parseKey } from "../runtime/controller.js";
import type { EventRecorder } from "../runtime/events.js";
import type { ObjectCache } from "../runtime/informer.js";
import type { KubeApi, KubeObject } from "../runtime/kube.js";
import type { PolicyRule } from "../runtime/rbac.js";
import { setConditions, type ConditionInput } from "./conditions.js";

/** Exactly the API access the ChaosExperiment controller, its informers and the testnet port use. */
export const CHAOS_CONTROLLER_RULES: PolicyRule[] = [
  { apiGroups: ["relaylab.dev"], resources: ["chaosexperiments"], verbs: ["list", "watch"] },
  { apiGroups: ["relaylab.dev"], resources: ["chaosexperiments/status"], verbs: ["patch"] },
  // The experiment's own Subnet: made from spec.subnet, read by the testnet port, deleted after the verdict.
  { apiGroups: ["relaylab.dev"], resources: ["subnets"], verbs: ["get", "create", "delete"] },
  { apiGroups: ["relaylab.dev"], resources: ["datacenters"], verbs: ["get"] },
  // The genesis (get) and the results (server-side apply).
  { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "create", "patch"] },
  // The Subnet's control key, to sign fault pushes and crashes.
  { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
  { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
];

export interface ChaosReconcilerDeps {
  api: KubeApi;
  experiments: ObjectCache<ChaosExperiment>;
  subnets: ObjectCache<Subnet>;
  events: EventRecorder;
  clock: Clock;
  log: Logger;
  /** Aborted when this replica stops leading: its runs end and write nothing. */
  leading: AbortSignal;
  /** How often a running experiment's progress is written to its status. @default 2000 */
  statusIntervalMs?: number;
  provider?: KubeProviderOptions;
}

/** Why a run ended before its last round; undefined while it runs to the end. */
interface Stop {
  readonly reason: ChaosReason | "gone";
  readonly message: string;
}

interface Run {
  readonly uid: string;
  readonly abort: AbortController;
  stop?: Stop;
  /** UID of the Subnet the run follows, once created. */
  subnetUid?: string;
}

const TERMINAL = new Set(["Succeeded", "Failed"]);

type StatusStep = NonNullable<ChaosExperimentStatus["steps"]>[number];

/** A fired step as the status schema states it (only its fields: the status subresource refuses others). */
const stepStatus = (s: StepRecord): StatusStep => ({
  name: s.name,
  action: s.action,
  firedAtRound: s.firedAtRound,
  firedAtSeconds: s.firedAtSeconds,
  victims: [...s.victims],
  ...(s.endedAtRound !== undefined ? { endedAtRound: s.endedAtRound } : {}),
  ...(s.error !== undefined ? { error: s.error } : {}),
});

const ownedBy = (obj: KubeObject, owner: ChaosExperiment): boolean => obj.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid && r.controller === true) === true;

function ownerRef(exp: ChaosExperiment) {
  return { apiVersion: API_VERSION, kind: CHAOS_KIND, name: exp.metadata.name ?? "", uid: exp.metadata.uid ?? "", controller: true, blockOwnerDeletion: true };
}

/** The three conditions of a finished (or never started) run. */
function verdictConditions(passed: boolean, reason: ChaosReason, message: string): ConditionInput[] {
  return [
    { type: CHAOS_CONDITIONS.running, status: "False", reason: CHAOS_REASONS.finished, message: "the run is over" },
    { type: CHAOS_CONDITIONS.succeeded, status: passed ? "True" : "False", reason, message },
    { type: CHAOS_CONDITIONS.failed, status: passed ? "False" : "True", reason, message },
  ];
}

export function createChaosReconciler(deps: ChaosReconcilerDeps): Reconcile {
  const runs = new Map<string, Run>();
  /** UIDs whose verdict this replica wrote, until its cache shows it (so they are not taken for orphaned runs). */
  const judged = new Set<string>();
  const { api, log, clock } = deps;
  const now = (): string => new Date(clock.now()).toISOString();

  const writeStatus = async (exp: ChaosExperiment, status: ChaosExperimentStatus): Promise<void> => {
    await api.applyStatus({ apiVersion: API_VERSION, kind: CHAOS_KIND, metadata: { name: exp.metadata.name, namespace: exp.metadata.namespace }, status } as KubeObject);
  };

  const fail = async (exp: ChaosExperiment, reason: ChaosReason, message: string): Promise<void> => {
    log.warn({ experiment: `${exp.metadata.namespace ?? ""}/${exp.metadata.name ?? ""}`, reason }, message);
    await writeStatus(exp, {
      ...exp.status,
      observedGeneration: exp.metadata.generation,
      phase: "Failed",
      completionTime: now(),
      conditions: setConditions(exp.status?.conditions, verdictConditions(false, reason, message), exp.metadata.generation ?? 0, now()),
    });
    await deps.events.record(exp, "Warning", reason, "Run", message);
  };

  /** The run, from the Subnet's pods having IPs to the verdict. Never throws: every ending is a status. */
  const execute = async (exp: ChaosExperiment, run: Run, spec: ReturnType<typeof ChaosExperimentSpecSchema.parse>): Promise<void> => {
    const namespace = exp.metadata.namespace ?? "";
    const name = exp.metadata.name ?? "";
    const started = now();
    let round = 0;
    let steps: readonly StepRecord[] = [];
    let lastWrite = 0;
    let writing: Promise<void> = Promise.resolve();
    const running = (status: Partial<ChaosExperimentStatus>): ChaosExperimentStatus => ({
      observedGeneration: exp.metadata.generation,
      phase: "Running",
      subnet: name,
      rounds: spec.rounds,
      startTime: started,
      round,
      steps: steps.map(stepStatus),
      conditions: setConditions(
        exp.status?.conditions,
        [
          { type: CHAOS_CONDITIONS.running, status: "True", reason: CHAOS_REASONS.running, message: `round ${round} of ${spec.rounds}` },
          { type: CHAOS_CONDITIONS.succeeded, status: "Unknown", reason: CHAOS_REASONS.running, message: "no verdict yet" },
          { type: CHAOS_CONDITIONS.failed, status: "Unknown", reason: CHAOS_REASONS.running, message: "no verdict yet" },
        ],
        exp.metadata.generation ?? 0,
        started,
      ),
      ...status,
    });
    const progress: Progress = {
      update: (s) => {
        round = s.round;
      },
      message: (line) => log.info({ experiment: `${namespace}/${name}` }, line),
      done: () => undefined,
    };
    const onTick = (r: number, fired: readonly StepRecord[]): void => {
      round = r;
      steps = fired;
      if (clock.now() - lastWrite < (deps.statusIntervalMs ?? 2000) || run.abort.signal.aborted) return;
      lastWrite = clock.now();
      writing = writing.then(() => writeStatus(exp, running({}))).catch((err: unknown) => log.warn({ err }, "chaos: status write failed"));
    };
    let provider: KubeProvider | undefined;
    try {
      await writeStatus(exp, running({}));
      provider = await KubeProvider.connect(api, namespace, name, { ...deps.provider, signal: run.abort.signal });
      if (run.abort.signal.aborted) return;
      const replay: ChaosRecord | undefined = spec.replay && {
        experiment: name,
        genesisSeed: spec.replay.genesisSeed,
        selectorSeed: spec.replay.selectorSeed,
        steps: spec.replay.steps.map((s) => ({ ...s, action: spec.steps.find((x) => x.name === s.name)?.action ?? "", firedAtSeconds: 0 })),
      };
      const t0 = clock.now();
      const result = await runExperiment(provider, { metadata: { name }, spec }, { progress, signal: run.abort.signal, replay, onTick });
      await writing;
      const stop = run.stop;
      if (stop?.reason === "gone" || deps.leading.aborted) return;
      const verdicts: Verdict[] = [...result.verdicts];
      if (stop !== undefined) verdicts.push({ name: "subnet", passed: false, expected: "the Subnet runs until the verdict", measured: stop.message });
      const passedCount = verdicts.filter((v) => v.passed).length;
      const passed = passedCount === verdicts.length;
      const results = chaosResultsConfigMapName(name);
      await api.apply({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: results, namespace, labels: { [LABEL_EXPERIMENT]: name }, ownerReferences: [ownerRef(exp)] },
        data: {
          "record.json": `${JSON.stringify(result.record)}\n`,
          "junit.xml": junitXml(name, verdicts, (clock.now() - t0) / 1000),
          "summary.json": `${JSON.stringify({ experiment: name, passed, verdicts, summary: result.summary })}\n`,
        },
      } as KubeObject);
      const failedNames = verdicts.filter((v) => !v.passed).map((v) => `${v.name}: ${v.measured} (expected ${v.expected})`);
      const reason = stop?.reason ?? (passed ? CHAOS_REASONS.expectationsMet : CHAOS_REASONS.expectationsFailed);
      const message = passed ? `all ${verdicts.length} expectations met` : `${failedNames.length} of ${verdicts.length} expectations failed: ${failedNames.join("; ")}`;
      await writeStatus(exp, {
        ...running({}),
        phase: passed ? "Succeeded" : "Failed",
        round: result.summary.rounds,
        steps: result.record.steps.map(stepStatus),
        verdicts: verdicts.map((v) => ({ name: v.name, passed: v.passed, expected: v.expected, measured: v.measured })),
        passed: passedCount,
        failed: verdicts.length - passedCount,
        results,
        completionTime: now(),
        conditions: setConditions(exp.status?.conditions, verdictConditions(passed, reason, message), exp.metadata.generation ?? 0, now()),
      });
      judged.add(run.uid);
      await deps.events.record(exp, passed ? "Normal" : "Warning", reason, "Judge", message);
      if (!spec.keepSubnet) await api.delete({ apiVersion: API_VERSION, kind: SUBNET_KIND, namespace, name });
    } catch (err) {
      if (run.stop?.reason === "gone" || deps.leading.aborted) return;
      const message = run.stop?.message ?? `the run could not go on: ${(err as Error).message}`;
      judged.add(run.uid);
      const reason = run.stop?.reason ?? CHAOS_REASONS.runError;
      await fail(exp, reason, message).catch((e: unknown) => log.error({ err: e }, "chaos: status write failed"));
    } finally {
      await provider?.stop();
      if (runs.get(`${namespace}/${name}`) === run) runs.delete(`${namespace}/${name}`);
    }
  };

  const stopRun = (key: string, stop: Stop): void => {
    const run = runs.get(key);
    if (run === undefined || run.stop !== undefined) return;
    run.stop = stop;
    run.abort.abort();
  };
  deps.leading.addEventListener("abort", () => {
    for (const key of runs.keys()) stopRun(key, { reason: "gone", message: "this replica stopped leading" });
  }, { once: true });

  return async (key: string): Promise<Record<string, never>> => {
    const { namespace = "", name } = parseKey(key);
    const cache = `${namespace}/${name}`;
    const exp = deps.experiments.get(cache);
    const run = runs.get(cache);
    if (exp === undefined || exp.metadata.deletionTimestamp !== undefined || (run !== undefined && run.uid !== exp.metadata.uid)) {
      // Deleted: the Subnet goes with it (owner reference); its run ends without a verdict.
      stopRun(cache, { reason: "gone", message: "the experiment was deleted" });
      if (exp === undefined || exp.metadata.deletionTimestamp !== undefined) return {};
    }
    const subnet = deps.subnets.get(cache);
    const current = runs.get(cache);
    if (current !== undefined) {
      if (current.subnetUid !== undefined && (subnet === undefined || subnet.metadata.uid !== current.subnetUid || subnet.metadata.deletionTimestamp !== undefined)) {
        stopRun(cache, { reason: CHAOS_REASONS.subnetDeleted, message: `Subnet ${cache} was deleted during the run, at round ${String(exp.status?.round ?? 0)}` });
      }
      // A Subnet that cannot be placed (a missing DataCenter, no capacity) never gets pods: say why now.
      const unplaceable = subnet?.status?.conditions?.find((c) => c.type === SUBNET_CONDITIONS.degraded && c.status === "True" && c.reason === SUBNET_REASONS.placementFailed);
      if (unplaceable !== undefined) stopRun(cache, { reason: CHAOS_REASONS.runError, message: `Subnet ${cache} cannot be placed: ${unplaceable.message}` });
      return {};
    }
    const phase = exp.status?.phase;
    if (phase !== undefined && TERMINAL.has(phase)) judged.delete(exp.metadata.uid ?? "");
    else if (judged.has(exp.metadata.uid ?? "")) return {};
    if (phase !== undefined && TERMINAL.has(phase)) {
      if (!exp.spec.keepSubnet && subnet !== undefined && ownedBy(subnet, exp) && subnet.metadata.deletionTimestamp === undefined) {
        await api.delete({ apiVersion: API_VERSION, kind: SUBNET_KIND, namespace, name });
      }
      return {};
    }
    if (phase === "Running") {
      await fail(exp, CHAOS_REASONS.operatorRestarted, "the operator restarted or changed leader during the run, so no verifier watched all of it: delete the experiment and create it again");
      return {};
    }
    const parsed = ChaosExperimentSpecSchema.safeParse(exp.spec);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      await fail(exp, CHAOS_REASONS.invalidSpec, `spec.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}: fix the experiment and create it again`);
      return {};
    }
    if (subnet !== undefined && !ownedBy(subnet, exp)) {
      await fail(exp, CHAOS_REASONS.subnetExists, `a Subnet named ${name} already exists in ${namespace} and does not belong to this experiment: an experiment runs on a new Subnet of its own name, so rename the experiment or delete that Subnet`);
      return {};
    }
    const started: Run = { uid: exp.metadata.uid ?? "", abort: new AbortController() };
    runs.set(cache, started);
    try {
      const replaySeed = parsed.data.replay?.genesisSeed;
      const object = subnet ?? (await api.create<Subnet>({
        apiVersion: API_VERSION,
        kind: SUBNET_KIND,
        metadata: { name, namespace, labels: { [LABEL_EXPERIMENT]: name }, ownerReferences: [ownerRef(exp)] },
        spec: { ...exp.spec.subnet, ...(replaySeed !== undefined ? { genesisSeed: replaySeed } : {}) },
      } as KubeObject));
      started.subnetUid = object.metadata.uid ?? "";
    } catch (err) {
      runs.delete(cache);
      throw err;
    }
    void execute(exp, started, parsed.data);
    return {};
  };
}
