// SPDX-License-Identifier: Apache-2.0
/**
 * Chaos experiments on the real single-node cluster, as ChaosExperiment resources the operator
 * runs: `helm install` of charts/relaylab runs the operator from the offline-built image, and
 * every experiment gets a new Subnet of its own name, which the operator's Kubernetes testnet
 * port follows and faults at its pods' IPs (the same engine, verifier and verdicts as
 * `relaylab chaos run` locally). Crashes kill the node container's process through its Control
 * API; the kubelet runs it again in the same pod, on the same identity and data.
 *
 * - `relaylab chaos run --kube` on crash-recovery and dc-partition (operator/examples/chaos)
 *   creates the missing DataCenters, passes with the examples' own expectations, exits 0 and
 *   writes a passing JUnit report; the experiment's condition is Succeeded and its Subnet goes;
 * - an experiment applied as a resource with an impossible expectation ends Failed
 *   (ExpectationsFailed) with a failing JUnit testcase in its results ConfigMap, and `--kube`
 *   on it exits 1; its kept Subnet's pods carry the operator's group labels;
 * - running the same file again replaces the finished experiment, and `--replay` of its record
 *   runs on the recorded genesis seed;
 * - deleting the Subnet during an experiment ends it Failed (SubnetDeleted) with a verdict that
 *   says so;
 * - a bad experiment is refused at admission, and `--kube` says what to fix in one line.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ChaosExperiment, Subnet } from "../../src/api/index.js";
import { loadExperiment } from "../../src/chaos/experiment.js";
import { loadTopology } from "../../src/local/topology.js";
import { EXAMPLES, runCli } from "../support/cli.js";
import { waitFor } from "@relaylab/node/wait";
import { clusterSuite } from "./harness/suite.js";
import { archiveOf, BUILD_DEADLINE_MS, buildImages, missingBuildPrerequisite } from "./images/build.js";
import { installChart } from "./harness/chart.js";

const NS = "relaylab-chaos";
const STEP_DEADLINE_MS = 5 * 60_000;

const suite = await clusterSuite();
const buildMissing = process.env.CI === "true" ? undefined : missingBuildPrerequisite();
const skip = suite.skip !== false ? suite.skip : (buildMissing ?? false);
if (buildMissing !== undefined && suite.skip === false) process.stderr.write(`chaos.test.ts: SKIPPED, ${buildMissing}: the images cannot be built\n`);

const progressLine = (line: string): void => {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} chaos: ${line}\n`);
};

const GROUP_PATH = "/apis/relaylab.dev/v1alpha1";

interface ChaosJson {
  passed: boolean;
  verdicts: { name: string; passed: boolean; measured: string }[];
  record?: { genesisSeed: string; steps: { name: string; victims: number[]; endedAtRound?: number }[] };
  status: ChaosExperiment["status"];
}

describe("chaos experiments as ChaosExperiments on the real cluster", { skip, timeout: BUILD_DEADLINE_MS + 30 * 60_000 }, () => {
  let archives = new Map<string, string>();
  before(async () => {
    archives = await buildImages();
  }, { timeout: BUILD_DEADLINE_MS });
  const cluster = suite.cluster();
  let work = "";
  const experiments = `${GROUP_PATH}/namespaces/${NS}/chaosexperiments`;
  const subnets = `${GROUP_PATH}/namespaces/${NS}/subnets`;

  before(async () => {
    await cluster().importImages([archiveOf(archives, "node"), archiveOf(archives, "operator")]);
    work = await mkdtemp(join(tmpdir(), "relaylab-chaos-cli-"));
    await installChart(cluster(), ["operator.replicas=1"]);
    await cluster().admin.create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
    // The CLI reads the kubeconfig a user would have.
    process.env.KUBECONFIG = cluster().kubeconfigFile;
    progressLine("operator installed");
  }, { timeout: STEP_DEADLINE_MS });
  after(async () => {
    if (work !== "") await rm(work, { recursive: true, force: true });
  });

  /** `relaylab chaos run FILE --kube --json --junit`, as a CI job runs it. */
  const runKube = async (file: string, extra: readonly string[] = []): Promise<{ code: number | null; out: ChaosJson | undefined; junit: string; stderr: string }> => {
    const junitFile = join(work, `${String(Date.now())}.xml`);
    const started = performance.now();
    const r = await runCli(["chaos", "run", file, "--kube", "--namespace", NS, "--json", "--junit", junitFile, "--timeout", String(STEP_DEADLINE_MS / 1000), ...extra]);
    progressLine(`${file.split("/").at(-1) ?? file}: exit ${String(r.code)} after ${((performance.now() - started) / 1000).toFixed(1)} s`);
    for (const line of r.stderr.split("\n").filter((l) => l !== "")) progressLine(`  ${line}`);
    const out = r.stdout.trim() === "" ? undefined : (JSON.parse(r.stdout) as ChaosJson);
    const junit = await readFile(junitFile, "utf8").catch(() => "");
    return { code: r.code, out, junit, stderr: r.stderr };
  };

  const experiment = (name: string) => cluster().admin.get<ChaosExperiment>(`${experiments}/${name}`);
  const condition = (e: ChaosExperiment, type: string) => e.status?.conditions?.find((c) => c.type === type);
  const finished = (name: string): Promise<ChaosExperiment> =>
    waitFor(`ChaosExperiment ${name} to end`, async () => {
      const e = await experiment(name);
      return e.status?.phase === "Succeeded" || e.status?.phase === "Failed" ? e : undefined;
    }, { timeoutMs: STEP_DEADLINE_MS, intervalMs: 1000 });
  const podsGone = (subnet: string): Promise<boolean> =>
    waitFor(`the pods of Subnet ${subnet} to go`, async () => {
      const pods = await cluster().admin.list(`/api/v1/namespaces/${NS}/pods`, { labelSelector: `relaylab.dev/subnet=${subnet}` });
      return pods.items.length === 0 ? true : undefined;
    }, { timeoutMs: STEP_DEADLINE_MS, intervalMs: 1000 });

  const assertPassed = (name: string, r: Awaited<ReturnType<typeof runKube>>): ChaosJson => {
    assert.ok(r.out !== undefined, `${name}: no JSON on stdout; stderr: ${r.stderr.slice(-2000)}`);
    const failed = r.out.verdicts.filter((v) => !v.passed).map((v) => `${v.name}: ${v.measured}`);
    assert.deepEqual(failed, [], `${name} failed on the cluster`);
    assert.equal(r.code, 0);
    assert.match(r.junit, new RegExp(`<testsuite name="${name}" tests="\\d+" failures="0"`));
    return r.out;
  };

  it("crash-recovery via chaos run --kube: g-t+1 members of group 0 crash and come back; the beacon recovers with no safety violation", async () => {
    const out = assertPassed("crash-recovery", await runKube(join(EXAMPLES, "chaos", "crash-recovery.yaml")));
    const crash = out.record?.steps[0];
    assert.ok(crash !== undefined && crash.victims.length === 3, `the crash step hit ${String(crash?.victims.length)} nodes, expected g-t+1 = 3`);
    assert.ok(crash.endedAtRound !== undefined, "the crashed nodes were never brought back");
    const e = await experiment("crash-recovery");
    assert.equal(condition(e, "Succeeded")?.status, "True", JSON.stringify(e.status?.conditions));
    assert.equal(condition(e, "Failed")?.status, "False");
    // The CLI made the topology's DataCenters, and the experiment's Subnet goes with the verdict.
    for (const dc of ["dc-a", "dc-b", "dc-c"]) assert.ok(await cluster().admin.get(`${GROUP_PATH}/datacenters/${dc}`));
    await podsGone("crash-recovery");
  });

  it("dc-partition via chaos run --kube: data center dc-c is cut off and healed; the beacon recovers with no safety violation", async () => {
    const out = assertPassed("dc-partition", await runKube(join(EXAMPLES, "chaos", "dc-partition.yaml")));
    const cut = out.record?.steps[0];
    assert.ok(cut !== undefined && cut.victims.length > 0 && cut.endedAtRound !== undefined, "the partition cut off no node, or was never healed");
    await podsGone("dc-partition");
  });

  /** The crash-recovery topology's Subnet spec. */
  const subnetSpec = (): Subnet["spec"] => {
    const { topologyFiles } = loadExperiment(join(EXAMPLES, "chaos", "crash-recovery.yaml"));
    assert.ok(topologyFiles !== undefined);
    return loadTopology(topologyFiles).subnet.spec;
  };
  const create = (name: string, spec: Record<string, unknown>) =>
    cluster().admin.create(experiments, { apiVersion: "relaylab.dev/v1alpha1", kind: "ChaosExperiment", metadata: { name, namespace: NS }, spec: { subnet: subnetSpec(), ...spec } });

  it("an impossible expectation, applied as a resource: Failed (ExpectationsFailed) with a failing JUnit testcase; the kept Subnet's pods carry group labels", async () => {
    await create("impossible", { rounds: 5, keepSubnet: true, expectations: { roundLatencySeconds: { max: 0.001 } } });
    const e = await finished("impossible");
    assert.equal(e.status?.phase, "Failed");
    assert.equal(condition(e, "Failed")?.reason, "ExpectationsFailed", JSON.stringify(e.status.conditions));
    assert.equal(condition(e, "Succeeded")?.status, "False");
    assert.deepEqual((e.status.verdicts ?? []).filter((v) => !v.passed).map((v) => v.name), ["round latency max"], "exactly the impossible expectation fails");
    assert.ok((e.status.verdicts ?? []).find((v) => v.name === "safety")?.passed, "safety holds");
    const results = await cluster().admin.get<{ data: Record<string, string> }>(`/api/v1/namespaces/${NS}/configmaps/${e.status.results ?? ""}`);
    assert.match(results.data["junit.xml"] ?? "", /<testsuite name="impossible" tests="\d+" failures="1"/);
    // The operator labels each node pod with the groups the DKG registered (within a status refresh).
    const spec = subnetSpec();
    const counts = async (): Promise<Record<string, number>> => {
      const pods = await cluster().admin.list<{ metadata: { labels?: Record<string, string> } }>(`/api/v1/namespaces/${NS}/pods`, { labelSelector: "relaylab.dev/subnet=impossible" });
      const out: Record<string, number> = {};
      for (const p of pods.items) for (const k of Object.keys(p.metadata.labels ?? {}).filter((l) => l.startsWith("group.relaylab.dev/"))) out[k] = (out[k] ?? 0) + 1;
      return out;
    };
    const expected = Object.fromEntries(Array.from({ length: spec.groups }, (_, i) => [`group.relaylab.dev/${String(i)}`, spec.groupSize]));
    await waitFor("every group's label on groupSize pods", async () => (JSON.stringify(await counts()) === JSON.stringify(expected) ? true : undefined), { timeoutMs: 60_000, intervalMs: 1000 }).catch(async (err: unknown) => {
      assert.deepEqual(await counts(), expected, `pods' group labels: ${String(err)}`);
    });
    // Deleting the experiment takes its Subnet (owner reference).
    await cluster().admin.delete(`${experiments}/impossible`);
    await podsGone("impossible");
  });

  it("chaos run --kube exits 1 on an experiment that fails, with a failing JUnit testcase; run again with --replay, it replaces the finished one on the recorded genesis", async () => {
    const file = join(work, "fails.yaml");
    await writeFile(file, JSON.stringify({
      apiVersion: "relaylab.dev/v1alpha1",
      kind: "ChaosExperiment",
      metadata: { name: "fails" },
      spec: { topology: { files: [join(EXAMPLES, "chaos", "topology.yaml")] }, rounds: 3, expectations: { roundLatencySeconds: { max: 0.001 } } },
    }));
    const recordFile = join(work, "fails-record.json");
    const r = await runKube(file, ["--record", recordFile]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.out?.passed, false);
    assert.deepEqual(r.out.verdicts.filter((v) => !v.passed).map((v) => v.name), ["round latency max"], "exactly the impossible expectation fails");
    assert.match(r.junit, /<testsuite name="fails" tests="\d+" failures="1"/);
    // The same file again, as a user re-runs a job: the finished experiment is replaced, and
    // --replay of the first run's record gives the new Subnet the same genesis seed.
    const again = await runKube(file, ["--replay", recordFile]);
    assert.equal(again.code, 1, again.stderr);
    assert.match(again.stderr, /replacing the finished ChaosExperiment relaylab-chaos\/fails \(Failed\)/);
    const first = JSON.parse(await readFile(recordFile, "utf8")) as { genesisSeed: string };
    assert.equal(again.out?.record?.genesisSeed, first.genesisSeed, "the replay ran on the recorded genesis");
    await podsGone("fails");
  });

  it("deleting the Subnet during an experiment ends it Failed (SubnetDeleted) with a verdict that says why", async () => {
    await create("orphaned", { rounds: 500 });
    await waitFor("the experiment to run past round 2", async () => ((await experiment("orphaned")).status?.round ?? 0) >= 2 ? true : undefined, { timeoutMs: STEP_DEADLINE_MS, intervalMs: 1000 });
    await cluster().admin.delete(`${subnets}/orphaned`);
    const e = await finished("orphaned");
    assert.equal(e.status?.phase, "Failed");
    assert.equal(condition(e, "Failed")?.reason, "SubnetDeleted", JSON.stringify(e.status.conditions));
    const subnet = (e.status.verdicts ?? []).find((v) => v.name === "subnet");
    assert.ok(subnet !== undefined && !subnet.passed && /deleted during the run/.test(subnet.measured), JSON.stringify(e.status.verdicts));
    await cluster().admin.delete(`${experiments}/orphaned`);
    await podsGone("orphaned");
  });

  it("a bad experiment is refused at admission, and chaos run --kube says what to fix in one line", async () => {
    const refused = await create("too-many", { rounds: 10, steps: [{ name: "crash", at: { round: 2 }, action: "crash", target: { group: 0, members: 99 } }] }).then(
      () => assert.fail("the API server accepted members larger than the group"),
      (err: unknown) => err as Error,
    );
    assert.match(refused.message, /larger than a group.*lower members/);
    const file = join(work, "too-many.yaml");
    await writeFile(file, JSON.stringify({
      apiVersion: "relaylab.dev/v1alpha1",
      kind: "ChaosExperiment",
      metadata: { name: "too-many" },
      spec: { topology: { files: [join(EXAMPLES, "chaos", "topology.yaml")] }, rounds: 10, steps: [{ name: "crash", at: { round: 2 }, action: "crash", target: { group: 0, members: 99 } }] },
    }));
    const r = await runKube(file);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, /relaylab: ChaosExperiment too-many refused: .*larger than a group/);
  });
});
