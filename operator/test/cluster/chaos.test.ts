// SPDX-License-Identifier: Apache-2.0
/**
 * Chaos experiments on a Subnet in the real single-node cluster, through the Kubernetes provider
 * of the testnet port: the same engine, verifier and verdicts as `relaylab chaos run` locally.
 * `helm install` of charts/relaylab runs the operator from the offline-built image; each
 * experiment gets a new Subnet built from the example's topology (experiments count rounds from
 * the genesis), which the test follows and faults at its pods' IPs (the host routes the pod
 * range). Crashes kill the node container's process through its Control API; the kubelet runs
 * it again in the same pod, on the same identity and data.
 *
 * - crash-recovery and dc-partition (operator/examples/chaos) pass with their own expectations;
 * - the operator labels each node pod with the groups the verifier learned from the nodes;
 * - an experiment with an impossible expectation (run beside crash-recovery on its Subnet, with
 *   its own verifier) fails, with a failing JUnit testcase.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual, promisify } from "node:util";
import type { DataCenter, Subnet } from "../../src/api/index.js";
import { type Experiment, loadExperiment, parseExperiment } from "../../src/chaos/experiment.js";
import { junitXml } from "../../src/chaos/junit.js";
import { type ChaosRunResult, runExperiment } from "../../src/chaos/run.js";
import { createProgress } from "../../src/local/progress.js";
import { loadTopology } from "../../src/local/topology.js";
import { createKubeApi } from "../../src/operator/runtime/client-node.js";
import { KubeProvider } from "../../src/testnet/kube.js";
import { EXAMPLES } from "../support/cli.js";
import { waitFor } from "@relaylab/node/wait";
import { clusterSuite } from "./harness/suite.js";
import { archiveOf, BUILD_DEADLINE_MS, buildImages, imageRef, missingBuildPrerequisite } from "./images/build.js";

const run = promisify(execFile);
const CHART = fileURLToPath(new URL("../../../charts/relaylab", import.meta.url));
const NS = "relaylab-chaos";
const RELEASE_NS = "relaylab-system";
const STEP_DEADLINE_MS = 5 * 60_000;

const suite = await clusterSuite();
const buildMissing = process.env.CI === "true" ? undefined : missingBuildPrerequisite();
const skip = suite.skip !== false ? suite.skip : (buildMissing ?? false);
if (buildMissing !== undefined && suite.skip === false) process.stderr.write(`chaos.test.ts: SKIPPED, ${buildMissing}: the images cannot be built\n`);

const progressLine = (line: string): void => {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} chaos: ${line}\n`);
};

/** An example experiment and its topology's Subnet and DataCenters. */
function example(name: string): { experiment: Experiment; subnet: Subnet; dataCenters: readonly DataCenter[] } {
  const { experiment, topologyFiles } = loadExperiment(join(EXAMPLES, "chaos", `${name}.yaml`));
  assert.ok(topologyFiles !== undefined, `${name} names no topology files`);
  const { subnet, dataCenters } = loadTopology(topologyFiles);
  return { experiment, subnet, dataCenters };
}

describe("chaos experiments on a Subnet in the real cluster", { skip, timeout: BUILD_DEADLINE_MS + 30 * 60_000 }, () => {
  let archives = new Map<string, string>();
  before(async () => {
    archives = await buildImages();
  }, { timeout: BUILD_DEADLINE_MS });
  const cluster = suite.cluster();
  let helmHome = "";
  const providers: KubeProvider[] = [];

  before(async () => {
    await cluster().importImages([archiveOf(archives, "node"), archiveOf(archives, "operator")]);
    helmHome = await mkdtemp(join(tmpdir(), "relaylab-chaos-helm-"));
    const operator = imageRef("operator");
    const at = operator.lastIndexOf(":");
    const env = { ...process.env, HELM_CACHE_HOME: join(helmHome, "cache"), HELM_CONFIG_HOME: join(helmHome, "config"), HELM_DATA_HOME: join(helmHome, "data") };
    await run(cluster().binaries.helm, [
      "install", "relaylab", CHART, "--namespace", RELEASE_NS, "--create-namespace", "--kubeconfig", cluster().kubeconfigFile,
      "--set", `operator.image.repository=${operator.slice(0, at)}`, "--set", `operator.image.tag=${operator.slice(at + 1)}`, "--set", "operator.image.pullPolicy=Never",
      "--set", "operator.replicas=1",
    ], { env });
    await cluster().admin.create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    for (const dc of example("crash-recovery").dataCenters) await cluster().admin.create("/apis/relaylab.dev/v1alpha1/datacenters", dc);
    progressLine("operator installed; DataCenters dc-a, dc-b, dc-c created");
  }, { timeout: STEP_DEADLINE_MS });
  after(async () => {
    for (const p of providers) await p.stop();
    if (helmHome !== "") await rm(helmHome, { recursive: true, force: true });
  });

  /**
   * Creates a new Subnet `name` from `subnet`, runs the experiments on it side by side (each with
   * its own provider, hence its own verifier), and deletes it.
   */
  const runOnNewSubnet = async (name: string, subnet: Subnet, experiments: readonly Experiment[], beforeDelete?: (provider: KubeProvider) => Promise<void>): Promise<ChaosRunResult[]> => {
    const subnets = `/apis/relaylab.dev/v1alpha1/namespaces/${NS}/subnets`;
    await cluster().admin.create(subnets, { ...subnet, metadata: { name, namespace: NS } });
    const started = performance.now();
    try {
      const api = createKubeApi(cluster().adminKubeConfig());
      const results = await Promise.all(experiments.map(async (experiment) => {
        const provider = await KubeProvider.connect(api, NS, name, { podsTimeoutMs: STEP_DEADLINE_MS });
        providers.push(provider);
        progressLine(`Subnet ${name}: ${provider.endpoints.length} pods have IPs; running ${experiment.metadata.name}`);
        const result = await runExperiment(provider, experiment, { progress: createProgress({ quiet: true }), signal: AbortSignal.timeout(STEP_DEADLINE_MS) });
        await provider.stop();
        for (const v of result.verdicts) progressLine(`${experiment.metadata.name}: ${v.passed ? "PASS" : "FAIL"} ${v.name}: ${v.measured} (expected ${v.expected})`);
        progressLine(`${experiment.metadata.name}: ${((performance.now() - started) / 1000).toFixed(1)} s from Subnet creation to verdict`);
        return result;
      }));
      const first = providers.at(-experiments.length);
      if (beforeDelete !== undefined && first !== undefined) await beforeDelete(first);
      return results;
    } finally {
      await cluster().admin.delete(`${subnets}/${name}`);
      await waitFor(`the pods of Subnet ${name} to go`, async () => {
        const pods = await cluster().admin.list(`/api/v1/namespaces/${NS}/pods`, { labelSelector: `relaylab.dev/subnet=${name}` });
        return pods.items.length === 0 ? true : undefined;
      }, { timeoutMs: STEP_DEADLINE_MS, intervalMs: 1000 });
    }
  };

  const assertPassed = (name: string, result: ChaosRunResult): void => {
    const failed = result.verdicts.filter((v) => !v.passed).map((v) => `${v.name}: ${v.measured}`);
    assert.deepEqual(failed, [], `${name} failed on the cluster`);
  };

  /** An experiment with an impossible expectation, run on the crash-recovery Subnet before its first step fires. */
  const impossible = parseExperiment({
    apiVersion: "relaylab.dev/v1alpha1",
    kind: "ChaosExperiment",
    metadata: { name: "impossible" },
    spec: { topology: { files: ["topology.yaml"] }, rounds: 5, expectations: { roundLatencySeconds: { max: 0.001 } } },
  }, "impossible");
  let impossibleResult: ChaosRunResult | undefined;

  it("crash-recovery: g-t+1 members of group 0 crash and come back; the beacon recovers with no safety violation", async () => {
    const { experiment, subnet } = example("crash-recovery");
    const [result, other] = await runOnNewSubnet("crash-recovery", subnet, [experiment, impossible], async (provider) => {
      // The operator publishes the groups the DKG registered as pod labels (within a status refresh).
      const groups = provider.observer.ledger.groupSet(0)?.groups ?? [];
      assert.ok(groups.length > 0, "the verifier learned no groups");
      const expected = Object.fromEntries(provider.endpoints.map((e) => [String(e.index), groups.filter((g) => g.members.includes(e.index)).map((g) => `group.relaylab.dev/${String(g.index)}`).sort()]));
      const labelled = async (): Promise<Record<string, string[]>> => {
        const pods = await cluster().admin.list<{ metadata: { labels?: Record<string, string> } }>(`/api/v1/namespaces/${NS}/pods`, { labelSelector: "relaylab.dev/subnet=crash-recovery" });
        return Object.fromEntries(pods.items.map((p) => [p.metadata.labels?.["apps.kubernetes.io/pod-index"] ?? "", Object.keys(p.metadata.labels ?? {}).filter((k) => k.startsWith("group.relaylab.dev/")).sort()]));
      };
      await waitFor("the node pods to carry their group labels", async () => (isDeepStrictEqual(await labelled(), expected) ? true : undefined), { timeoutMs: 60_000, intervalMs: 1000 }).catch(async (err: unknown) => {
        assert.deepEqual(await labelled(), expected, `pods' group labels: ${String(err)}`);
      });
      progressLine(`pods carry the group labels of the ${String(groups.length)} registered groups`);
    });
    impossibleResult = other;
    assert.ok(result !== undefined);
    assertPassed("crash-recovery", result);
    const crash = result.record.steps[0];
    assert.ok(crash !== undefined && crash.victims.length === 3, `the crash step hit ${String(crash?.victims.length)} nodes, expected g-t+1 = 3`);
    assert.ok(crash.endedAtRound !== undefined, "the crashed nodes were never brought back");
  });

  it("dc-partition: data center dc-c is cut off and healed; the beacon recovers with no safety violation", async () => {
    const { experiment, subnet } = example("dc-partition");
    const [result] = await runOnNewSubnet("dc-partition", subnet, [experiment]);
    assert.ok(result !== undefined);
    assertPassed("dc-partition", result);
    const cut = result.record.steps[0];
    assert.ok(cut !== undefined && cut.victims.length > 0 && cut.endedAtRound !== undefined, "the partition cut off no node, or was never healed");
  });

  it("an impossible expectation fails with a failing verdict and a failing JUnit testcase", () => {
    assert.ok(impossibleResult !== undefined, "the impossible experiment did not run (see the crash-recovery test)");
    const failed = impossibleResult.verdicts.filter((v) => !v.passed);
    assert.deepEqual(failed.map((v) => v.name), ["round latency max"], "exactly the impossible expectation fails");
    assert.ok(impossibleResult.verdicts.find((v) => v.name === "safety")?.passed, "safety holds");
    assert.match(junitXml("impossible", impossibleResult.verdicts, 1), /<testsuite name="impossible" tests="\d+" failures="1"/);
  });
});
