// SPDX-License-Identifier: Apache-2.0
/**
 * A real single-node Kubernetes cluster on this machine, every component a host process (the
 * shape of Kubernetes' hack/local-up-cluster.sh): etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler, containerd with runc and the CNI bridge, the kubelet, kube-proxy (iptables) and
 * CoreDNS behind a selector-less kube-dns Service. Pods run real containers from OCI archives
 * imported into containerd. All of it lives in a network namespace of its own (see
 * harness/layout.ts); `stop()` runs bin/teardown.sh and reports what, if anything, is left on the
 * host. One cluster per machine at a time (harness/lock.ts).
 *
 * From a test: `const cluster = await Cluster.start(binaries, { images: [archive, …] })`, then
 * `cluster.admin` (JSON REST as system:masters), `cluster.adminKubeConfig()` (client-node),
 * `cluster.kubeconfigFile` (kubectl, helm), and finally `await cluster.stop()`.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { KubeConfig } from "@kubernetes/client-node";
import { createPki, type Pki } from "../k8s/harness/certs.js";
import { apiServerArgs, controllerManagerArgs, etcdArgs, schedulerArgs, waitApiServerReady } from "../k8s/harness/components.js";
import { ManagedProcess, assertAllRunning } from "../k8s/harness/process.js";
import { Rest, httpCall } from "../k8s/harness/rest.js";
import { StopWaiting, waitFor } from "@relaylab/node/wait";
import type { ClusterBinaries } from "./harness/binaries.js";
import { COREDNS_USER, cniConfig, containerdConfig, coreDnsRbac, corefile, kubeDnsObjects, kubeProxyConfig, kubeletConfig } from "./harness/configs.js";
import { assertFree, createCgroupRoot, createNodeNetwork, type HostSnapshot, hostSnapshot, leftovers, sh, writeTeardownState } from "./harness/host.js";
import { archiveImageNames, importImages } from "./harness/images.js";
import { clusterLayout, type ClusterLayout, type LayoutOptions } from "./harness/layout.js";
import { LOCK_DIR, acquireClusterLock, type ClusterLock } from "./harness/lock.js";

export { locateClusterBinaries, type ClusterBinaries, type ClusterLookup } from "./harness/binaries.js";
export type { ClusterLayout } from "./harness/layout.js";

const TEARDOWN = new URL("bin/teardown.sh", import.meta.url).pathname;
/** The context name in every kubeconfig the harness writes (CoreDNS's Corefile names it). */
export const KUBECONFIG_CONTEXT = "relaylab-cluster";

export interface ClusterOptions extends LayoutOptions {
  /** OCI archives to import besides the pause and probe images (e.g. the node and operator images). */
  readonly images?: readonly string[];
  /** How long to wait for another suite's cluster to go; default 20 min. */
  readonly lockTimeoutMs?: number;
}

export interface ClusterVersions {
  readonly kubelet: string;
  readonly containerd: string;
  readonly runc: string;
  readonly coredns: string;
}

export interface StopReport {
  readonly seconds: number;
  /** What teardown left on the host (interfaces, chains, mounts, processes, …); empty when clean. */
  readonly leftovers: readonly string[];
}

interface Identity {
  readonly user: string;
  readonly groups?: string;
  readonly token: string;
}

function kubeconfigFile(file: string, server: string, caFile: string, identity: Identity): string {
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: KUBECONFIG_CONTEXT, cluster: { server, "certificate-authority": caFile } }],
    users: [{ name: identity.user, user: { token: identity.token } }],
    contexts: [{ name: KUBECONFIG_CONTEXT, context: { cluster: KUBECONFIG_CONTEXT, user: identity.user } }],
    "current-context": KUBECONFIG_CONTEXT,
  };
  writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
  return file;
}

/** A running cluster; see the module comment. */
export class Cluster {
  readonly layout: ClusterLayout;
  readonly binaries: ClusterBinaries;
  /** `https://<node IP>:6443`, reachable from the host. */
  readonly server: string;
  /** Admin kubeconfig (token, CA file) for kubectl and helm. */
  readonly kubeconfigFile: string;
  /** The suite's probe image (serve, resolve, get, alloc; see go/probe/main.go). */
  readonly probeImage: string;
  versions!: ClusterVersions;
  /** Milliseconds from `start` until the node was Ready with DNS and kube-proxy up. */
  startMs = 0;
  readonly #pki: Pki;
  readonly #admin: Identity;
  readonly #before: HostSnapshot;
  readonly #stateFile: string;
  readonly #lock: ClusterLock;
  readonly #processes = new Map<string, ManagedProcess>();
  #stopped = false;

  private constructor(init: {
    layout: ClusterLayout;
    binaries: ClusterBinaries;
    pki: Pki;
    admin: Identity;
    before: HostSnapshot;
    stateFile: string;
    lock: ClusterLock;
    kubeconfigFile: string;
    probeImage: string;
  }) {
    this.layout = init.layout;
    this.binaries = init.binaries;
    this.server = `https://${init.layout.nodeIp}:${init.layout.ports.apiServer}`;
    this.kubeconfigFile = init.kubeconfigFile;
    this.probeImage = init.probeImage;
    this.#pki = init.pki;
    this.#admin = init.admin;
    this.#before = init.before;
    this.#stateFile = init.stateFile;
    this.#lock = init.lock;
  }

  /**
   * Takes the machine's cluster lock, builds the node's network, starts every component, imports
   * the images and waits until the node is Ready, CoreDNS answers and kube-proxy is healthy.
   * Prints `cluster: kubelet vX, containerd vY, runc Z, coredns W (…)`. On failure, everything
   * started so far is torn down before the error is thrown.
   */
  static async start(binaries: ClusterBinaries, options: ClusterOptions = {}): Promise<Cluster> {
    const t0 = performance.now();
    const name = options.name ?? "relaylab-cluster";
    const stateFile = join(LOCK_DIR, `${name}.state`);
    const lock = await acquireClusterLock(stateFile, options.lockTimeoutMs ?? 20 * 60_000);
    let cluster: Cluster | undefined;
    try {
      // A state file still here means a run that died before its teardown finished.
      await sh("bash", [TEARDOWN, stateFile]);
      const dir = mkdtempSync(join(tmpdir(), "relaylab-cluster-"));
      const layout = clusterLayout(dir, options);
      const before = await hostSnapshot();
      assertFree(layout, before);
      writeTeardownState(stateFile, layout, before, { ctr: binaries.ctr, kubeProxy: binaries.kubeProxy });
      const apiNames = ["kubernetes", "kubernetes.default", "kubernetes.default.svc", `kubernetes.default.svc.${layout.clusterDomain}`];
      const pki = await createPki(dir, {
        serverNames: [...apiNames.map((n) => `DNS:${n}`), `IP:${layout.nodeIp}`, `IP:${layout.apiServiceIp}`],
        clients: [{ name: "apiserver-kubelet-client", subject: "/O=system:masters/CN=kube-apiserver-kubelet-client" }],
      });
      const admin: Identity = { user: "admin", groups: "system:masters", token: randomBytes(24).toString("hex") };
      const [probeImage] = await archiveImageNames(binaries.probeArchive);
      cluster = new Cluster({
        layout,
        binaries,
        pki,
        admin,
        before,
        stateFile,
        lock,
        kubeconfigFile: join(dir, "admin.kubeconfig"),
        probeImage: probeImage!,
      });
      await cluster.#boot(options.images ?? []);
      cluster.startMs = performance.now() - t0;
      const v = cluster.versions;
      process.stdout.write(
        `cluster: kubelet ${v.kubelet}, containerd ${v.containerd}, runc ${v.runc}, coredns ${v.coredns} ` +
          `(node ${layout.nodeIp}, ready in ${(cluster.startMs / 1000).toFixed(1)} s, ${dir})\n`,
      );
      return cluster;
    } catch (e) {
      if (cluster) {
        await cluster.stop().catch(() => undefined);
      } else {
        await sh("bash", [TEARDOWN, stateFile]).catch(() => undefined);
        await lock.release();
      }
      throw e;
    }
  }

  async #boot(images: readonly string[]): Promise<void> {
    const { layout, binaries } = this;
    const { paths } = layout;
    await createNodeNetwork(layout);
    createCgroupRoot(layout);
    for (const d of [paths.cniConfDir, paths.podLogs, paths.kubeletRoot, join(layout.dir, "containerd")]) mkdirSync(d, { recursive: true });

    const identities: Identity[] = [
      this.#admin,
      { user: `system:node:${layout.nodeName}`, groups: "system:nodes", token: randomBytes(24).toString("hex") },
      { user: "system:kube-proxy", token: randomBytes(24).toString("hex") },
      { user: COREDNS_USER, token: randomBytes(24).toString("hex") },
    ];
    writeFileSync(
      paths.tokens,
      identities.map((i, n) => `${i.token},${i.user},uid-${n}${i.groups ? `,"${i.groups}"` : ""}\n`).join(""),
      { mode: 0o600 },
    );
    const [adminKc, kubeletKc, proxyKc, dnsKc] = identities.map((identity, n) =>
      kubeconfigFile(n === 0 ? this.kubeconfigFile : join(layout.dir, `${identity.user.replaceAll(":", "-")}.kubeconfig`), this.server, this.#pki.caFile, identity),
    );

    this.#start("etcd", binaries.etcd, etcdArgs(paths.etcdData, layout.ports));
    const kubelet = this.#pki.clients["apiserver-kubelet-client"]!;
    const apiServer = this.#start(
      "kube-apiserver",
      binaries.kubeApiServer,
      apiServerArgs(paths.tokens, this.#pki, layout.ports, {
        bindAddress: "0.0.0.0",
        advertiseAddress: layout.nodeIp,
        serviceCidr: layout.serviceCidr,
        authorizationModes: ["Node", "RBAC"],
        extraArgs: [
          "--enable-admission-plugins=NodeRestriction",
          `--kubelet-client-certificate=${kubelet.certFile}`,
          `--kubelet-client-key=${kubelet.keyFile}`,
          "--kubelet-preferred-address-types=InternalIP",
        ],
      }),
    );
    await waitApiServerReady(this.server, this.#pki.caPem, this.#admin.token, apiServer);
    this.#start("kube-controller-manager", binaries.kubeControllerManager, controllerManagerArgs(adminKc!, this.#pki, layout.ports.controllerManager), true);
    this.#start("kube-scheduler", binaries.kubeScheduler, schedulerArgs(adminKc!, layout.ports.scheduler), true);

    const rbac = coreDnsRbac();
    await this.admin.create("/apis/rbac.authorization.k8s.io/v1/clusterroles", rbac.clusterRole);
    await this.admin.create("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", rbac.binding);
    const dns = kubeDnsObjects(layout);
    await this.admin.create("/api/v1/namespaces/kube-system/services", dns.service);
    await this.admin.create("/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices", dns.endpointSlice);

    const pauseImage = (await archiveImageNames(binaries.pauseArchive))[0]!;
    writeFileSync(paths.containerdConfig, containerdConfig(layout, pauseImage, binaries.runc));
    writeFileSync(join(paths.cniConfDir, `10-${layout.cniNetwork}.conflist`), JSON.stringify(cniConfig(layout), null, 2));
    // containerd finds its shim by name on PATH, next to itself.
    const containerd = this.#start("containerd", binaries.containerd, ["--config", paths.containerdConfig], false, {
      PATH: `${join(binaries.containerd, "..")}:${process.env.PATH ?? ""}`,
    });
    await waitFor("containerd to answer", async () => {
      if (!containerd.running) throw new StopWaiting(new Error(`containerd exited:\n${containerd.logTail()}`));
      await sh(binaries.ctr, ["--address", paths.containerdSocket, "version"]);
      return true;
    });
    await importImages(binaries.ctr, paths.containerdSocket, [binaries.pauseArchive, binaries.probeArchive, ...images]);

    writeFileSync(paths.kubeletConfig, JSON.stringify(kubeletConfig(layout, this.#pki.caFile), null, 2));
    writeFileSync(paths.proxyConfig, JSON.stringify(kubeProxyConfig(layout, proxyKc!), null, 2));
    writeFileSync(paths.corefile, corefile(layout, dnsKc!, KUBECONFIG_CONTEXT));
    this.#start("kubelet", binaries.kubelet, [
      `--config=${paths.kubeletConfig}`,
      `--kubeconfig=${kubeletKc!}`,
      `--root-dir=${paths.kubeletRoot}`,
      `--node-ip=${layout.nodeIp}`,
      `--hostname-override=${layout.nodeName}`,
    ]);
    this.#start("kube-proxy", binaries.kubeProxy, [`--config=${paths.proxyConfig}`]);
    this.#start("coredns", binaries.coredns, ["-conf", paths.corefile]);

    const node = await this.#withLogs(["kubelet", "containerd"], () =>
      waitFor(`node ${layout.nodeName} to be Ready`, async () => {
        this.assertRunning();
        const n = await this.admin.find<NodeObject>(`/api/v1/nodes/${layout.nodeName}`);
        return n?.status?.conditions?.find((c) => c.type === "Ready")?.status === "True" ? n : undefined;
      }),
    );
    await waitFor("the default ServiceAccount", async () => {
      this.assertRunning();
      return this.admin.find("/api/v1/namespaces/default/serviceaccounts/default");
    });
    const healthy = async (what: string, url: string): Promise<void> => {
      await waitFor(what, async () => {
        this.assertRunning();
        return (await httpCall(url, { timeoutMs: 5000 })).status === 200 ? true : undefined;
      });
    };
    await this.#withLogs(["coredns"], () => healthy("CoreDNS /ready", `http://${layout.nodeIp}:${layout.ports.dnsReady}/ready`));
    await this.#withLogs(["kube-proxy"], () => healthy("kube-proxy /healthz", `http://${layout.nodeIp}:${layout.ports.proxyHealthz}/healthz`));

    const info = node.status?.nodeInfo;
    this.versions = {
      kubelet: info?.kubeletVersion ?? "?",
      containerd: (info?.containerRuntimeVersion ?? "?").replace(/^containerd:\/\//, ""),
      runc: (await sh(binaries.runc, ["--version"])).match(/runc version (\S+)/)?.[1] ?? "?",
      coredns: (await sh(binaries.coredns, ["-version"])).match(/CoreDNS-(\S+)/)?.[1] ?? "?",
    };
  }

  /** Runs `wait`; when it fails, the error carries the last log lines of `components` (the directory goes with teardown). */
  async #withLogs<T>(components: readonly string[], wait: () => Promise<T>): Promise<T> {
    try {
      return await wait();
    } catch (e) {
      const tails = components.map((c) => `--- ${c}:\n${this.#processes.get(c)?.logTail(40) ?? "(not started)"}`).join("\n");
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${tails}`, { cause: e });
    }
  }

  /** Starts a component inside the node's network namespace. */
  #start(name: string, bin: string, args: readonly string[], restartOnExit = false, env?: Record<string, string>): ManagedProcess {
    const nsArgs = [`--net=${this.layout.netnsPath}`, "--", ...(env ? ["env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`)] : []), bin, ...args];
    const p = new ManagedProcess({ name, bin: "nsenter", args: nsArgs, dir: this.layout.dir, restartOnExit });
    this.#processes.set(name, p);
    return p;
  }

  /** Throws (StopWaiting, so a waitFor ends at once) when a component has stopped. */
  assertRunning(): void {
    assertAllRunning(this.#processes.values());
  }

  /** JSON REST client as the `admin` user (group system:masters). */
  get admin(): Rest {
    return new Rest(this.server, this.#pki.caPem, this.#admin.token);
  }

  /** A client-node KubeConfig for the `admin` user. */
  adminKubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfigFile);
    return kc;
  }

  /** The log of a pod's container, read through kube-apiserver from the kubelet. */
  async podLog(namespace: string, pod: string, container?: string): Promise<string> {
    const query = container ? `?container=${encodeURIComponent(container)}` : "";
    const res = await httpCall(`${this.server}/api/v1/namespaces/${namespace}/pods/${pod}/log${query}`, {
      ca: this.#pki.caPem,
      token: this.#admin.token,
      accept: "*/*",
    });
    if (res.status !== 200) throw new Error(`log of ${namespace}/${pod}: HTTP ${res.status} ${res.body}`);
    return res.body;
  }

  /** Imports more OCI archives into containerd; resolves to their image names. */
  async importImages(archives: readonly string[]): Promise<string[]> {
    return importImages(this.binaries.ctr, this.layout.paths.containerdSocket, archives);
  }

  /** Resident memory of each component (and of all containerd shims together), in MiB. */
  async memoryMiB(): Promise<Record<string, number>> {
    const rss = async (pid: string): Promise<number> => {
      const status = await sh("cat", [`/proc/${pid}/status`]).catch(() => "");
      return Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024;
    };
    const out: Record<string, number> = {};
    for (const name of this.#processes.keys()) {
      const pid = await sh("cat", [join(this.layout.dir, "pids", name)]).catch(() => "");
      if (pid.trim()) out[name] = Math.round(await rss(pid.trim()));
    }
    const shims = (await sh("pgrep", ["-f", "--", `-address ${this.layout.paths.containerdSocket}`]).catch(() => "")).split("\n").filter((p) => p);
    let shimTotal = 0;
    for (const pid of shims) shimTotal += await rss(pid);
    out["containerd-shims"] = Math.round(shimTotal);
    return out;
  }

  /**
   * Stops every component, removes containers, mounts, cgroups, iptables chains, the network
   * namespace and the directory, restores the sysctls, releases the lock, and reports what is
   * left on the host compared with before `start`. Idempotent.
   */
  async stop(): Promise<StopReport> {
    if (this.#stopped) return { seconds: 0, leftovers: [] };
    this.#stopped = true;
    const t0 = performance.now();
    try {
      for (const name of ["kubelet", "kube-proxy", "coredns", "kube-scheduler", "kube-controller-manager"]) await this.#processes.get(name)?.stop();
      const teardownError = await sh("bash", [TEARDOWN, this.#stateFile]).then(
        () => undefined,
        (e: unknown) => (e instanceof Error ? e.message : "unknown error"),
      );
      for (const p of this.#processes.values()) await p.stop();
      const seconds = (performance.now() - t0) / 1000;
      const left = await leftovers(this.layout, this.#before);
      if (teardownError !== undefined) left.unshift(`teardown.sh failed: ${teardownError}`);
      return { seconds, leftovers: left };
    } finally {
      await this.#lock.release();
    }
  }
}

interface NodeObject {
  status?: {
    conditions?: { type: string; status: string }[];
    nodeInfo?: { kubeletVersion?: string; containerRuntimeVersion?: string };
  };
}
