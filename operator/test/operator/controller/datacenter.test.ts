// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DATACENTER_FINALIZER, dataCenterFinalizer } from "../../../src/api/index.js";
import { TERMINATING_PODS_RECHECK_MS } from "../../../src/operator/controller/datacenter.js";
import { LABEL_DATA_CENTER, LABEL_SUBNET } from "../../../src/resources/index.js";
import { dataCenter, subnet } from "../../fixtures.js";
import type { DataCenterStatus } from "../../../src/api/index.js";
import { testBed } from "./harness.js";

function statusOf(bed: ReturnType<typeof testBed>, name: string): DataCenterStatus {
  const status = bed.dataCenter(name)?.status;
  assert.ok(status, `DataCenter ${name} has a status`);
  return status;
}

/** A test bed whose Subnet "beta" runs its 4 nodes on DataCenter dc-a (the DataCenter not reconciled yet). */
async function bedWithNodesOnDcA(options: { namespace?: string } = {}): Promise<ReturnType<typeof testBed>> {
  const bed = testBed(options);
  await bed.kube.create(dataCenter("dc-a"));
  const { metadata: _m, ...rest } = subnet("beta", { nodes: 4, groups: 1, groupSize: 4 });
  await bed.kube.create({ ...rest, metadata: { name: "beta", namespace: "default" } });
  await bed.reconcileSubnet("beta");
  return bed;
}

/** Takes the finalizer the Subnet controller added away again, as another writer might. */
function stripFinalizer(bed: ReturnType<typeof testBed>): void {
  bed.kube.patchAsOther({ apiVersion: "relaylab.dev/v1alpha1", kind: "DataCenter", name: "dc-a" }, { metadata: { finalizers: [] } });
}

describe("reconcileDataCenter", () => {
  it("holds its finalizer while nodes run there, reports usage, and holds deletion until none do", async () => {
    const bed = testBed();
    await bed.kube.create(dataCenter("dc-a", { capacity: { maxNodes: 10 } }));
    await bed.kube.create(dataCenter("dc-b"));
    const { metadata: _m, ...rest } = subnet("beta", { nodes: 8, groups: 1, groupSize: 7, dataCenters: { selector: {} } });
    await bed.kube.create({ ...rest, metadata: { name: "beta", namespace: "default" } });

    await bed.reconcileDataCenter("dc-a");
    assert.deepEqual(bed.dataCenter("dc-a")?.metadata.finalizers ?? [], [], "no finalizer while no node runs here");
    await bed.reconcileSubnet("beta");
    await bed.reconcileDataCenter("dc-a");
    assert.deepEqual(bed.dataCenter("dc-a")?.metadata.finalizers, [DATACENTER_FINALIZER]);
    await bed.reconcileDataCenter("dc-a");
    let status = statusOf(bed, "dc-a");
    assert.equal(status.nodes, 4);
    assert.deepEqual(status.subnets, ["default/beta"]);
    assert.deepEqual(
      status.conditions?.map((c) => [c.type, c.status, c.message]),
      [
        ["Ready", "True", "hosts 4 of at most 10 nodes"],
        ["InUse", "True", "4 nodes of Subnets default/beta"],
        ["Outage", "False", "spec.outage is false"],
      ],
    );

    await bed.kube.delete({ apiVersion: "relaylab.dev/v1alpha1", kind: "DataCenter", name: "dc-a" });
    assert.ok(bed.dataCenter("dc-a")?.metadata.deletionTimestamp, "the finalizer holds the object");
    await bed.reconcileDataCenter("dc-a");
    status = statusOf(bed, "dc-a");
    const inUse = status.conditions?.find((c) => c.type === "InUse");
    assert.ok(inUse);
    assert.equal(inUse.reason, "DeletionBlocked");
    assert.match(inUse.message, /4 nodes of Subnets default\/beta still run here; remove this DataCenter from their spec.dataCenters or delete them/);
    assert.ok(bed.events().includes("DeletionBlocked"));

    // The Subnet selects by label: it moves its nodes off the deleting data center.
    await bed.reconcileSubnet("beta");
    assert.equal(bed.statefulSet("beta-dc-a"), undefined);
    assert.equal(bed.statefulSet("beta-dc-b")?.spec?.replicas, 8);
    await bed.reconcileDataCenter("dc-a");
    assert.equal(bed.dataCenter("dc-a"), undefined, "finalizer removed, object gone");
  });

  it("drops its finalizer when the last node leaves, so a later delete needs no operator", async () => {
    const bed = await bedWithNodesOnDcA();
    await bed.reconcileDataCenter("dc-a");
    assert.deepEqual(bed.dataCenter("dc-a")?.metadata.finalizers, [DATACENTER_FINALIZER]);
    await bed.kube.delete({ apiVersion: "apps/v1", kind: "StatefulSet", name: "beta-dc-a", namespace: "default" });
    await bed.reconcileDataCenter("dc-a");
    assert.deepEqual(bed.dataCenter("dc-a")?.metadata.finalizers, [DATACENTER_FINALIZER], "the Subnet still selects it: its StatefulSet comes back");
    // Garbage collection removes the Subnet's children with it.
    await bed.kube.delete({ apiVersion: "relaylab.dev/v1alpha1", kind: "Subnet", name: "beta", namespace: "default" });
    await bed.reconcileDataCenter("dc-a");
    assert.deepEqual(bed.dataCenter("dc-a")?.metadata.finalizers, []);
    // With no operator reconciling any more, the delete goes through at once.
    await bed.kube.delete({ apiVersion: "relaylab.dev/v1alpha1", kind: "DataCenter", name: "dc-a" });
    assert.equal(bed.dataCenter("dc-a"), undefined);
  });

  it("adds the finalizer with a resourceVersion-guarded update (a concurrent change wins)", async () => {
    const bed = await bedWithNodesOnDcA();
    stripFinalizer(bed);
    const stale = structuredClone(bed.dataCenter("dc-a")!);
    bed.kube.patchAsOther({ apiVersion: "relaylab.dev/v1alpha1", kind: "DataCenter", name: "dc-a" }, { metadata: { labels: { changed: "yes" } } });
    await assert.rejects(bed.kube.update({ ...stale, metadata: { ...stale.metadata, finalizers: [DATACENTER_FINALIZER] } }), /has been modified/);
    await bed.reconcileDataCenter("dc-a");
    assert.deepEqual(bed.dataCenter("dc-a")?.metadata.finalizers, [DATACENTER_FINALIZER]);
    assert.equal(bed.dataCenter("dc-a")?.metadata.labels?.changed, "yes", "the other writer's change survives");
  });

  it("reports an outage and exceeded capacity", async () => {
    const bed = testBed();
    await bed.kube.create(dataCenter("dc-a", { outage: true, capacity: { maxNodes: 2 } }));
    const { metadata: _m, ...rest } = subnet("beta", { nodes: 3, groups: 1, groupSize: 3, dataCenters: { names: ["dc-a"] } });
    await bed.kube.create({ ...rest, metadata: { name: "beta", namespace: "default" } });
    await bed.reconcileDataCenter("dc-a");
    await bed.reconcileDataCenter("dc-a");
    assert.equal(statusOf(bed, "dc-a").conditions?.find((c) => c.type === "Outage")?.status, "True");
    await bed.reconcileSubnet("beta");
    assert.equal(bed.subnet("beta").status?.phase, "Failed", "capacity 2 cannot hold 3 nodes");
  });

  it("is held by the Subnet before its StatefulSet exists, so a delete in between waits", async () => {
    const bed = testBed();
    await bed.kube.create(dataCenter("dc-a"));
    const { metadata: _m, ...rest } = subnet("beta", { nodes: 4, groups: 1, groupSize: 4 });
    await bed.kube.create({ ...rest, metadata: { name: "beta", namespace: "default" } });
    // The operator stops right before the StatefulSet is written (a crash, a lost leadership).
    bed.kube.interceptor = (op, kind) => (op === "apply" && kind === "StatefulSet" ? new Error("injected: operator gone") : undefined);
    await assert.rejects(bed.reconcileSubnet("beta"), /injected/);
    assert.deepEqual(bed.dataCenter("dc-a")?.metadata.finalizers, [DATACENTER_FINALIZER], "added before any StatefulSet");
    assert.equal(bed.statefulSet("beta-dc-a"), undefined);
    await bed.reconcileDataCenter("dc-a");
    assert.deepEqual(bed.dataCenter("dc-a")?.metadata.finalizers, [DATACENTER_FINALIZER], "a Subnet selecting it keeps it held");

    await bed.kube.delete({ apiVersion: "relaylab.dev/v1alpha1", kind: "DataCenter", name: "dc-a" });
    assert.ok(bed.dataCenter("dc-a")?.metadata.deletionTimestamp, "the delete waits for the finalizer");
    bed.kube.interceptor = undefined;
    await bed.reconcileSubnet("beta");
    assert.equal(bed.statefulSet("beta-dc-a"), undefined, "a deleting DataCenter takes no nodes");
    assert.equal(bed.subnet("beta").status?.phase, "Failed");
    await bed.reconcileDataCenter("dc-a");
    assert.equal(bed.dataCenter("dc-a"), undefined, "no node ever ran there: released");
  });

  it("stays held while node pods terminate after their StatefulSet is gone", async () => {
    const bed = await bedWithNodesOnDcA();
    await bed.reconcileDataCenter("dc-a");
    // Background deletion: the StatefulSet goes with its Subnet, its pod still terminates.
    await bed.kube.create({ apiVersion: "v1", kind: "Pod", metadata: { name: "beta-dc-a-0", namespace: "default", labels: { [LABEL_SUBNET]: "beta", [LABEL_DATA_CENTER]: "dc-a" } } });
    await bed.kube.delete({ apiVersion: "relaylab.dev/v1alpha1", kind: "Subnet", name: "beta", namespace: "default" });
    await bed.kube.delete({ apiVersion: "relaylab.dev/v1alpha1", kind: "DataCenter", name: "dc-a" });
    assert.equal(bed.statefulSet("beta-dc-a"), undefined);

    const result = await bed.reconcileDataCenter("dc-a");
    assert.deepEqual(result, { requeueAfterMs: TERMINATING_PODS_RECHECK_MS }, "pods are not watched: it looks again");
    assert.deepEqual(bed.dataCenter("dc-a")?.metadata.finalizers, [DATACENTER_FINALIZER]);
    assert.equal(statusOf(bed, "dc-a").nodes, 1);
    assert.match(statusOf(bed, "dc-a").conditions?.find((c) => c.type === "InUse")?.message ?? "", /1 nodes of Subnets default\/beta still run here/);

    await bed.kube.delete({ apiVersion: "v1", kind: "Pod", name: "beta-dc-a-0", namespace: "default" });
    await bed.reconcileDataCenter("dc-a");
    assert.equal(bed.dataCenter("dc-a"), undefined, "the last pod gone: released");
  });

  it("in a namespaced install, holds and releases a finalizer of its own, never another namespace's", async () => {
    const bed = await bedWithNodesOnDcA({ namespace: "default" });
    const own = dataCenterFinalizer("default");
    assert.equal(own, "relaylab.dev/in-use-default");
    assert.deepEqual(bed.dataCenter("dc-a")?.metadata.finalizers, [own], "the Subnet controller held it with the namespace's finalizer");
    // An operator of another namespace holds the same DataCenter for its own nodes.
    const other = dataCenterFinalizer("other");
    bed.kube.patchAsOther({ apiVersion: "relaylab.dev/v1alpha1", kind: "DataCenter", name: "dc-a" }, { metadata: { finalizers: [own, other] } });
    await bed.kube.delete({ apiVersion: "relaylab.dev/v1alpha1", kind: "Subnet", name: "beta", namespace: "default" });
    await bed.reconcileDataCenter("dc-a");
    assert.deepEqual(bed.dataCenter("dc-a")?.metadata.finalizers, [other], "its own hold goes with its nodes; the other namespace's stays");
    await bed.kube.delete({ apiVersion: "relaylab.dev/v1alpha1", kind: "DataCenter", name: "dc-a" });
    await bed.reconcileDataCenter("dc-a");
    assert.ok(bed.dataCenter("dc-a")?.metadata.deletionTimestamp, "the other namespace's nodes still hold it");
    assert.match(dataCenterFinalizer("n".repeat(63)), /^relaylab\.dev\/in-use-[0-9a-f]{24}$/, "a long namespace is named by its hash");
  });
});
