// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseGenesisJson } from "@relaylab/node/config";
import { identityPublicKey } from "@relaylab/node/identity";
import type { SubnetSpec } from "../../../src/api/index.js";
import { decodeIdentitySecret } from "../../../src/resources/index.js";
import type { NodeLiveStatus } from "../../../src/operator/controller/live.js";
import { REAPPLY_MS } from "../../../src/operator/controller/applied.js";
import { NODE_BACKOFF_MAX_MS } from "../../../src/operator/controller/node-calls.js";
import { ANNOTATION_GENESIS_HASH, DEFAULT_CHILDREN_CONFIG, PORTS, inDomain, networkPolicyRef, nodeHost } from "../../../src/resources/index.js";
import type { KubeObject } from "../../../src/operator/runtime/kube.js";
import { dataCenter, subnet } from "../../fixtures.js";
import { testBed } from "./harness.js";

type Bed = ReturnType<typeof testBed>;

async function setup(spec: Partial<SubnetSpec> = {}, options: Parameters<typeof testBed>[0] = {}): Promise<Bed> {
  const bed = testBed(options);
  await bed.kube.create(dataCenter("dc-a", { network: { latencyMs: { "dc-b": 40 } } }));
  await bed.kube.create(dataCenter("dc-b", { network: { loss: 0.01 } }));
  await bed.kube.create(dataCenter("dc-c"));
  const { metadata: _m, ...rest } = subnet("beta", { nodes: 16, groups: 4, groupSize: 7, dataCenters: { names: ["dc-a", "dc-b", "dc-c"] }, ...spec });
  await bed.kube.create({ ...rest, metadata: { name: "beta", namespace: "default" } });
  return bed;
}

const genesisOf = (bed: Bed) => {
  const cm = bed.kube.find("v1", "ConfigMap", "beta-genesis", "default") as unknown as KubeObject & { data: Record<string, string> };
  return { genesis: parseGenesisJson(cm.data["genesis.json"] ?? ""), hash: cm.metadata.annotations?.[ANNOTATION_GENESIS_HASH] };
};
const secretKeys = (bed: Bed) => decodeIdentitySecret((bed.kube.find("v1", "Secret", "beta-identity", "default") as unknown as { data: Record<string, string> }).data);
const condition = (bed: Bed, type: string) => bed.subnet("beta").status?.conditions?.find((c) => c.type === type);

function reportAll(bed: Bed, patch: Partial<NodeLiveStatus> = {}): void {
  const { genesis } = genesisOf(bed);
  for (const n of genesis.nodes) {
    bed.nodes.statuses.set(`${nodeHost("beta", "default", n.dataCenter, n.index)}:${PORTS.peer}`, {
      index: n.index,
      ready: true,
      round: 12,
      registeredGroups: 4,
      epoch: 0,
      stallEvents: 0,
      stalled: false,
      finalizedHeight: 3,
      activeFaults: [],
      roundLatencyP50Seconds: 0.25 + n.index / 1000,
      // A node that has not measured one reports 0: the median leaves it out.
      signingLatencyP50Seconds: n.index === 0 ? 0 : 0.04 + n.index / 1000,
      ...patch,
    });
  }
  // Nodes that did not answer before are asked again once their backoff ran out.
  bed.clock.advance(NODE_BACKOFF_MAX_MS);
}

describe("reconcileSubnet", () => {
  it("creates genesis, identity keys, one StatefulSet per data center, a Service and a PDB, all owned by the Subnet", async () => {
    const bed = await setup();
    const result = await bed.reconcileSubnet("beta");
    assert.equal(result.requeueAfterMs, 10_000, "live figures are refreshed periodically");

    const { genesis } = genesisOf(bed);
    assert.equal(genesis.nodes.length, 16);
    assert.deepEqual(genesis.groups, { count: 4, size: 7, threshold: 4, unsafeAllowMinorityThreshold: false });
    assert.equal(genesis.nodes[0]?.address, "beta-dc-a-0.beta-peers.default.svc:7000");
    assert.equal(genesis.nodes[15]?.dataCenter, "dc-c");

    const keys = secretKeys(bed);
    assert.equal(keys.size, 16);
    genesis.nodes.forEach((n) => assert.equal(identityPublicKey(keys.get(n.index)!), n.identityKey));

    assert.deepEqual(
      bed.kube.objects("apps/v1", "StatefulSet").map((s) => [s.metadata.name, (s as unknown as { spec: { replicas: number; ordinals: { start: number } } }).spec.replicas, (s as unknown as { spec: { ordinals: { start: number } } }).spec.ordinals.start]),
      [
        ["beta-dc-a", 6, 0],
        ["beta-dc-b", 5, 6],
        ["beta-dc-c", 5, 11],
      ],
    );
    const uid = bed.subnet("beta").metadata.uid;
    const children = [...bed.kube.objects("v1", "ConfigMap"), ...bed.kube.objects("v1", "Secret"), ...bed.kube.objects("v1", "Service"), ...bed.kube.objects("apps/v1", "StatefulSet"), ...bed.kube.objects("policy/v1", "PodDisruptionBudget")];
    assert.equal(children.length, 7);
    for (const c of children) assert.equal(c.metadata.ownerReferences?.[0]?.uid, uid);
    assert.equal(bed.kube.objects("monitoring.coreos.com/v1", "PodMonitor").length, 0, "no PodMonitor without the Prometheus Operator");

    const status = bed.subnet("beta").status!;
    assert.equal(status.observedGeneration, 1);
    assert.equal(status.phase, "Pending");
    assert.deepEqual(status.conditions?.map((c) => [c.type, c.status, c.observedGeneration]), [
      ["Ready", "False", 1],
      ["DKGComplete", "Unknown", 1],
      ["Progressing", "True", 1],
      ["Degraded", "False", 1],
      ["Stalled", "False", 1],
    ]);
    assert.deepEqual(status.placement?.map((p) => [p.dataCenter, p.firstIndex, p.nodes]), [
      ["dc-a", 0, 6],
      ["dc-b", 6, 5],
      ["dc-c", 11, 5],
    ]);
    assert.ok(bed.events().includes("IdentityKeysGenerated"));
  });

  it("writes nothing on a second reconcile when nothing changed", async () => {
    const bed = await setup();
    await bed.reconcileSubnet("beta");
    bed.markReady();
    reportAll(bed);
    await bed.reconcileSubnet("beta");
    const writes = bed.kube.writes.length;
    const rvs = bed.kube.objects("apps/v1", "StatefulSet").map((s) => s.metadata.resourceVersion);
    await bed.reconcileSubnet("beta");
    assert.deepEqual(bed.kube.writes.slice(writes), []);
    assert.deepEqual(bed.kube.objects("apps/v1", "StatefulSet").map((s) => s.metadata.resourceVersion), rvs);
  });

  it("reports live figures: Ready, DKGComplete, round, latency p50, and a stall", async () => {
    const bed = await setup();
    await bed.reconcileSubnet("beta");
    bed.markReady();
    reportAll(bed);
    await bed.reconcileSubnet("beta");
    let status = bed.subnet("beta").status!;
    assert.equal(status.phase, "Running");
    assert.equal(status.readyNodes, 16);
    assert.equal(status.round, 12);
    assert.equal(status.roundLatencyP50Ms, 257.5, "median of the nodes' p50s");
    assert.equal(status.signingLatencyP50Ms, 48, "median of the p50s of the nodes that measured one");
    assert.equal(condition(bed, "Ready")?.status, "True");
    assert.equal(condition(bed, "DKGComplete")?.status, "True");
    assert.equal(condition(bed, "Progressing")?.status, "False");
    const readySince = condition(bed, "Ready")?.lastTransitionTime;
    assert.ok(bed.events().includes("AllNodesReady"));

    bed.clock.advance(60_000);
    reportAll(bed, { stalled: true, stallEvents: 2, round: 13 });
    await bed.reconcileSubnet("beta");
    status = bed.subnet("beta").status!;
    assert.equal(status.phase, "Stalled");
    assert.equal(status.stallEvents, 2);
    assert.equal(condition(bed, "Stalled")?.status, "True");
    assert.match(condition(bed, "Stalled")?.message ?? "", /round 14 is open longer than timings.stallTimeoutMs \(5000 ms\)/);
    assert.equal(condition(bed, "Ready")?.lastTransitionTime, readySince, "lastTransitionTime moves only when status flips");
    assert.ok(bed.events().includes("RoundStalled"));
  });

  it("keeps identity keys when scaling, and says a new genesis is a new network", async () => {
    const bed = await setup();
    await bed.reconcileSubnet("beta");
    const before = secretKeys(bed);
    const oldHash = genesisOf(bed).hash!;
    const sn = bed.subnet("beta");
    await bed.kube.update({ ...sn, spec: { ...sn.spec, nodes: 18 } } as KubeObject);
    assert.equal(bed.subnet("beta").metadata.generation, 2);
    await bed.reconcileSubnet("beta");
    const after = secretKeys(bed);
    assert.equal(after.size, 18);
    for (const [i, k] of before) assert.equal(after.get(i), k, `key of node ${i} kept`);
    const { hash } = genesisOf(bed);
    assert.notEqual(hash, oldHash);
    assert.equal(condition(bed, "Progressing")?.reason, "NewGenesis");
    assert.equal(condition(bed, "Progressing")?.observedGeneration, 2);
    assert.match(condition(bed, "Progressing")?.message ?? "", /new network/);
    assert.equal(bed.subnet("beta").status?.genesisHash, hash);
    const tmpl = bed.statefulSet("beta-dc-a") as unknown as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
    assert.equal(tmpl.spec.template.metadata.annotations[ANNOTATION_GENESIS_HASH], hash, "the pod template rolls with the genesis");
    assert.ok(bed.events().includes("NewGenesis"));

    // Pods of the old genesis restart together (a rolling update would wait for ever).
    const pod = (n: string, h: string): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name: n, namespace: "default", labels: { "relaylab.dev/subnet": "beta" }, annotations: { [ANNOTATION_GENESIS_HASH]: h } } });
    await bed.kube.create(pod("beta-dc-a-0", oldHash));
    await bed.kube.create(pod("beta-dc-a-1", hash!));
    await bed.reconcileSubnet("beta");
    assert.deepEqual(bed.kube.objects("v1", "Pod").map((p) => p.metadata.name), ["beta-dc-a-1"], "only the old-genesis pod is deleted");
    assert.ok(bed.events().includes("RestartingForNewGenesis"));

    // A group-parameter change is a new network too.
    const sn2 = bed.subnet("beta");
    await bed.kube.update({ ...sn2, spec: { ...sn2.spec, groups: 5 } } as KubeObject);
    await bed.reconcileSubnet("beta");
    assert.notEqual(genesisOf(bed).hash, hash);
    assert.equal(genesisOf(bed).genesis.groups.count, 5);
  });

  it("reads the Secret once a minute and the genesis ConfigMap from its cache: status refreshes send no GET", async () => {
    const bed = await setup();
    const gets: string[] = [];
    bed.kube.interceptor = (op, kind) => {
      if (op === "get") gets.push(kind);
      return undefined;
    };
    await bed.reconcileSubnet("beta");
    assert.deepEqual(gets, ["Secret"], "a new Subnet: one GET shows there are no keys before they are generated");
    gets.length = 0;
    for (let i = 0; i < 5; i++) {
      bed.clock.advance(10_000);
      await bed.reconcileSubnet("beta");
    }
    assert.deepEqual(gets, [], "what the operator wrote a minute ago is what is stored");
    bed.clock.advance(10_000);
    await bed.reconcileSubnet("beta");
    assert.deepEqual(gets, ["Secret"], "after a minute it reads again, so an edit behind its back is seen");
  });

  it("never generates a key twice nor drops one when scaling down and up again", async () => {
    const bed = await setup();
    const scale = async (nodes: number): Promise<void> => {
      const sn = bed.subnet("beta");
      await bed.kube.update({ ...sn, spec: { ...sn.spec, nodes } } as KubeObject);
      await bed.reconcileSubnet("beta");
    };
    await bed.reconcileSubnet("beta");
    await scale(18);
    const keys = secretKeys(bed);
    assert.equal(keys.size, 18);
    const secretWrites = (): number => bed.kube.writes.filter((w) => w.kind === "Secret").length;
    const written = secretWrites();

    await scale(16);
    assert.equal(secretKeys(bed).size, 18, "the keys of nodes 16 and 17 stay stored for a scale-up");
    await scale(18);
    assert.deepEqual(secretKeys(bed), keys);
    assert.equal(secretWrites(), written, "no key was generated, so the Secret was not written");
    const { genesis } = genesisOf(bed);
    for (const n of genesis.nodes) assert.equal(n.identityKey, identityPublicKey(keys.get(n.index) ?? ""), `node ${n.index} keeps its identity`);

    // Someone deletes a key behind the operator's back: the next read after a minute sees it and
    // generates that key alone, so the genesis changes for that node only.
    const secret = bed.kube.find("v1", "Secret", "beta-identity", "default") as unknown as KubeObject & { data: Record<string, string> };
    const { "node-3.key": _dropped, ...rest } = secret.data;
    await bed.kube.update({ ...secret, data: rest } as KubeObject);
    bed.clock.advance(60_000);
    await bed.reconcileSubnet("beta");
    const after = secretKeys(bed);
    assert.equal(after.size, 18);
    for (const [i, k] of keys) if (i !== 3) assert.equal(after.get(i), k, `key of node ${i} kept`);
    assert.notEqual(after.get(3), keys.get(3));
  });

  it("reports a new genesis once, although the ConfigMap cache still shows the old one", async () => {
    const bed = await setup({}, { laggingConfigMaps: true });
    await bed.reconcileSubnet("beta");
    bed.syncConfigMaps();
    const sn = bed.subnet("beta");
    await bed.kube.update({ ...sn, spec: { ...sn.spec, groups: 5 } } as KubeObject);
    await bed.reconcileSubnet("beta");
    await bed.reconcileSubnet("beta");
    assert.equal(bed.events().filter((r) => r === "NewGenesis").length, 1);
  });

  it("changes the image by rolling the StatefulSets, without a new genesis", async () => {
    const bed = await setup();
    await bed.reconcileSubnet("beta");
    const hash = genesisOf(bed).hash;
    const sn = bed.subnet("beta");
    await bed.kube.update({ ...sn, spec: { ...sn.spec, image: "relaylab/node:next" } } as KubeObject);
    await bed.reconcileSubnet("beta");
    assert.equal(genesisOf(bed).hash, hash);
    const sts = bed.statefulSet("beta-dc-b") as unknown as { spec: { template: { spec: { containers: { image: string }[] } } } };
    assert.equal(sts.spec.template.spec.containers[0]?.image, "relaylab/node:next");
    assert.equal(condition(bed, "Progressing")?.reason, "RollingOut");
  });

  it("pushes each node's network profile and byzantine faults, again only when they change", async () => {
    const bed = await setup({ faults: { byzantine: { count: 1, behaviour: "InvalidShares" } } });
    await bed.reconcileSubnet("beta");
    const pushesTo = (index: number, dc: string) => bed.nodes.pushes.filter((p) => p.address === `${nodeHost("beta", "default", dc, index)}:${PORTS.control}`);
    assert.deepEqual(pushesTo(0, "dc-a")[0]?.faults.links.map((l) => [l.dataCenters[0], l.delayMs]), [["dc-b", 40]]);
    assert.deepEqual(pushesTo(6, "dc-b")[0]?.faults.links.map((l) => [l.dataCenters[0], l.loss]), [["dc-a", 0.01], ["dc-b", 0.01], ["dc-c", 0.01]]);
    assert.deepEqual(pushesTo(15, "dc-c")[0]?.faults.byzantine, ["InvalidShares"]);
    assert.deepEqual(pushesTo(11, "dc-c").map((p) => p.faults), [{ links: [], byzantine: [], selectivePeers: [], pauseMs: 0 }], "an unfaulted node of unknown state is cleared once");

    const count = bed.nodes.pushes.length;
    await bed.reconcileSubnet("beta");
    assert.equal(bed.nodes.pushes.length, count, "unchanged faults are not pushed again");

    // A node that restarted reports no faults although it should have some: it gets them again.
    reportAll(bed, { activeFaults: ["delay"] });
    const a0 = `${nodeHost("beta", "default", "dc-a", 0)}:${PORTS.peer}`;
    bed.nodes.statuses.set(a0, { ...bed.nodes.statuses.get(a0)!, activeFaults: [] });
    await bed.reconcileSubnet("beta");
    assert.deepEqual(bed.nodes.pushes.slice(count).map((p) => p.address), [`${nodeHost("beta", "default", "dc-a", 0)}:${PORTS.control}`]);
    bed.nodes.pushes.splice(count);
    reportAll(bed, { activeFaults: ["delay"] });

    const dc = bed.dataCenter("dc-c")!;
    await bed.kube.update({ ...dc, spec: { ...dc.spec, outage: true } } as KubeObject);
    await bed.reconcileSubnet("beta");
    const outage = bed.nodes.pushes.slice(count);
    assert.equal(outage.length, 5, "every dc-c node, and only those");
    for (const p of outage) assert.deepEqual(p.faults.links, [{ peers: [], dataCenters: [], delayMs: 0, jitterMs: 0, loss: 0, bandwidthBps: 0, partition: true }]);
    assert.equal(bed.kube.writes.filter((w) => w.kind === "StatefulSet" && w.op === "apply").length, 3, "no restart: StatefulSets untouched by a network change");
  });

  it("deletes the StatefulSet of a data center the Subnet no longer uses", async () => {
    const bed = await setup();
    await bed.reconcileSubnet("beta");
    const sn = bed.subnet("beta");
    await bed.kube.update({ ...sn, spec: { ...sn.spec, dataCenters: { names: ["dc-a", "dc-b"] } } } as KubeObject);
    await bed.reconcileSubnet("beta");
    assert.equal(bed.statefulSet("beta-dc-c"), undefined);
    assert.deepEqual(bed.kube.objects("apps/v1", "StatefulSet").map((s) => s.metadata.name), ["beta-dc-a", "beta-dc-b"]);
  });

  it("reports a placement it cannot make, and changes nothing", async () => {
    const bed = await setup({ dataCenters: { names: ["dc-a", "dc-x"] } });
    await bed.reconcileSubnet("beta");
    assert.equal(bed.kube.objects("apps/v1", "StatefulSet").length, 0);
    const status = bed.subnet("beta").status!;
    assert.equal(status.phase, "Failed");
    assert.equal(condition(bed, "Degraded")?.reason, "PlacementFailed");
    assert.match(condition(bed, "Degraded")?.message ?? "", /"dc-x" but no such DataCenter exists/);
  });

  it("leaves children alone while paused", async () => {
    const bed = await setup();
    await bed.reconcileSubnet("beta");
    const sn = bed.subnet("beta");
    await bed.kube.update({ ...sn, spec: { ...sn.spec, paused: true, nodes: 20 } } as KubeObject);
    const writes = bed.kube.writes.length;
    await bed.reconcileSubnet("beta");
    assert.deepEqual(bed.kube.writes.slice(writes).map((w) => w.kind), ["Subnet"], "only the status");
    assert.equal(bed.subnet("beta").status?.phase, "Paused");
    assert.equal(bed.subnet("beta").status?.placement?.reduce((a, p) => a + p.nodes, 0), 16);
  });

  it("adds a PodMonitor when monitoring.coreos.com is served; deleting the Subnet collects everything", async () => {
    const bed = await setup();
    bed.kube.servedGroups.add("monitoring.coreos.com");
    await bed.reconcileSubnet("beta");
    assert.equal(bed.kube.objects("monitoring.coreos.com/v1", "PodMonitor").length, 1);
    await bed.kube.delete({ apiVersion: "relaylab.dev/v1alpha1", kind: "Subnet", namespace: "default", name: "beta" });
    for (const [v, k] of [["v1", "ConfigMap"], ["v1", "Secret"], ["v1", "Service"], ["apps/v1", "StatefulSet"], ["policy/v1", "PodDisruptionBudget"], ["monitoring.coreos.com/v1", "PodMonitor"]] as const) {
      assert.equal(bed.kube.objects(v, k).length, 0, `${k} collected`);
    }
    assert.deepEqual(await bed.reconcileSubnet("beta"), {}, "a deleted Subnet is a no-op");
  });

  it("frees what it held for a deleted Subnet: the channels to its nodes are released, other Subnets' kept", async () => {
    const bed = await setup({ faults: { byzantine: { count: 1, behaviour: "InvalidShares" } } });
    await bed.reconcileSubnet("beta");
    assert.ok(bed.nodes.pushes.length > 0);
    await bed.kube.delete({ apiVersion: "relaylab.dev/v1alpha1", kind: "Subnet", namespace: "default", name: "beta" });
    await bed.reconcileSubnet("beta");
    assert.deepEqual(bed.nodes.released, ["beta-peers.default.svc"]);
    assert.ok(inDomain(`${nodeHost("beta", "default", "dc-a", 0)}:${PORTS.control}`, "beta-peers.default.svc"));
    assert.ok(!inDomain("beta-dc-a-0.beta-peers.other.svc:7001", "beta-peers.default.svc"), "a Subnet of the same name in another namespace is another domain");
  });

  it("frees what it held for a Subnet deleted and created again under the same name before it saw the delete", async () => {
    const bed = await setup({ faults: { byzantine: { count: 1, behaviour: "InvalidShares" } } });
    await bed.reconcileSubnet("beta");
    const old = bed.subnet("beta");
    await bed.kube.delete({ apiVersion: "relaylab.dev/v1alpha1", kind: "Subnet", namespace: "default", name: "beta" });
    const { metadata: _m, status: _s, ...rest } = old;
    await bed.kube.create({ ...rest, metadata: { name: "beta", namespace: "default" } });
    assert.notEqual(bed.subnet("beta").metadata.uid, old.metadata.uid);
    assert.deepEqual(bed.nodes.released, []);
    await bed.reconcileSubnet("beta");
    assert.deepEqual(bed.nodes.released, ["beta-peers.default.svc"], "the old object's state is freed when its name turns up under a new uid");
    await bed.reconcileSubnet("beta");
    assert.equal(bed.nodes.released.length, 1, "the new object's state is kept");
  });

  it("deletes the NetworkPolicy an earlier run built once policies are turned off, at most once per re-apply period", async () => {
    const on = await setup();
    await on.reconcileSubnet("beta");
    const built = on.kube.objects("networking.k8s.io/v1", "NetworkPolicy");
    assert.deepEqual(built.map((p) => p.metadata.name), [networkPolicyRef(on.subnet("beta")).metadata.name], "the reference names the policy it builds");

    const bed = await setup({}, { children: { ...DEFAULT_CHILDREN_CONFIG, networkPolicy: undefined } });
    const policy = (name: string) => ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace: "default" } });
    await bed.kube.create(policy("beta")); // built by an earlier run with policies on
    await bed.kube.create(policy("someone-elses"));
    const names = () => bed.kube.objects("networking.k8s.io/v1", "NetworkPolicy").map((p) => p.metadata.name);
    await bed.reconcileSubnet("beta");
    assert.deepEqual(names(), ["someone-elses"]);
    let deletes = 0;
    bed.kube.interceptor = (op, kind) => {
      if (op === "delete" && kind === "NetworkPolicy") deletes++;
      return undefined;
    };
    await bed.kube.create(policy("beta")); // created behind the operator's back
    await bed.reconcileSubnet("beta");
    assert.equal(deletes, 0, "not a delete per reconcile");
    bed.clock.advance(REAPPLY_MS);
    await bed.reconcileSubnet("beta");
    assert.equal(deletes, 1);
    assert.deepEqual(names(), ["someone-elses"], "repeated like a re-apply");
  });

  it("matches node hosts to exactly their Subnet's domain", () => {
    const domain = "beta-peers.default.svc";
    assert.ok(inDomain("beta-dc-a-0.beta-peers.default.svc:7000", domain));
    assert.ok(!inDomain("x-dc-a-0.alpha.beta-peers.default.svc:7000", domain), "a domain that merely ends with this one is another");
    assert.ok(!inDomain("x-dc-a-0.xbeta-peers.default.svc:7000", domain), "a name sharing a suffix is another");
    assert.ok(!inDomain("beta-peers.default.svc:7000", domain), "the domain alone is no node host");
  });

  it("deletes a Subnet when spec.ttlSeconds has elapsed since its creation, and says when in the status", async () => {
    const bed = await setup({ ttlSeconds: 3600 });
    const expiresAt = Date.parse(bed.subnet("beta").metadata.creationTimestamp ?? "") + 3_600_000;
    bed.clock.advance(expiresAt - bed.clock.now() - 4_000);
    const early = await bed.reconcileSubnet("beta");
    assert.equal(early.requeueAfterMs, 4_000, "the next reconcile is due when the TTL runs out, not at the next refresh");
    assert.equal(bed.subnet("beta").status?.expiresAt, new Date(expiresAt).toISOString());
    assert.ok(bed.statefulSet("beta-dc-a"), "still running before it expires");

    bed.clock.advance(4_000);
    assert.deepEqual(await bed.reconcileSubnet("beta"), {});
    assert.equal(bed.kube.find("relaylab.dev/v1alpha1", "Subnet", "beta", "default"), undefined);
    assert.equal(bed.kube.objects("apps/v1", "StatefulSet").length, 0, "its nodes go by garbage collection");
    assert.ok(bed.events().includes("Expired"));
  });

  it("sends no status when nothing changed, whatever the key order the API server returns", async () => {
    const bed = await setup();
    await bed.reconcileSubnet("beta");
    // As the API server serves custom resources: the same status with its keys sorted (the fake
    // hands out its stored object, so this rewrites the store without recording a write).
    const stored = bed.subnet("beta") as unknown as { status: Record<string, unknown> };
    const keys = Object.keys(stored.status);
    stored.status = Object.fromEntries(Object.entries(stored.status).sort(([a], [b]) => a.localeCompare(b)));
    assert.notDeepEqual(Object.keys(stored.status), keys, "the order really changed");
    // Every call counts, even a no-op apply the fake (like the API server) would not record as a write.
    const sent: string[] = [];
    bed.kube.interceptor = (op, kind) => {
      if (kind === "Subnet" && op === "applyStatus") sent.push(op);
      return undefined;
    };
    await bed.reconcileSubnet("beta");
    assert.deepEqual(sent, []);
  });

  it("lists pods only while a new genesis or a template is rolling out", async () => {
    const bed = await setup();
    await bed.reconcileSubnet("beta");
    bed.markReady();
    const podLists: string[] = [];
    bed.kube.interceptor = (op, kind) => {
      if (op === "list" && kind === "Pod") podLists.push(op);
      return undefined;
    };
    await bed.reconcileSubnet("beta");
    assert.deepEqual(podLists, [], "nothing can be stale once every StatefulSet rolled out");
    const sn = bed.subnet("beta");
    await bed.kube.update({ ...sn, spec: { ...sn.spec, groups: 5 } } as KubeObject);
    await bed.reconcileSubnet("beta");
    assert.equal(podLists.length, 1, "a new genesis looks for pods of the old one");
  });

  it("labels node pods with the groups the nodes registered, and relabels only when the groups change or a pod lost them", async () => {
    const bed = await setup();
    await bed.reconcileSubnet("beta");
    bed.markReady();
    const podOf = (name: string, index: number): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", labels: { "relaylab.dev/subnet": "beta", "apps.kubernetes.io/pod-index": String(index) } } });
    for (const [name, index] of [["beta-dc-a-0", 0], ["beta-dc-a-1", 1], ["beta-dc-a-2", 2]] as const) await bed.kube.create(podOf(name, index));
    const labels = (): Record<string, string[]> =>
      Object.fromEntries(bed.kube.objects("v1", "Pod").map((p): [string, string[]] => [p.metadata.name ?? "", Object.keys(p.metadata.labels ?? {}).filter((k) => k.startsWith("group.relaylab.dev/")).sort()]));

    // Before the DKG registers any group, nothing is labelled.
    reportAll(bed, { registeredGroups: 0 });
    await bed.reconcileSubnet("beta");
    assert.deepEqual(labels(), { "beta-dc-a-0": [], "beta-dc-a-1": [], "beta-dc-a-2": [] });

    bed.nodes.groupSets.set(0, [{ index: 0, members: [0, 2, 5] }, { index: 2, members: [2, 7, 9] }]);
    reportAll(bed, { registeredGroups: 2, epoch: 0 });
    await bed.reconcileSubnet("beta");
    assert.deepEqual(labels(), { "beta-dc-a-0": ["group.relaylab.dev/0"], "beta-dc-a-1": [], "beta-dc-a-2": ["group.relaylab.dev/0", "group.relaylab.dev/2"] });
    assert.equal(bed.kube.objects("v1", "Pod")[0]?.metadata.labels?.["group.relaylab.dev/0"], "member");

    const podWrites: string[] = [];
    bed.kube.interceptor = (op, kind) => {
      if (kind === "Pod") podWrites.push(op);
      return undefined;
    };
    await bed.reconcileSubnet("beta");
    assert.deepEqual(podWrites, [], "unchanged groups on ready pods: no pod list, no write");

    // A new epoch registers other groups: the pods follow.
    bed.nodes.groupSets.set(1, [{ index: 0, members: [1, 2, 3] }]);
    reportAll(bed, { registeredGroups: 1, epoch: 1 });
    await bed.reconcileSubnet("beta");
    assert.deepEqual(podWrites, ["list", "apply", "apply", "apply"], "every pod's membership changed: one list, one write each");
    assert.equal(bed.kube.objects("v1", "Pod").find((p) => p.metadata.name === "beta-dc-a-1")?.metadata.labels?.["group.relaylab.dev/0"], "member");
  });

  it("does not wait for nodes that do not answer: status is written within the budget, and their answers count later", async () => {
    const bed = await setup();
    await bed.reconcileSubnet("beta");
    reportAll(bed);
    const answered = new Map(bed.nodes.statuses);
    let gate = (): void => undefined;
    const open = new Promise<void>((r) => (gate = r));
    bed.nodes.status = ({ address }) => open.then(() => answered.get(address) ?? Promise.reject(new Error("unknown")));
    const state = { finished: false };
    const slow = bed.reconcileSubnet("beta").then(() => (state.finished = true));
    // The fake clock only moves when told: move it until the reconcile stops waiting.
    while (!state.finished) {
      await new Promise((r) => setImmediate(r));
      bed.clock.advance(100);
    }
    await slow;
    assert.equal(bed.subnet("beta").status?.round, 0, "nothing answered within the budget");
    gate();
    await open;
    await bed.reconcileSubnet("beta");
    assert.equal(bed.subnet("beta").status?.round, 12, "the answers that came in after the budget are used");
  });

  it("re-applies children only when they change, go missing, or a minute passed", async () => {
    const bed = await setup();
    await bed.reconcileSubnet("beta");
    const applies: string[] = [];
    bed.kube.interceptor = (op, kind) => {
      if (op === "apply") applies.push(kind);
      return undefined;
    };
    await bed.reconcileSubnet("beta");
    assert.deepEqual(applies, [], "nothing changed: no request");

    await bed.kube.delete({ apiVersion: "apps/v1", kind: "StatefulSet", namespace: "default", name: "beta-dc-b" });
    await bed.reconcileSubnet("beta");
    assert.deepEqual(applies, ["StatefulSet"], "a StatefulSet deleted behind the operator's back comes back at once");
    assert.ok(bed.statefulSet("beta-dc-b"));

    applies.length = 0;
    const sn = bed.subnet("beta");
    await bed.kube.update({ ...sn, spec: { ...sn.spec, image: "relaylab/node:next" } } as KubeObject);
    await bed.reconcileSubnet("beta");
    assert.deepEqual(applies, ["StatefulSet", "StatefulSet", "StatefulSet"], "an image change re-applies the StatefulSets only");

    applies.length = 0;
    bed.clock.advance(60_000);
    await bed.reconcileSubnet("beta");
    assert.ok(applies.length >= 6, `after a minute every child is applied again (drift repair): ${applies.join(", ")}`);
  });
});

