// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DATACENTER_FINALIZER } from "../../../src/api/index.js";
import { dataCenter, subnet } from "../../fixtures.js";
import type { DataCenterStatus } from "../../../src/api/index.js";
import { testBed } from "./harness.js";

function statusOf(bed: ReturnType<typeof testBed>, name: string): DataCenterStatus {
  const status = bed.dataCenter(name)?.status;
  assert.ok(status, `DataCenter ${name} has a status`);
  return status;
}

/** A test bed whose Subnet "beta" runs its 4 nodes on DataCenter dc-a (the DataCenter not reconciled yet). */
async function bedWithNodesOnDcA(): Promise<ReturnType<typeof testBed>> {
  const bed = testBed();
  await bed.kube.create(dataCenter("dc-a"));
  const { metadata: _m, ...rest } = subnet("beta", { nodes: 4, groups: 1, groupSize: 4 });
  await bed.kube.create({ ...rest, metadata: { name: "beta", namespace: "default" } });
  await bed.reconcileSubnet("beta");
  return bed;
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
    assert.deepEqual(bed.dataCenter("dc-a")?.metadata.finalizers, []);
    // With no operator reconciling any more, the delete goes through at once.
    await bed.kube.delete({ apiVersion: "relaylab.dev/v1alpha1", kind: "DataCenter", name: "dc-a" });
    assert.equal(bed.dataCenter("dc-a"), undefined);
  });

  it("adds the finalizer with a resourceVersion-guarded update (a concurrent change wins)", async () => {
    const bed = await bedWithNodesOnDcA();
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
});
