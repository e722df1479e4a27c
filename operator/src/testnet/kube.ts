// SPDX-License-Identifier: Apache-2.0
/**
 * The testnet port over a Subnet on Kubernetes: its nodes are the Subnet's pods, reached at their
 * pod IPs (so this process must be able to route to the pod network: the operator, or a host on
 * the cluster's network).
 *
 * - The genesis is the one the operator wrote to the Subnet's ConfigMap; the baseline faults are
 *   computed from the Subnet and its DataCenters with the operator's own pure code (faultSetFor).
 * - `crash` asks the node's Control API to exit: the container's process dies at once, as in a
 *   crash, and the pod stays, so the node keeps its pod IP, identity Secret and data volume.
 * - `restart` waits until the kubelet runs the container again (its restart count went up, or the
 *   pod was replaced by the StatefulSet under the same name, hence the same identity).
 * - `setFaults` (and so pause and the network faults) goes to the node's Control API. The operator
 *   pushes a Subnet's baseline faults only when its desired set changes or a node reports none
 *   (a restarted node); the chaos engine always sends the baseline plus its own overlays, so the
 *   two compose: whichever push lands last, the baseline is in it. One window remains: right after
 *   a node restarts, the operator (seeing it report no faults) may push the bare baseline after the
 *   engine's push, and that node runs without the engine's overlays until the engine's next push.
 * - The kubelet runs a crashed container again at once (restartPolicy Always), so on Kubernetes a
 *   node is down for as long as its container takes to restart, not for a crash step's `for`;
 *   the step's end then only waits for the node to run again.
 *
 * Experiments count rounds from the genesis, as a local run does: run them on a new Subnet,
 * connected before its DKG finishes (see `connect`).
 */
import { type Genesis, parseGenesisJson } from "@relaylab/node/config";
import { type DataCenter, DATACENTER_KIND, API_VERSION, resolveSubnetSpec, type Subnet, SUBNET_KIND } from "../api/index.js";
import { type FaultSetSpec, faultSetFor } from "../genesis/index.js";
import { genesisConfigMapName, identitySecretName, LABEL_DATA_CENTER, LABEL_POD_INDEX, LABEL_SUBNET, PORTS } from "../resources/names.js";
import { decodeSubnetKeys } from "../resources/index.js";
import type { KubeApi, KubeObject } from "../operator/runtime/kube.js";
import { NodeClient, pushFaults } from "@relaylab/node/client";
import { TestnetObserver } from "../local/observer.js";
import { CONTROL_CALL_DEADLINE_MS, type NodeEndpoints } from "../local/run-dir.js";
import type { TestnetPort } from "./port.js";

export interface KubeProviderOptions {
  /** How long `connect` waits for every node pod to have an IP. @default 300000 */
  readonly podsTimeoutMs?: number;
  /** How long `crash` and `restart` wait for the kubelet to report the change. @default 120000 */
  readonly podTimeoutMs?: number;
  /** Poll interval of pod state. @default 250 */
  readonly pollMs?: number;
  /** Stops `connect` waiting for the pods (it then throws). */
  readonly signal?: AbortSignal;
}

interface Pod extends KubeObject {
  status?: {
    podIP?: string;
    containerStatuses?: { restartCount?: number; state?: { running?: object } }[];
  };
}

/** Which incarnation of a node's container runs: a new pod UID or a higher restart count is a new one. */
interface Incarnation {
  readonly uid: string;
  readonly restarts: number;
}

const incarnationOf = (pod: Pod): Incarnation => ({ uid: pod.metadata.uid ?? "", restarts: Math.max(0, ...(pod.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0)) });
const runningNow = (pod: Pod): boolean => (pod.status?.containerStatuses ?? []).length > 0 && (pod.status?.containerStatuses ?? []).every((c) => c.state?.running !== undefined);
const isLater = (now: Incarnation, then: Incarnation): boolean => now.uid !== then.uid || now.restarts > then.restarts;

export class KubeProvider implements TestnetPort {
  readonly genesis: Genesis;
  readonly endpoints: readonly NodeEndpoints[];
  readonly observer: TestnetObserver;
  readonly logs: string;
  readonly #api: KubeApi;
  readonly #namespace: string;
  readonly #subnet: string;
  readonly #podNames: ReadonlyMap<number, string>;
  readonly #baseline: readonly FaultSetSpec[];
  readonly #controls = new Map<number, NodeClient>();
  readonly #controlKey: Uint8Array;
  /** Nodes crashed by `crash`, with the incarnation that was killed, until `restart`. */
  readonly #crashed = new Map<number, Incarnation>();
  readonly #podTimeoutMs: number;
  readonly #pollMs: number;

  private constructor(api: KubeApi, namespace: string, subnet: string, genesis: Genesis, pods: readonly Pod[], baseline: FaultSetSpec[], options: KubeProviderOptions, controlKey: Uint8Array) {
    this.#api = api;
    this.#controlKey = controlKey;
    this.#namespace = namespace;
    this.#subnet = subnet;
    this.genesis = genesis;
    this.#baseline = baseline;
    this.#podTimeoutMs = options.podTimeoutMs ?? 120_000;
    this.#pollMs = options.pollMs ?? 250;
    const byIndex = new Map(pods.map((p) => [Number(p.metadata.labels?.[LABEL_POD_INDEX]), p]));
    this.#podNames = new Map([...byIndex].map(([i, p]) => [i, p.metadata.name ?? ""]));
    this.endpoints = genesis.nodes.map((n, index) => {
      const at = (port: number): string => `${byIndex.get(index)?.status?.podIP ?? ""}:${port}`;
      return { index, dataCenter: n.dataCenter, grpc: at(PORTS.peer), control: at(PORTS.control), metrics: at(PORTS.metrics), certificate: n.certificate };
    });
    this.observer = new TestnetObserver(this.endpoints, genesis.seed);
    this.logs = `kubectl logs -n ${namespace} -l ${LABEL_SUBNET}=${subnet}`;
  }

  /**
   * Reads the Subnet, its genesis ConfigMap and DataCenters, and waits until every node's pod has
   * an IP. Throws with what is missing when the Subnet or its genesis does not exist.
   */
  static async connect(api: KubeApi, namespace: string, subnet: string, options: KubeProviderOptions = {}): Promise<KubeProvider> {
    const object = await api.get<Subnet>({ apiVersion: API_VERSION, kind: SUBNET_KIND, namespace, name: subnet });
    if (object === undefined) throw new Error(`Subnet ${namespace}/${subnet} does not exist`);
    const pollMs = options.pollMs ?? 250;
    const until = Date.now() + (options.podsTimeoutMs ?? 300_000);
    let genesis: Genesis | undefined;
    let pods: Pod[] = [];
    for (;;) {
      const configMap = await api.get<KubeObject & { data?: Record<string, string> }>({ apiVersion: "v1", kind: "ConfigMap", namespace, name: genesisConfigMapName(subnet) });
      const text = configMap?.data?.["genesis.json"];
      genesis = text === undefined ? undefined : parseGenesisJson(text);
      if (genesis !== undefined) {
        pods = (await api.list<Pod>("v1", "Pod", { namespace, labelSelector: `${LABEL_SUBNET}=${subnet}` })).items.filter((p) => p.metadata.deletionTimestamp === undefined);
        const withIp = new Set(pods.filter((p) => p.status?.podIP).map((p) => Number(p.metadata.labels?.[LABEL_POD_INDEX])));
        if (genesis.nodes.every((_, i) => withIp.has(i))) break;
      }
      if (options.signal?.aborted === true) throw new Error(`stopped waiting for the pods of Subnet ${namespace}/${subnet}`);
      if (Date.now() > until) {
        throw new Error(genesis === undefined ? `Subnet ${namespace}/${subnet} has no genesis ConfigMap ${genesisConfigMapName(subnet)} yet: is the operator running?` : `not every node pod of Subnet ${namespace}/${subnet} has an IP (${pods.length} pods of ${genesis.nodes.length} nodes)`);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    const spec = resolveSubnetSpec(object.spec);
    const names = [...new Set(genesis.nodes.map((n) => n.dataCenter))];
    const dataCenters = await Promise.all(names.map((name) => api.get<DataCenter>({ apiVersion: API_VERSION, kind: DATACENTER_KIND, name })));
    const spanned = dataCenters.filter((dc): dc is DataCenter => dc !== undefined);
    if (spanned.length !== names.length) throw new Error(`the DataCenters of Subnet ${namespace}/${subnet} (${names.join(", ")}) do not all exist`);
    const byName = new Map(spanned.map((dc) => [dc.metadata.name ?? "", dc]));
    const baseline = genesis.nodes.map((n, i) => faultSetFor(i, spec.nodes, byName.get(n.dataCenter) as DataCenter, spanned, spec.byzantine));
    for (const p of pods) {
      const dc = p.metadata.labels?.[LABEL_DATA_CENTER];
      const index = Number(p.metadata.labels?.[LABEL_POD_INDEX]);
      if (dc !== undefined && genesis.nodes[index] !== undefined && genesis.nodes[index].dataCenter !== dc) {
        throw new Error(`pod ${p.metadata.name ?? ""} runs in data center ${dc}, but the genesis puts node ${index} in ${genesis.nodes[index].dataCenter}: the Subnet is changing, try again`);
      }
    }
    // The Control API obeys only the Subnet's control key, which the operator keeps in the identity Secret.
    const secret = await api.get<KubeObject & { data?: Record<string, string> }>({ apiVersion: "v1", kind: "Secret", namespace, name: identitySecretName(subnet) });
    const controlKey = decodeSubnetKeys(secret?.data).control;
    if (controlKey === undefined) throw new Error(`Secret ${namespace}/${identitySecretName(subnet)} holds no control key: is the operator running, and may you read Secrets in ${namespace}?`);
    return new KubeProvider(api, namespace, subnet, genesis, pods, baseline, options, Buffer.from(controlKey, "hex"));
  }

  /** The Subnet runs already; there is nothing to start. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Stops following the nodes; the Subnet keeps running. */
  stop(): Promise<void> {
    this.observer.stop();
    for (const c of this.#controls.values()) c.close();
    this.#controls.clear();
    return Promise.resolve();
  }

  running(): number[] {
    return this.endpoints.map((e) => e.index).filter((i) => !this.#crashed.has(i));
  }

  async crash(index: number): Promise<void> {
    const before = incarnationOf(await this.#pod(index));
    this.#crashed.set(index, before);
    // The node exits before it can answer: a broken call is the expected outcome.
    await this.#control(index).crash(137).catch(() => undefined);
    await this.#waitForPod(index, (p) => p === undefined || isLater(incarnationOf(p), before) || !runningNow(p), "to go down");
  }

  async restart(index: number): Promise<void> {
    const killed = this.#crashed.get(index);
    if (killed === undefined) return;
    await this.#waitForPod(index, (p) => p !== undefined && isLater(incarnationOf(p), killed) && runningNow(p), "to run again");
    this.#crashed.delete(index);
  }

  baselineFaults(index: number): FaultSetSpec {
    const f = this.#baseline[index];
    if (!f) throw new Error(`no node ${index} in Subnet ${this.#namespace}/${this.#subnet}`);
    return f;
  }

  async setFaults(index: number, faults: FaultSetSpec): Promise<void> {
    await pushFaults(this.#control(index), index, faults);
  }

  /** Only the node's pod holds its key (fetched from the operator's key service). */
  identitySecret(): undefined {
    return undefined;
  }

  #podName(index: number): string {
    const name = this.#podNames.get(index);
    if (name === undefined) throw new Error(`no node ${index} in Subnet ${this.#namespace}/${this.#subnet} (it has ${this.endpoints.length})`);
    return name;
  }

  async #pod(index: number): Promise<Pod> {
    const pod = await this.#api.get<Pod>({ apiVersion: "v1", kind: "Pod", namespace: this.#namespace, name: this.#podName(index) });
    if (pod === undefined) throw new Error(`pod ${this.#podName(index)} of node ${index} does not exist`);
    return pod;
  }

  async #waitForPod(index: number, done: (pod: Pod | undefined) => boolean, what: string): Promise<void> {
    const name = this.#podName(index);
    const until = Date.now() + this.#podTimeoutMs;
    for (;;) {
      const pod = await this.#api.get<Pod>({ apiVersion: "v1", kind: "Pod", namespace: this.#namespace, name });
      if (done(pod)) return;
      if (Date.now() > until) throw new Error(`pod ${name} (node ${index}) did not ${what.replace(/^to /, "")} within ${this.#podTimeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, this.#pollMs));
    }
  }

  #control(index: number): NodeClient {
    let c = this.#controls.get(index);
    if (!c) {
      const e = this.endpoints[index];
      if (!e) throw new Error(`no node ${index} in Subnet ${this.#namespace}/${this.#subnet} (it has ${this.endpoints.length})`);
      c = new NodeClient({ control: e.control, certificate: e.certificate }, { controlAuth: { secretKey: this.#controlKey, node: index }, deadlineMs: CONTROL_CALL_DEADLINE_MS });
      this.#controls.set(index, c);
    }
    return c;
  }
}
