// SPDX-License-Identifier: Apache-2.0
/**
 * Runs the real operator (runOperator) in-process against the test control plane, with the
 * chart's ServiceAccount identity, and records what it does: every write it sends to the API
 * server (through a recording wrapper of its KubeApi port, the writes still go through), its
 * structured log lines, and the fault sets it pushes to nodes.
 *
 * kwok pods run no process, so the node Public/Control APIs are a recording port: status reads
 * fail as for an unreachable node, fault pushes are recorded. The bridge test covers real nodes.
 */
import { Writable } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import type { ControlTarget, GroupMembers, NodeControl, NodeLiveStatus, NodeStatusReader, NodeTarget } from "../../../src/operator/controller/live.js";
import type { FaultSetSpec } from "../../../src/genesis/index.js";
import { type OperatorOptions, runOperator } from "../../../src/operator/main.js";
import { createKubeApi } from "../../../src/operator/runtime/client-node.js";
import type { KubeApi, KubeObject } from "../../../src/operator/runtime/kube.js";
import { httpCall } from "./rest.js";
import { waitFor } from "@relaylab/node/wait";

/** One write the operator sent to the API server. */
export interface RecordedWrite {
  readonly verb: "apply" | "applyStatus" | "create" | "update" | "delete";
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

export interface FaultPush {
  /** host:port of the node's Control API. */
  readonly address: string;
  readonly faults: FaultSetSpec;
}

/** Wraps a KubeApi so every write is recorded before it is sent. */
function recording(api: KubeApi, writes: RecordedWrite[]): KubeApi {
  const note = (verb: RecordedWrite["verb"], o: { kind: string; name?: string; namespace?: string; metadata?: KubeObject["metadata"] }): void => {
    const name = o.name ?? o.metadata?.name ?? "";
    const namespace = o.namespace ?? o.metadata?.namespace;
    writes.push({ verb, kind: o.kind, name, ...(namespace !== undefined ? { namespace } : {}) });
  };
  return {
    get: (ref) => api.get(ref),
    list: (apiVersion, kind, options) => api.list(apiVersion, kind, options),
    watch: (apiVersion, kind, options, onEvent, onDone) => api.watch(apiVersion, kind, options, onEvent, onDone),
    isGroupServed: (group) => api.isGroupServed(group),
    apply: (obj) => (note("apply", obj), api.apply(obj)),
    applyStatus: (obj) => (note("applyStatus", obj), api.applyStatus(obj)),
    create: (obj) => (note("create", obj), api.create(obj)),
    update: (obj) => (note("update", obj), api.update(obj)),
    delete: (ref) => (note("delete", ref), api.delete(ref)),
  };
}

/** Node APIs of kwok pods: nothing answers; fault pushes are recorded (and succeed). */
class RecordingNodes implements NodeStatusReader, NodeControl {
  readonly pushes: FaultPush[] = [];
  status({ address }: NodeTarget): Promise<NodeLiveStatus> {
    return Promise.reject(new Error(`${address}: kwok pods run no node process`));
  }
  groups({ address }: NodeTarget): Promise<GroupMembers[]> {
    return Promise.reject(new Error(`${address}: kwok pods run no node process`));
  }
  setFaults({ address }: ControlTarget, faults: FaultSetSpec): Promise<void> {
    this.pushes.push({ address, faults });
    return Promise.resolve();
  }
  release(): void {
    // No channel is held open.
  }
}

/** A running operator replica and what it did. */
export class OperatorRun {
  readonly writes: RecordedWrite[] = [];
  readonly logs: Record<string, unknown>[] = [];
  readonly nodes = new RecordingNodes();
  readonly identity: string;
  #abort = new AbortController();
  #done: Promise<void> | undefined;
  #error: unknown;
  #metricsAddress: string | undefined;
  #keyServiceAddress: string | undefined;

  private constructor(identity: string) {
    this.identity = identity;
  }

  /**
   * Starts runOperator with `kubeConfig` (the chart's ServiceAccount), health on a free port,
   * a 1 s status refresh and the given options; resolves once its health server listens.
   */
  static async start(kubeConfig: KubeConfig, identity: string, options: Partial<OperatorOptions> = {}): Promise<OperatorRun> {
    const run = new OperatorRun(identity);
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString("utf8").split("\n")) if (line !== "") run.logs.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const listening = new Promise<string>((resolve) => {
      run.#done = runOperator({
        api: recording(createKubeApi(kubeConfig), run.writes),
        identity,
        listen: "127.0.0.1:0",
        identityListen: "127.0.0.1:0",
        onIdentityListening: (address) => (run.#keyServiceAddress = address),
        statusRefreshMs: 1000,
        nodes: run.nodes,
        logger: pino({ level: "debug", base: { replica: identity } }, sink),
        signal: run.#abort.signal,
        onListening: resolve,
        ...options,
      }).catch((e: unknown) => {
        run.#error = e;
      });
    });
    run.#metricsAddress = await Promise.race([listening, run.#done!.then(() => Promise.reject(run.failure()))]);
    return run;
  }

  /** host:port of the operator's /metrics, /healthz and /readyz. */
  get metricsAddress(): string {
    if (this.#metricsAddress === undefined) throw new Error(`operator ${this.identity} is not listening`);
    return this.#metricsAddress;
  }

  /** host:port of the operator's key service. */
  get keyServiceAddress(): string {
    if (this.#keyServiceAddress === undefined) throw new Error(`operator ${this.identity}'s key service is not listening`);
    return this.#keyServiceAddress;
  }

  /** Why the operator stopped by itself, for assertions and error messages. */
  failure(): Error {
    return this.#error instanceof Error ? this.#error : new Error(`operator ${this.identity} stopped: ${String(this.#error)}`);
  }

  /** Fails when the operator has stopped by itself (an error ended runOperator). */
  assertRunning(): void {
    if (this.#error !== undefined) throw this.failure();
  }

  /** Writes other than leader-election Lease renewals. */
  objectWrites(): RecordedWrite[] {
    return this.writes.filter((w) => w.kind !== "Lease");
  }

  /** Log lines whose `msg` contains `text`. */
  logged(text: string): Record<string, unknown>[] {
    return this.logs.filter((l) => typeof l.msg === "string" && l.msg.includes(text));
  }

  /** The last warnings and errors this replica logged, for failure messages. */
  problems(count = 8): string {
    const lines = this.logs.filter((l) => typeof l.level === "number" && l.level >= 40).slice(-count);
    return lines.length === 0 ? "(no warnings or errors logged)" : lines.map((l) => JSON.stringify(l)).join("\n");
  }

  /** Sum of a counter over the label sets that contain every given label, from /metrics. */
  async counter(name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
    const res = await httpCall(`http://${this.#metricsAddress ?? ""}/metrics`, { accept: "text/plain" });
    let total = 0;
    for (const line of res.body.split("\n")) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
    return total;
  }

  /** Waits until this replica's /readyz answers 200 (caches synced, or following a leader). */
  async ready(): Promise<void> {
    await waitFor(`operator ${this.identity} /readyz`, async () => {
      this.assertRunning();
      return (await httpCall(`http://${this.#metricsAddress ?? ""}/readyz`)).status === 200 ? true : undefined;
    });
  }

  /** Graceful stop (controllers drain, a held lease is released); resolves when runOperator returned. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#done;
  }
}
