// SPDX-License-Identifier: Apache-2.0
/**
 * Two operator replicas against a real API server, both as the chart's ServiceAccount: they
 * elect a leader through a coordination.k8s.io Lease (under the RBAC the chart grants), only the
 * leader writes, and when it stops the other takes over and reconciles.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { GROUP, VERSION } from "../../src/api/index.js";
import { statefulSetName } from "../../src/resources/names.js";
import { waitFor } from "./harness.js";
import { type OperatorIdentity, installChart } from "./harness/chart.js";
import { OperatorRun } from "./harness/operator.js";
import { k8sSuite } from "./harness/suite.js";

const suite = await k8sSuite();
const ns = "leader";
const api = `/apis/${GROUP}/${VERSION}`;

describe("two operator replicas on a real API server", { skip: suite.skip }, () => {
  let identity: OperatorIdentity;
  const plane = suite.controlPlane(async (p) => {
    identity = await installChart(p, p.binaries.helm);
    await p.addNodes([{ name: "kwok-0" }]);
    await p.admin.create("/api/v1/namespaces", { metadata: { name: ns } });
    await p.admin.create(`${api}/datacenters`, { apiVersion: `${GROUP}/${VERSION}`, kind: "DataCenter", metadata: { name: "dc-a" }, spec: {} });
  });
  const replicas: OperatorRun[] = [];
  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
  });
  const leasePath = (): string => `/apis/coordination.k8s.io/v1/namespaces/${identity.namespace}/leases/relaylab-operator`;
  const holder = async (): Promise<string | undefined> =>
    (await plane().admin.find<{ spec?: { holderIdentity?: string } }>(leasePath()))?.spec?.holderIdentity;
  const stsPath = `/apis/apps/v1/namespaces/${ns}/statefulsets/${statefulSetName("beta", "dc-a")}`;

  it("elect one leader, and only the leader writes", async () => {
    for (const name of ["replica-1", "replica-2"]) {
      replicas.push(await OperatorRun.start(identity.kubeConfig, name, { leaseNamespace: identity.namespace, namespace: ns }));
    }
    const leader = await waitFor("a replica to hold the Lease", async () => {
      for (const r of replicas) r.assertRunning();
      const h = await holder();
      return replicas.find((r) => r.identity === h);
    });
    await plane().admin.create(`${api}/namespaces/${ns}/subnets`, {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "Subnet",
      metadata: { name: "beta" },
      spec: { nodes: 2, groups: 1, groupSize: 2, dataCenters: { names: ["dc-a"] } },
    });
    await waitFor("the leader to create the StatefulSet", () => plane().admin.find(stsPath));
    const follower = replicas.find((r) => r !== leader)!;
    assert.ok(leader.objectWrites().length > 0, "the leader wrote the Subnet's children");
    assert.deepEqual(follower.objectWrites(), [], `follower ${follower.identity} must not write`);
    assert.equal(await holder(), leader.identity, "leadership must not flap while both run");
  });

  it("hand over to the other replica when the leader stops", async () => {
    const leaderName = await holder();
    const leader = replicas.find((r) => r.identity === leaderName)!;
    const successor = replicas.find((r) => r !== leader)!;
    await leader.stop();
    await waitFor(`${successor.identity} to take the Lease`, async () => {
      successor.assertRunning();
      return (await holder()) === successor.identity ? true : undefined;
    });
    await plane().admin.merge(`${api}/namespaces/${ns}/subnets/beta`, { spec: { nodes: 3, groupSize: 3, topologyChange: "NewNetwork" } });
    await waitFor("the new leader to scale the StatefulSet", async () => {
      successor.assertRunning();
      const sts = await plane().admin.get<{ spec: { replicas: number } }>(stsPath);
      return sts.spec.replicas === 3 ? true : undefined;
    });
    assert.ok(successor.objectWrites().some((w) => w.kind === "StatefulSet"), "the successor applied the StatefulSet");
  });
});
