// SPDX-License-Identifier: Apache-2.0
/** `helm install` of charts/relaylab on the real cluster, as a user installs it, with the offline-built operator image. */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Cluster } from "../harness.js";
import { imageRef } from "../images/build.js";

const run = promisify(execFile);
const CHART = fileURLToPath(new URL("../../../../charts/relaylab", import.meta.url));
export const RELEASE = "relaylab";
export const RELEASE_NS = "relaylab-system";
/** The chart's leader-election Lease (operator/src/cli/commands/operator.ts). */
export const LEASE = "relaylab-operator";

/**
 * Installs the chart into RELEASE_NS with the operator image imported into containerd (pullPolicy
 * Never) plus `set` (helm `--set` values). Helm keeps its state in a temporary home, removed after.
 */
export async function installChart(cluster: Cluster, set: readonly string[] = []): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), "relaylab-helm-"));
  const operator = imageRef("operator");
  const at = operator.lastIndexOf(":");
  const env = { ...process.env, HELM_CACHE_HOME: join(home, "cache"), HELM_CONFIG_HOME: join(home, "config"), HELM_DATA_HOME: join(home, "data") };
  const values = [`operator.image.repository=${operator.slice(0, at)}`, `operator.image.tag=${operator.slice(at + 1)}`, "operator.image.pullPolicy=Never", ...set];
  try {
    await run(cluster.binaries.helm, ["install", RELEASE, CHART, "--namespace", RELEASE_NS, "--create-namespace", "--kubeconfig", cluster.kubeconfigFile, ...values.flatMap((v) => ["--set", v])], { env });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`helm install failed: ${err.stderr?.trim() ?? err.message}`, { cause: e });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
