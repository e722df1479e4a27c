// SPDX-License-Identifier: Apache-2.0
/**
 * A real Kubernetes control plane on 127.0.0.1 for the operator's tests: etcd, kube-apiserver
 * (RBAC on, token authentication, ServiceAccount tokens), kube-controller-manager (StatefulSet
 * controller, garbage collector, ServiceAccounts), kube-scheduler, and kwok, which plays the
 * kubelet for fake Nodes so scheduled pods become Running and Ready. Certificates, ports and data
 * live in a fresh temporary directory; `stop()` ends every process and removes it.
 *
 * One control plane per test file, shared by its tests: start it in `before`, stop it in `after`.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { freePorts } from "../../src/local/ports.js";
import type { Binaries } from "./harness/binaries.js";
import { createPki, type Pki } from "./harness/certs.js";
import { apiServerArgs, controllerManagerArgs, etcdArgs, schedulerArgs, waitApiServerReady } from "./harness/components.js";
import { ManagedProcess, assertAllRunning, startWatchdog } from "./harness/process.js";
import { type HttpResult, Rest, httpCall } from "./harness/rest.js";
import { StopWaiting, waitFor } from "@relaylab/node/wait";

export { locateBinaries, type Binaries, type BinaryLookup } from "./harness/binaries.js";
export { waitFor, StopWaiting } from "@relaylab/node/wait";
export { ApiError, Rest, type KubeObject, type List, type Meta } from "./harness/rest.js";

/** Annotation kwok is told to manage: only Nodes carrying it get a fake kubelet. */
export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";

/** A fake Node for kwok; `labels` let DataCenter placement (nodeSelector, topology) select it. */
export interface FakeNode {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface ControlPlaneVersions {
  readonly kubeApiServer: string;
  readonly etcd: string;
}

interface Ports {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiServer: number;
  readonly scheduler: number;
  readonly controllerManager: number;
  readonly kwok: number;
}

function kubeConfigFor(server: string, caPem: string, user: string, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "relaylab-test", server, caData: Buffer.from(caPem).toString("base64"), skipTLSVerify: false }],
    users: [{ name: user, token }],
    contexts: [{ name: "relaylab-test", cluster: "relaylab-test", user }],
    currentContext: "relaylab-test",
  });
  return kc;
}

/** A running control plane; see the module comment. */
export class ControlPlane {
  readonly versions: ControlPlaneVersions;
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  readonly dir: string;
  readonly #pki: Pki;
  readonly #ports: Ports;
  readonly #adminToken: string;
  /** The binaries this control plane runs (and helm, which renders the chart under test). */
  readonly binaries: Binaries;
  readonly #processes: Map<string, ManagedProcess>;
  readonly #stopWatchdog: () => Promise<void>;
  #stopped = false;

  private constructor(init: {
    versions: ControlPlaneVersions;
    dir: string;
    pki: Pki;
    ports: Ports;
    adminToken: string;
    binaries: Binaries;
    processes: Map<string, ManagedProcess>;
    stopWatchdog: () => Promise<void>;
  }) {
    this.versions = init.versions;
    this.dir = init.dir;
    this.server = `https://127.0.0.1:${init.ports.apiServer}`;
    this.#pki = init.pki;
    this.#ports = init.ports;
    this.#adminToken = init.adminToken;
    this.binaries = init.binaries;
    this.#processes = init.processes;
    this.#stopWatchdog = init.stopWatchdog;
  }

  /**
   * Starts everything and waits until the API server is ready and kube-controller-manager has
   * created the `default` ServiceAccount. Prints `control plane: kube-apiserver vX, etcd vY`.
   */
  static async start(binaries: Binaries): Promise<ControlPlane> {
    const dir = mkdtempSync(join(tmpdir(), "relaylab-k8s-"));
    const stopWatchdog = startWatchdog(dir);
    const processes = new Map<string, ManagedProcess>();
    const abort = async (e: unknown): Promise<never> => {
      await Promise.all([...processes.values()].map((p) => p.stop()));
      await stopWatchdog();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    };
    try {
      const [etcdClient, etcdPeer, apiServer, scheduler, controllerManager, kwok] = await freePorts(6);
      const ports: Ports = {
        etcdClient: etcdClient!,
        etcdPeer: etcdPeer!,
        apiServer: apiServer!,
        scheduler: scheduler!,
        controllerManager: controllerManager!,
        kwok: kwok!,
      };
      const pki = await createPki(dir);
      const adminToken = randomBytes(24).toString("hex");
      writeFileSync(join(dir, "tokens.csv"), `${adminToken},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
      const etcd = new ManagedProcess({ name: "etcd", bin: binaries.etcd, dir, args: etcdArgs(join(dir, "etcd"), ports) });
      processes.set("etcd", etcd);
      const etcdVersion = await waitFor("etcd to answer /health", async () => {
        if (!etcd.running) throw new StopWaiting(new Error(`etcd exited:\n${etcd.logTail()}`));
        const health = await httpCall(`http://127.0.0.1:${ports.etcdClient}/health`);
        if (health.status !== 200) return undefined;
        const v = JSON.parse((await httpCall(`http://127.0.0.1:${ports.etcdClient}/version`)).body) as { etcdserver: string };
        return v.etcdserver;
      });
      const server = `https://127.0.0.1:${ports.apiServer}`;
      processes.set("kube-apiserver", startApiServer(binaries, dir, pki, ports));
      await waitApiServerReady(server, pki.caPem, adminToken, processes.get("kube-apiserver")!);
      const version = JSON.parse((await httpCall(`${server}/version`, { ca: pki.caPem, token: adminToken })).body) as { gitVersion: string };
      const kubeconfig = join(dir, "admin.kubeconfig");
      writeFileSync(kubeconfig, kubeConfigFor(server, pki.caPem, "admin", adminToken).exportConfig(), { mode: 0o600 });
      for (const [name, bin, args] of controllers(binaries, kubeconfig, pki, ports)) {
        processes.set(name, new ManagedProcess({ name, bin, args, dir, restartOnExit: true }));
      }
      const plane = new ControlPlane({
        versions: { kubeApiServer: version.gitVersion, etcd: etcdVersion },
        dir,
        pki,
        ports,
        adminToken,
        binaries,
        processes,
        stopWatchdog,
      });
      await waitFor("kube-controller-manager to create the default ServiceAccount", async () => {
        plane.assertRunning();
        return plane.admin.find("/api/v1/namespaces/default/serviceaccounts/default");
      });
      process.stdout.write(`control plane: kube-apiserver ${version.gitVersion}, etcd v${etcdVersion} (${dir})\n`);
      return plane;
    } catch (e) {
      return abort(e);
    }
  }

  /**
   * Throws (StopWaiting, so a waitFor ends at once) when a component has stopped: a dead
   * scheduler or controller manager would otherwise look like an operator that does nothing.
   */
  assertRunning(): void {
    assertAllRunning(this.#processes.values());
  }

  /** JSON REST client as the `admin` user (group system:masters): everything is allowed. */
  get admin(): Rest {
    return new Rest(this.server, this.#pki.caPem, this.#adminToken);
  }

  /** A client-node KubeConfig for the `admin` user. */
  adminKubeConfig(): KubeConfig {
    return kubeConfigFor(this.server, this.#pki.caPem, "admin", this.#adminToken);
  }

  /** A GET as admin with a chosen Accept header and the raw answer (e.g. Table output). */
  async raw(path: string, accept: string): Promise<HttpResult> {
    return httpCall(`${this.server}${path}`, { ca: this.#pki.caPem, token: this.#adminToken, accept });
  }

  /**
   * Credentials of ServiceAccount `namespace/name` (which must exist), from the TokenRequest API:
   * RBAC applies to them as it would in-cluster.
   */
  async serviceAccount(namespace: string, name: string): Promise<{ kubeConfig: KubeConfig; rest: Rest }> {
    const res = await this.admin.create<{ status?: { token?: string } }>(
      `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
      { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } },
    );
    const token = res.status?.token;
    if (!token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
    return {
      kubeConfig: kubeConfigFor(this.server, this.#pki.caPem, `system:serviceaccount:${namespace}:${name}`, token),
      rest: new Rest(this.server, this.#pki.caPem, token),
    };
  }

  /** Creates fake Nodes managed by kwok and waits until each is Ready. */
  async addNodes(nodes: readonly FakeNode[]): Promise<void> {
    const resources = { cpu: "64", memory: "256Gi", pods: "110" };
    for (const node of nodes) {
      await this.admin.create("/api/v1/nodes", {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
          name: node.name,
          labels: { "kubernetes.io/hostname": node.name, "kubernetes.io/os": "linux", type: "kwok", ...node.labels },
          annotations: { [KWOK_NODE_ANNOTATION]: "fake" },
        },
        status: { allocatable: resources, capacity: resources },
      });
    }
    await waitFor(`kwok to mark nodes ${nodes.map((n) => n.name).join(", ")} Ready`, async () => {
      this.assertRunning();
      for (const node of nodes) {
        const n = await this.admin.get<{ status?: { conditions?: { type: string; status: string }[] } }>(`/api/v1/nodes/${node.name}`);
        if (n.status?.conditions?.find((c) => c.type === "Ready")?.status !== "True") return undefined;
      }
      return true;
    });
  }

  /**
   * Stops kube-apiserver and starts it again on the same port (etcd keeps the data); resolves
   * once it is ready. Clients see connection errors, then a fresh watch cache.
   */
  async restartApiServer(): Promise<void> {
    await this.#processes.get("kube-apiserver")?.stop();
    const apiServer = startApiServer(this.binaries, this.dir, this.#pki, this.#ports);
    this.#processes.set("kube-apiserver", apiServer);
    await waitApiServerReady(this.server, this.#pki.caPem, this.#adminToken, apiServer);
  }

  /**
   * Compacts etcd up to its current revision: a watch that resumes from an older
   * resourceVersion after an API server restart then gets 410 Gone. Returns that revision.
   */
  async compactEtcd(): Promise<number> {
    const base = `http://127.0.0.1:${this.#ports.etcdClient}/v3/kv`;
    const range = await httpCall(`${base}/range`, { method: "POST", body: JSON.stringify({ key: Buffer.from("/").toString("base64"), limit: 1 }) });
    const revision = Number((JSON.parse(range.body) as { header: { revision: string } }).header.revision);
    const compacted = await httpCall(`${base}/compaction`, { method: "POST", body: JSON.stringify({ revision, physical: true }) });
    if (compacted.status !== 200) throw new Error(`etcd compaction failed: ${compacted.status} ${compacted.body}`);
    return revision;
  }

  /** Stops every process (controllers first, etcd last) and removes the directory. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const order = ["kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"];
    for (const name of order) await this.#processes.get(name)?.stop();
    await this.#stopWatchdog();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function startApiServer(binaries: Binaries, dir: string, pki: Pki, ports: Ports): ManagedProcess {
  const args = apiServerArgs(join(dir, "tokens.csv"), pki, ports);
  return new ManagedProcess({ name: "kube-apiserver", bin: binaries.kubeApiServer, dir, args });
}

/** kube-controller-manager, kube-scheduler and kwok, all as admin (no leader election: one of each). */
function controllers(binaries: Binaries, kubeconfig: string, pki: Pki, ports: Ports): [string, string, string[]][] {
  return [
    ["kube-controller-manager", binaries.kubeControllerManager, controllerManagerArgs(kubeconfig, pki, ports.controllerManager)],
    ["kube-scheduler", binaries.kubeScheduler, schedulerArgs(kubeconfig, ports.scheduler)],
    [
      "kwok",
      binaries.kwok,
      [
        `--kubeconfig=${kubeconfig}`,
        `--config=${binaries.kwokStages}`,
        // Heartbeats through node Leases, so kube-controller-manager never marks a fake node NotReady.
        "--node-lease-duration-seconds=40",
        "--manage-all-nodes=false",
        `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
        `--server-address=127.0.0.1:${ports.kwok}`,
        "--cidr=10.16.0.0/16",
        "--node-ip=10.15.0.1",
      ],
    ],
  ];
}
