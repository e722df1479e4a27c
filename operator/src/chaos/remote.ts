// SPDX-License-Identifier: Apache-2.0
/**
 * `relaylab chaos run FILE --kube`: a thin client of the ChaosExperiment CRD. It creates the
 * topology's missing DataCenters, creates the experiment (whose Subnet the operator makes from
 * the topology's Subnet), follows its status, and returns what the operator judged: the verdicts,
 * the record and the JUnit report from the results ConfigMap. The run and the verdicts are the
 * operator's: the same engine and verifier as a local run, inside the cluster.
 */
import { API_VERSION, CHAOS_KIND, type ChaosExperiment, type DataCenter, DATACENTER_KIND, type Subnet, SUBNET_KIND } from "../api/index.js";
import type { Progress } from "../local/progress.js";
import type { Topology } from "../local/topology.js";
import { chaosResultsConfigMapName } from "../resources/names.js";
import { KubeError } from "../operator/runtime/errors.js";
import type { KubeApi, KubeObject } from "../operator/runtime/kube.js";
import type { Experiment } from "./experiment.js";
import { type ChaosRecord, ChaosRecordSchema } from "./record.js";
import type { RunSummary } from "../local/summary.js";
import type { Verdict } from "./verdict.js";

export interface RemoteRunOptions {
  readonly api: KubeApi;
  readonly namespace: string;
  readonly progress: Progress;
  /** Aborted (Ctrl-C) to stop waiting: the experiment is deleted, which ends its run. */
  readonly signal: AbortSignal;
  readonly replay?: ChaosRecord | undefined;
  /** How long to wait for the verdict. */
  readonly timeoutMs: number;
  /** Poll interval of the experiment's status. @default 1000 */
  readonly pollMs?: number;
}

export interface RemoteRunResult {
  readonly passed: boolean;
  readonly verdicts: Verdict[];
  readonly record: ChaosRecord | undefined;
  readonly junit: string | undefined;
  readonly summary: RunSummary | undefined;
  /** The experiment's final status, as the operator wrote it. */
  readonly status: NonNullable<ChaosExperiment["status"]>;
}

/** A failure the user can fix (a refused experiment, a name in use); the message says how. */
export class RemoteRunError extends Error {
  override readonly name = "RemoteRunError";
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const wake = (): void => {
      clearTimeout(t);
      signal.removeEventListener("abort", wake);
      resolve();
    };
    const t = setTimeout(wake, ms);
    signal.addEventListener("abort", wake, { once: true });
  });

async function until<T>(what: string, timeoutMs: number, pollMs: number, signal: AbortSignal, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (signal.aborted) throw new RemoteRunError(`interrupted while waiting for ${what}`);
    if (Date.now() > end) throw new RemoteRunError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(pollMs, signal);
  }
}

/** Creates what the API server refuses as a RemoteRunError carrying its message (the admission message says what to fix). */
async function create<T extends KubeObject>(api: KubeApi, obj: KubeObject): Promise<T> {
  try {
    return await api.create<T>(obj);
  } catch (err) {
    if (err instanceof KubeError && (err.code === 422 || err.code === 403 || err.code === 404)) throw new RemoteRunError(`${obj.kind} ${obj.metadata.name ?? ""} refused: ${err.message}`);
    throw err;
  }
}

export async function runRemote(experiment: Experiment, topology: Topology, options: RemoteRunOptions): Promise<RemoteRunResult> {
  const { api, namespace, progress, signal } = options;
  const pollMs = options.pollMs ?? 1000;
  const name = experiment.metadata.name;
  const where = `${namespace}/${name}`;
  const ref = { apiVersion: API_VERSION, kind: CHAOS_KIND, namespace, name };
  const subnetRef = { apiVersion: API_VERSION, kind: SUBNET_KIND, namespace, name };

  for (const dc of topology.dataCenters) {
    const dcName = dc.metadata.name ?? "";
    if ((await api.get<DataCenter>({ apiVersion: API_VERSION, kind: DATACENTER_KIND, name: dcName })) !== undefined) continue;
    await create(api, { apiVersion: API_VERSION, kind: DATACENTER_KIND, metadata: { name: dcName, labels: dc.metadata.labels ?? {} }, spec: dc.spec } as KubeObject);
    progress.message(`created DataCenter ${dcName}`);
  }

  // Running the same file again replaces a finished experiment of that name; a running one is left alone.
  const previous = await api.get<ChaosExperiment>(ref);
  if (previous !== undefined) {
    const phase = previous.status?.phase;
    if (phase !== "Succeeded" && phase !== "Failed") {
      throw new RemoteRunError(`ChaosExperiment ${where} is still ${phase ?? "Pending"}: wait for its verdict (kubectl wait --for=condition=Succeeded chaosexperiment/${name} -n ${namespace}) or delete it`);
    }
    progress.message(`replacing the finished ChaosExperiment ${where} (${phase})`);
    await api.delete(ref);
    await until(`ChaosExperiment ${where} to go`, 120_000, pollMs, signal, async () => ((await api.get(ref)) === undefined ? true : undefined));
  }
  const subnet = await api.get<Subnet>(subnetRef);
  if (subnet !== undefined) {
    if (!subnet.metadata.ownerReferences?.some((r) => r.kind === CHAOS_KIND)) {
      throw new RemoteRunError(`a Subnet named ${name} already exists in ${namespace}: an experiment runs on a new Subnet of its own name, so rename the experiment (metadata.name) or delete that Subnet`);
    }
    await until(`the previous run's Subnet ${where} to go`, 300_000, pollMs, signal, async () => ((await api.get(subnetRef)) === undefined ? true : undefined));
  }

  const replay = options.replay && {
    genesisSeed: options.replay.genesisSeed,
    selectorSeed: options.replay.selectorSeed,
    steps: options.replay.steps.map((s) => ({ name: s.name, firedAtRound: s.firedAtRound, victims: s.victims })),
  };
  const { seed, rounds, steps, expectations } = experiment.spec;
  await create(api, {
    apiVersion: API_VERSION,
    kind: CHAOS_KIND,
    metadata: { name, namespace },
    spec: { subnet: topology.subnet.spec, seed, rounds, steps, expectations, ...(replay ? { replay } : {}) },
  } as KubeObject);
  progress.message(`created ChaosExperiment ${where}; the operator runs it on a new Subnet ${name}`);

  let shown = { phase: "", round: -1, steps: 0, at: 0 };
  try {
    const final = await until(`the verdict of ChaosExperiment ${where}`, options.timeoutMs, pollMs, signal, async () => {
      const exp = await api.get<ChaosExperiment>(ref);
      if (exp === undefined) throw new RemoteRunError(`ChaosExperiment ${where} was deleted before its verdict`);
      const s = exp.status ?? {};
      const phase = s.phase ?? "Pending";
      if (phase !== shown.phase) progress.message(`phase ${phase}`);
      for (const st of (s.steps ?? []).slice(shown.steps)) progress.message(`round ${st.firedAtRound}: ${st.name}: ${st.action} nodes ${st.victims.join(",")}${st.error ? ` (failed: ${st.error})` : ""}`);
      const round = s.round ?? 0;
      if (phase === "Running" && round !== shown.round && Date.now() - shown.at > 5000) {
        progress.message(`round ${round}/${experiment.spec.rounds}`);
        shown = { ...shown, at: Date.now() };
      }
      shown = { ...shown, phase, round, steps: s.steps?.length ?? 0 };
      return phase === "Succeeded" || phase === "Failed" ? exp : undefined;
    });
    const status = final.status ?? {};
    const cm = status.results !== undefined ? await api.get<KubeObject & { data?: Record<string, string> }>({ apiVersion: "v1", kind: "ConfigMap", namespace, name: chaosResultsConfigMapName(name) }) : undefined;
    const data = cm?.data ?? {};
    const parsed = data["summary.json"] !== undefined ? (JSON.parse(data["summary.json"]) as { summary?: RunSummary }) : undefined;
    const record = data["record.json"] !== undefined ? ChaosRecordSchema.safeParse(JSON.parse(data["record.json"])).data : undefined;
    const verdicts: Verdict[] = (status.verdicts ?? []).map((v) => ({ ...v }));
    // A run that never reached a verdict (refused spec, lost operator) fails with the reason the operator gave.
    if (verdicts.length === 0) {
      const failed = status.conditions?.find((c) => c.type === "Failed");
      verdicts.push({ name: "run", passed: false, expected: "a verdict", measured: `${failed?.reason ?? "Failed"}: ${failed?.message ?? "no verdict"}` });
    }
    return { passed: status.phase === "Succeeded", verdicts, record, junit: data["junit.xml"], summary: parsed?.summary, status };
  } catch (err) {
    if (signal.aborted) await api.delete(ref).catch(() => undefined);
    throw err;
  }
}
