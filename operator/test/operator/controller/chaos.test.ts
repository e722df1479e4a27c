// SPDX-License-Identifier: Apache-2.0
/**
 * The ChaosExperiment reconciler's decisions on the fake API: the Subnet it makes, and every way
 * a run ends without a verdict from the nodes (a Subnet it does not own, an orphaned run after an
 * operator restart, a spec only the operator can check, a run that cannot reach its Subnet).
 * Runs against real node pods are tested on the real cluster (test/cluster/chaos.test.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { API_VERSION, CHAOS_KIND, LABEL_EXPERIMENT, SUBNET_KIND, type ChaosExperiment, type Subnet } from "../../../src/api/index.js";
import { createChaosReconciler } from "../../../src/operator/controller/chaos.js";
import { apiEventRecorder } from "../../../src/operator/runtime/events.js";
import type { KubeObject } from "../../../src/operator/runtime/kube.js";
import { waitFor } from "@relaylab/node/wait";
import { FakeClock } from "@relaylab/node/fake-clock";
import { FakeKube } from "../../fake-kube.js";
import { testLog } from "../../log.js";
import { cacheOf } from "./harness.js";

const subnetSpec = { nodes: 4, groups: 1, groupSize: 4, dataCenters: { names: ["dc-a"] } };
const spec = (extra: Record<string, unknown> = {}) => ({
  subnet: subnetSpec,
  seed: 1,
  rounds: 10,
  steps: [{ name: "crash", at: { round: 3 }, action: "crash", target: { group: 0, members: 2 }, for: { round: 2 } }],
  expectations: { safetyViolations: 0, baseline: { quantile: 0.99, maxRegressionPercent: 5, confidence: 0.95 } },
  keepSubnet: false,
  ...extra,
});

function bed(podsTimeoutMs = 50) {
  const kube = new FakeKube();
  const clock = new FakeClock();
  const leading = new AbortController();
  const reconcile = createChaosReconciler({
    api: kube,
    experiments: cacheOf<ChaosExperiment>(kube, API_VERSION, CHAOS_KIND),
    subnets: cacheOf<Subnet>(kube, API_VERSION, SUBNET_KIND),
    events: apiEventRecorder(kube, clock, testLog, "test"),
    clock,
    log: testLog,
    leading: leading.signal,
    // Nothing answers in the fake: by default the run gives up at once.
    provider: { podsTimeoutMs, pollMs: 10 },
  });
  const experiment = () => kube.find(API_VERSION, CHAOS_KIND, "exp", "default") as unknown as ChaosExperiment;
  const condition = (type: string) => experiment().status?.conditions?.find((c) => c.type === type);
  return {
    kube,
    experiment,
    condition,
    reconcile: () => reconcile(`${CHAOS_KIND}/default/exp`, leading.signal),
    create: (s: Record<string, unknown>, status?: Record<string, unknown>) =>
      kube.create({ apiVersion: API_VERSION, kind: CHAOS_KIND, metadata: { name: "exp", namespace: "default" }, spec: s, ...(status ? { status } : {}) } as KubeObject),
    subnet: () => kube.find(API_VERSION, SUBNET_KIND, "exp", "default") as unknown as Subnet | undefined,
  };
}

describe("reconcileChaosExperiment", () => {
  it("makes a Subnet of the experiment's name, owned and labelled by it, with a replay's genesis seed; a run that cannot reach it ends Failed (RunError)", async () => {
    const b = bed();
    const seed = "cd".repeat(32);
    await b.create(spec({ replay: { genesisSeed: seed, selectorSeed: 1, steps: [] } }));
    await b.reconcile();
    const subnet = b.subnet();
    assert.ok(subnet, "the Subnet was made");
    assert.equal(subnet.metadata.labels?.[LABEL_EXPERIMENT], "exp");
    assert.deepEqual(subnet.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]), [[CHAOS_KIND, "exp", b.experiment().metadata.uid, true]]);
    assert.equal(subnet.spec.genesisSeed, seed);
    assert.equal(subnet.spec.nodes, 4);
    const ended = await waitFor("the run to end", () => (b.experiment().status?.phase === "Failed" ? b.experiment() : undefined), { timeoutMs: 30_000, intervalMs: 20 });
    assert.equal(b.condition("Failed")?.reason, "RunError");
    assert.match(b.condition("Failed")?.message ?? "", /has no genesis ConfigMap exp-genesis yet: is the operator running\?/);
    assert.equal(b.condition("Succeeded")?.status, "False");
    assert.equal(ended.status?.subnet, "exp");
  });

  it("ends a run whose Subnet cannot be placed at once (RunError), with the placement error", async () => {
    const b = bed(10 * 60_000);
    await b.create(spec());
    await b.reconcile();
    await waitFor("the run to start", () => (b.experiment().status?.phase === "Running" ? true : undefined), { timeoutMs: 30_000, intervalMs: 20 });
    b.kube.patchAsOther(
      { apiVersion: API_VERSION, kind: SUBNET_KIND, namespace: "default", name: "exp" },
      { status: { conditions: [{ type: "Degraded", status: "True", reason: "PlacementFailed", message: "DataCenter dc-a does not exist", lastTransitionTime: "2026-01-01T00:00:00Z" }] } },
    );
    await b.reconcile();
    await waitFor("the run to end", () => (b.experiment().status?.phase === "Failed" ? true : undefined), { timeoutMs: 30_000, intervalMs: 20 });
    assert.equal(b.condition("Failed")?.reason, "RunError");
    assert.match(b.condition("Failed")?.message ?? "", /Subnet default\/exp cannot be placed: DataCenter dc-a does not exist/);
  });

  it("refuses to run on a Subnet of that name it does not own (SubnetExists), and leaves it alone", async () => {
    const b = bed();
    await b.kube.create({ apiVersion: API_VERSION, kind: SUBNET_KIND, metadata: { name: "exp", namespace: "default" }, spec: subnetSpec } as KubeObject);
    await b.create(spec());
    await b.reconcile();
    assert.equal(b.experiment().status?.phase, "Failed");
    assert.equal(b.condition("Failed")?.reason, "SubnetExists");
    assert.match(b.condition("Failed")?.message ?? "", /rename the experiment or delete that Subnet/);
    assert.equal(b.subnet()?.metadata.ownerReferences, undefined, "the other Subnet is untouched");
  });

  it("marks a run it did not watch Failed (OperatorRestarted) instead of judging it", async () => {
    const b = bed();
    await b.create(spec(), { phase: "Running", round: 4 });
    await b.reconcile();
    assert.equal(b.experiment().status?.phase, "Failed");
    assert.equal(b.condition("Failed")?.reason, "OperatorRestarted");
    assert.match(b.condition("Failed")?.message ?? "", /delete the experiment and create it again/);
  });

  it("ends Failed (InvalidSpec) on a member expression the CRD cannot check, naming the field", async () => {
    const b = bed();
    await b.create(spec({ steps: [{ name: "crash", at: { round: 3 }, action: "crash", target: { group: 0, members: "half" } }] }));
    await b.reconcile();
    assert.equal(b.condition("Failed")?.reason, "InvalidSpec");
    assert.match(b.condition("Failed")?.message ?? "", /^spec\.steps\.0\.target\.members: must be a whole number or an expression of g and t/);
    assert.equal(b.subnet(), undefined, "no Subnet is made for an experiment that cannot run");
  });

  it("deletes its Subnet once judged, unless keepSubnet", async () => {
    for (const keepSubnet of [false, true]) {
      const b = bed();
      await b.create(spec({ keepSubnet }), { phase: "Succeeded" });
      const owner = b.experiment();
      await b.kube.create({
        apiVersion: API_VERSION,
        kind: SUBNET_KIND,
        metadata: { name: "exp", namespace: "default", ownerReferences: [{ apiVersion: API_VERSION, kind: CHAOS_KIND, name: "exp", uid: owner.metadata.uid ?? "", controller: true }] },
        spec: subnetSpec,
      } as KubeObject);
      await b.reconcile();
      assert.equal(b.subnet() === undefined, !keepSubnet, `keepSubnet: ${String(keepSubnet)}`);
    }
  });
});
