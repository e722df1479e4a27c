// SPDX-License-Identifier: Apache-2.0
/**
 * Finds the control-plane binaries: the version-keyed cache that bin/build.sh fills (building it
 * when Go is available), with kube-apiserver and etcd taken from KUBEBUILDER_ASSETS when a user
 * already has envtest binaries. With none of these the suite skips loudly, except under CI=true,
 * where a skipped suite would hide a broken setup: there it fails instead.
 */
import { execFile, spawn } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const BUILD_SCRIPT = fileURLToPath(new URL("../bin/build.sh", import.meta.url));

/** Absolute paths of every binary the harness starts. */
export interface Binaries {
  readonly etcd: string;
  readonly kubeApiServer: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kwok: string;
  /** kwok's Stage definitions (the Node and Pod lifecycle it plays); build.sh puts them next to kwok. */
  readonly kwokStages: string;
  /** Renders the chart whose RBAC the operator runs under. */
  readonly helm: string;
  /** The Prometheus Operator's ServiceMonitor, PodMonitor and PrometheusRule CRDs (YAML files). */
  readonly monitoringCrds: readonly string[];
}

const MONITORING_CRDS = ["servicemonitors", "podmonitors", "prometheusrules"].map((plural) => `monitoring.coreos.com_${plural}.yaml`);

export type BinaryLookup = { readonly binaries: Binaries } | { readonly skip: string };

/** Whether `file` exists and may be executed. */
export function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function hasGo(): Promise<boolean> {
  try {
    await run("go", ["version"]);
    return true;
  } catch {
    return false;
  }
}

/** `build.sh --dir`: the cache's bin directory and whether it holds a complete set. */
async function cachedDir(): Promise<{ dir: string; complete: boolean }> {
  try {
    const { stdout } = await run("bash", [BUILD_SCRIPT, "--dir"]);
    return { dir: stdout.trim(), complete: true };
  } catch (e) {
    const { code, stdout } = e as { code?: number; stdout?: string };
    if (code === 3 && stdout) return { dir: stdout.trim(), complete: false };
    throw e;
  }
}

/** Runs a build script with its progress on our stderr, after `banner`; resolves to its stdout. */
export async function runBuildScript(script: string, banner: string): Promise<string> {
  process.stderr.write(banner);
  const child = spawn("bash", [script], { stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) throw new Error(`${script} failed with exit code ${code}; its output is above`);
  return stdout.trim();
}

/** Runs bin/build.sh; resolves to the bin directory. */
function build(): Promise<string> {
  return runBuildScript(
    BUILD_SCRIPT,
    "\n*** relaylab k8s suite: building etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok and helm\n" +
      "*** from their Go modules (once per machine; tens of minutes cold). Progress follows.\n\n",
  );
}

function fromDir(dir: string): Binaries {
  return {
    etcd: join(dir, "etcd"),
    kubeApiServer: join(dir, "kube-apiserver"),
    kubeControllerManager: join(dir, "kube-controller-manager"),
    kubeScheduler: join(dir, "kube-scheduler"),
    kwok: join(dir, "kwok"),
    kwokStages: join(dir, "kwok-stages.yaml"),
    helm: join(dir, "helm"),
    monitoringCrds: MONITORING_CRDS.map((file) => join(dir, file)),
  };
}

/** Prefers KUBEBUILDER_ASSETS's kube-apiserver and etcd over ours, each only where present. */
function withKubebuilderAssets(binaries: Binaries): Binaries {
  const assets = process.env.KUBEBUILDER_ASSETS;
  if (!assets) return binaries;
  const pick = (name: string, fallback: string): string => (executable(join(assets, name)) ? join(assets, name) : fallback);
  return { ...binaries, etcd: pick("etcd", binaries.etcd), kubeApiServer: pick("kube-apiserver", binaries.kubeApiServer) };
}

function missing(binaries: Binaries): string[] {
  const programs: string[] = [binaries.etcd, binaries.kubeApiServer, binaries.kubeControllerManager, binaries.kubeScheduler, binaries.kwok, binaries.helm];
  return [...programs.filter((file) => !executable(file)), ...[binaries.kwokStages, ...binaries.monitoringCrds].filter((file) => !existsSync(file))];
}

/**
 * Locates (or builds) the binaries. Resolves to `{ skip }` with a reason only when nothing can
 * provide them and CI is not set; under CI=true that case throws.
 */
export async function locateBinaries(): Promise<BinaryLookup> {
  const cache = await cachedDir();
  const assets = process.env.KUBEBUILDER_ASSETS;
  // A KUBEBUILDER_ASSETS directory that also holds the controller binaries needs no build.
  if (assets && missing(fromDir(assets)).length === 0) return { binaries: fromDir(assets) };
  if (cache.complete) return { binaries: withKubebuilderAssets(fromDir(cache.dir)) };
  if (await hasGo()) return { binaries: withKubebuilderAssets(fromDir(await build())) };
  const reason =
    `no control-plane binaries: ${cache.dir} is incomplete, Go is not installed, and KUBEBUILDER_ASSETS ` +
    `${assets ? `(${assets}) lacks ${missing(fromDir(assets)).join(", ")}` : "is not set"}. ` +
    "Install Go 1.26 and run operator/test/k8s/bin/build.sh, or point KUBEBUILDER_ASSETS at a directory with " +
    "etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok, kwok-stages.yaml, helm and the monitoring.coreos.com CRDs.";
  if (process.env.CI === "true") throw new Error(`CI=true and ${reason}`);
  process.stderr.write(`\n${"!".repeat(100)}\n!!! SKIPPING the real Kubernetes control-plane suite: ${reason}\n${"!".repeat(100)}\n\n`);
  return { skip: reason };
}
