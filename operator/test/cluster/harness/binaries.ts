// SPDX-License-Identifier: Apache-2.0
/**
 * Finds what the real single-node cluster runs: the control plane, kubelet and kube-proxy from
 * the k8s build cache, containerd, CoreDNS and the pause/probe images from the cluster build cache
 * (bin/build.sh builds what is missing when Go is available), and runc, the CNI plugins and
 * iptables from the host's Debian packages. The cluster needs root. When something cannot be had,
 * the suite skips loudly, except under CI=true, where a skipped suite would hide a broken setup.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { executable, runBuildScript } from "../../k8s/harness/binaries.js";

const run = promisify(execFile);
const BUILD_SCRIPT = fileURLToPath(new URL("../bin/build.sh", import.meta.url));

/** Debian's runc and containernetworking-plugins put them here. */
export const RUNC = "/usr/sbin/runc";
export const CNI_BIN_DIR = "/usr/lib/cni";
const CNI_PLUGINS = ["bridge", "host-local", "loopback", "portmap"] as const;
const HOST_TOOLS = ["ip", "iptables", "iptables-save", "iptables-restore", "nsenter", "flock", "sysctl", "openssl"] as const;

export interface ClusterBinaries {
  readonly etcd: string;
  readonly kubeApiServer: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kubectl: string;
  readonly helm: string;
  readonly kubelet: string;
  readonly kubeProxy: string;
  readonly containerd: string;
  readonly containerdShim: string;
  readonly ctr: string;
  readonly coredns: string;
  readonly runc: string;
  /** OCI archive of the pod sandbox image (pinned in containerd's config). */
  readonly pauseArchive: string;
  /** OCI archive of the suite's probe image (serve, resolve, get, alloc). */
  readonly probeArchive: string;
}

export type ClusterLookup = { readonly binaries: ClusterBinaries } | { readonly skip: string };

async function onPath(tool: string): Promise<boolean> {
  try {
    await run("sh", ["-c", `command -v ${tool}`]);
    return true;
  } catch {
    return false;
  }
}

/** What the host lacks for a real cluster, as instructions; empty when nothing. */
export async function missingHostParts(): Promise<string[]> {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root (the kubelet, containerd and the network namespace need it)");
  if (!executable(RUNC)) missing.push(`${RUNC} (apt-get install runc)`);
  const plugins = CNI_PLUGINS.filter((p) => !executable(join(CNI_BIN_DIR, p)));
  if (plugins.length > 0) missing.push(`${plugins.map((p) => join(CNI_BIN_DIR, p)).join(", ")} (apt-get install containernetworking-plugins)`);
  for (const tool of HOST_TOOLS) if (!(await onPath(tool))) missing.push(`${tool} (apt-get install iptables iproute2 util-linux procps openssl)`);
  return missing;
}

function fromDirs(k8sBin: string, clusterBin: string, images: string): ClusterBinaries {
  return {
    etcd: join(k8sBin, "etcd"),
    kubeApiServer: join(k8sBin, "kube-apiserver"),
    kubeControllerManager: join(k8sBin, "kube-controller-manager"),
    kubeScheduler: join(k8sBin, "kube-scheduler"),
    kubectl: join(k8sBin, "kubectl"),
    helm: join(k8sBin, "helm"),
    kubelet: join(k8sBin, "kubelet"),
    kubeProxy: join(k8sBin, "kube-proxy"),
    containerd: join(clusterBin, "containerd"),
    containerdShim: join(clusterBin, "containerd-shim-runc-v2"),
    ctr: join(clusterBin, "ctr"),
    coredns: join(clusterBin, "coredns"),
    runc: RUNC,
    pauseArchive: join(images, "pause.oci.tar"),
    probeArchive: join(images, "probe.oci.tar"),
  };
}

function parseDirs(stdout: string): ClusterBinaries {
  const [k8sBin, clusterBin, images] = stdout.trim().split(" ");
  if (!k8sBin || !clusterBin || !images) throw new Error(`${BUILD_SCRIPT} printed "${stdout.trim()}", expected three directories`);
  return fromDirs(k8sBin, clusterBin, images);
}

async function cached(): Promise<ClusterBinaries | undefined> {
  try {
    return parseDirs((await run("bash", [BUILD_SCRIPT, "--dir"])).stdout);
  } catch (e) {
    if ((e as { code?: number }).code === 3) return undefined;
    throw e;
  }
}

async function build(): Promise<ClusterBinaries> {
  const stdout = await runBuildScript(
    BUILD_SCRIPT,
    "\n*** relaylab real-cluster suite: building kubelet, kube-proxy, containerd, CoreDNS and the pause/probe images\n" +
      "*** (and the control plane, if missing) from their Go modules, once per machine. Progress follows.\n\n",
  );
  return parseDirs(stdout);
}

function skipOrFail(reason: string): ClusterLookup {
  if (process.env.CI === "true") throw new Error(`CI=true and the real-cluster suite cannot run: ${reason}`);
  process.stderr.write(`\n${"!".repeat(100)}\n!!! SKIPPING the real single-node cluster suite: ${reason}\n${"!".repeat(100)}\n\n`);
  return { skip: reason };
}

/** Checks the host, then locates (or builds) the binaries; see the module comment. */
export async function locateClusterBinaries(): Promise<ClusterLookup> {
  const missing = await missingHostParts();
  if (missing.length > 0) return skipOrFail(`this host lacks ${missing.join("; ")}`);
  const found = await cached();
  if (found) return { binaries: found };
  if (!(await onPath("go"))) return skipOrFail("its binaries are not built and Go is not installed: install Go 1.26 and run operator/test/cluster/bin/build.sh");
  return { binaries: await build() };
}
