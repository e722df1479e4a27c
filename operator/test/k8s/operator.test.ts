// SPDX-License-Identifier: Apache-2.0
/**
 * The operator against a real control plane, one Subnet's life in order: apply → children with
 * controller owner references, pods Running (kwok), status with observedGeneration; scale up and
 * down; a DataCenter outage reaches the nodes; an operator restart writes nothing; an API server
 * restart with etcd compacted (watch 410) is survived; a DataCenter in use is held by its
 * finalizer; node pods get their own identity keys, and no other's, from the key service (real
 * TokenReviews of pod-bound tokens); delete → everything garbage-collected, and the held DataCenter goes too. The
 * operator runs in-process as the ServiceAccount of the rendered Helm chart, with exactly the
 * chart's RBAC (ClusterRole, plus a Role for the Lease), so a rule missing there fails here.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseGenesisJson } from "@relaylab/node/config";
import { dataCenterFinalizer, GROUP, VERSION, type DataCenter, type Subnet } from "../../src/api/index.js";
import { FIELD_MANAGER } from "../../src/operator/runtime/kube.js";
import { IDENTITY_DELIVERY_PATH, IDENTITY_TOKEN_AUDIENCE, requestIdentity } from "@relaylab/node/identity";
import { ANNOTATION_GENESIS_HASH, CONTROL_KEY, IDENTITY_SERVICE_KEY, IDENTITY_SERVICE_PUBLIC_KEY, LABEL_POD_INDEX, LABEL_SUBNET, genesisConfigMapName, identityKeyName, identitySecretName, peersServiceName, statefulSetName } from "../../src/resources/names.js";
import { type KubeObject, type Meta, waitFor } from "./harness.js";
import { type OperatorIdentity, installChart } from "./harness/chart.js";
import { OperatorRun } from "./harness/operator.js";
import { k8sSuite } from "./harness/suite.js";

const suite = await k8sSuite();
const ns = "testnet";
const subnetName = "alpha";
const zones = { "dc-a": "zone-a", "dc-b": "zone-b" } as const;
const api = `/apis/${GROUP}/${VERSION}`;
const subnetPath = `${api}/namespaces/${ns}/subnets/${subnetName}`;

interface StatefulSet extends KubeObject {
  spec: { replicas: number };
  status?: { readyReplicas?: number };
}
interface Pod extends KubeObject {
  spec: { nodeName?: string };
  status?: { phase?: string };
}
interface Condition {
  type: string;
  status: string;
  reason: string;
  observedGeneration?: number;
}

describe("operator on a real API server", { skip: suite.skip }, () => {
  let identity: OperatorIdentity;
  const plane = suite.controlPlane(async (p) => {
    identity = await installChart(p, p.binaries.helm);
    await p.addNodes(
      Object.values(zones).flatMap((zone) => [0, 1].map((i) => ({ name: `${zone}-${i}`, labels: { "topology.kubernetes.io/zone": zone } }))),
    );
    await p.admin.create("/api/v1/namespaces", { metadata: { name: ns } });
    for (const [dc, zone] of Object.entries(zones)) {
      await p.admin.create(`${api}/datacenters`, {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "DataCenter",
        metadata: { name: dc },
        spec: { region: "test", placement: { nodeSelector: { "topology.kubernetes.io/zone": zone } }, network: { latencyMs: { "dc-a": 2, "dc-b": 30 } } },
      });
    }
  });
  let operator: OperatorRun | undefined;
  const op = (): OperatorRun => operator ?? assert.fail("the operator is not running");
  // Single replica without leader election here; the two-replica test below elects a leader.
  const startOperator = async (name: string): Promise<OperatorRun> => {
    operator = await OperatorRun.start(identity.kubeConfig, name, { leaderElection: false, namespace: ns });
    return operator;
  };
  before(async () => {
    if (suite.skip === false) await (await startOperator("op-1")).ready();
  });
  /** waitFor, with the operator's recent warnings in the error when it times out. */
  const waitOp = async <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<Exclude<T, undefined | false>> => {
    try {
      return await waitFor(
        what,
        () => {
          op().assertRunning();
          plane().assertRunning();
          return probe();
        },
        { timeoutMs },
      );
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\noperator ${op().identity} recently logged:\n${op().problems()}`, { cause: e });
    }
  };
  after(async () => {
    await operator?.stop();
  });

  const subnet = (): Promise<Subnet> => plane().admin.get<Subnet>(subnetPath);
  const statefulSets = async (): Promise<StatefulSet[]> =>
    (await plane().admin.list<StatefulSet>(`/apis/apps/v1/namespaces/${ns}/statefulsets`, { labelSelector: `${LABEL_SUBNET}=${subnetName}` })).items;
  const pods = async (): Promise<Pod[]> =>
    (await plane().admin.list<Pod>(`/api/v1/namespaces/${ns}/pods`, { labelSelector: `${LABEL_SUBNET}=${subnetName}` })).items;

  /** Waits until the status describes the current generation with `nodes` ready, Running pods included. */
  async function settled(nodes: number, timeoutMs?: number): Promise<Subnet> {
    return waitOp(`Subnet ${subnetName} to report ${nodes} ready nodes for its current generation`, async () => {
      const s = await subnet();
      const running = (await pods()).filter((p) => p.status?.phase === "Running").length;
      const current = s.status?.observedGeneration === s.metadata.generation;
      if (current && s.status?.readyNodes === nodes && s.status.nodes === nodes && running === nodes) return s;
      // Thrown (not returned) so a timeout reports the state it was stuck in.
      const sts = (await statefulSets()).map((x) => `${x.metadata.name} ${x.status?.readyReplicas ?? 0}/${x.spec.replicas}`);
      throw new Error(
        `generation ${s.metadata.generation ?? "?"}, observed ${s.status?.observedGeneration ?? "none"}, status nodes ${s.status?.nodes ?? "?"} ready ${s.status?.readyNodes ?? "?"}, ` +
          `pods Running ${running}, StatefulSets ${sts.join(", ")}, conditions ${JSON.stringify(s.status?.conditions?.map((c) => [c.type, c.status, c.reason]))}`,
      );
    }, timeoutMs);
  }

  it("applies a Subnet as StatefulSets per data center, a Service, a genesis ConfigMap and an identity Secret, all owned by it", async () => {
    const { admin } = plane();
    const created = await admin.create<Subnet>(`${api}/namespaces/${ns}/subnets`, {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "Subnet",
      metadata: { name: subnetName },
      spec: { nodes: 4, groups: 1, groupSize: 4, dataCenters: { names: ["dc-a", "dc-b"] }, timings: { minRoundPeriodMs: 200 } },
    });
    const uid = created.metadata.uid!;
    const children = [
      `/apis/apps/v1/namespaces/${ns}/statefulsets/${statefulSetName(subnetName, "dc-a")}`,
      `/apis/apps/v1/namespaces/${ns}/statefulsets/${statefulSetName(subnetName, "dc-b")}`,
      `/api/v1/namespaces/${ns}/services/${peersServiceName(subnetName)}`,
      `/api/v1/namespaces/${ns}/configmaps/${genesisConfigMapName(subnetName)}`,
      `/api/v1/namespaces/${ns}/secrets/${identitySecretName(subnetName)}`,
    ];
    for (const path of children) {
      const child = await waitOp<KubeObject>(`${path} to be created`, () => admin.find(path));
      const owner = child.metadata.ownerReferences?.find((r) => r.controller === true);
      assert.deepEqual(
        owner && { kind: owner.kind, name: owner.name, uid: owner.uid },
        { kind: "Subnet", name: subnetName, uid },
        `${path} must have the Subnet as controller owner`,
      );
    }
    const cm = await admin.get<{ data: Record<string, string> }>(children[3]!);
    const genesis = parseGenesisJson(cm.data["genesis.json"]!);
    assert.equal(genesis.nodes.length, 4);
    const secret = await admin.get<{ data: Record<string, string> }>(children[4]!);
    assert.deepEqual(Object.keys(secret.data).sort(), [...[0, 1, 2, 3].map((i) => identityKeyName(i)), IDENTITY_SERVICE_KEY, CONTROL_KEY].sort());
  });

  it("runs the pods on the data centers' nodes and reports status with observedGeneration", async () => {
    const s = await settled(4);
    const byDc = new Map((s.status?.placement ?? []).map((p) => [p.dataCenter, p]));
    assert.equal(byDc.get("dc-a")?.nodes, 2);
    assert.equal(byDc.get("dc-b")?.nodes, 2);
    for (const pod of await pods()) {
      const dc = pod.metadata.name.startsWith(statefulSetName(subnetName, "dc-a")) ? "dc-a" : "dc-b";
      assert.ok(pod.spec.nodeName?.startsWith(zones[dc]), `${pod.metadata.name} runs on ${pod.spec.nodeName ?? "?"}, outside ${dc}'s ${zones[dc]}`);
    }
    const conditions = (s.status?.conditions ?? []) as Condition[];
    for (const type of ["Ready", "Progressing", "Degraded"]) {
      const c = conditions.find((x) => x.type === type);
      assert.ok(c, `condition ${type} missing: ${JSON.stringify(conditions)}`);
      assert.equal(c.observedGeneration, s.metadata.generation, `${type}.observedGeneration`);
    }
    // kwok pods are Ready but run no node: no beacon can be read.
    assert.equal(conditions.find((c) => c.type === "Ready")?.status, "False");
  });

  // The real TokenReview: tokens the API server issues bound to each pod, as the kubelet would
  // project them into it, exchanged at the operator's key service.
  it("delivers each node pod its own identity key through the key service, and no other node's", async () => {
    const { admin } = plane();
    const cm = await admin.get<{ data: Record<string, string> }>(`/api/v1/namespaces/${ns}/configmaps/${genesisConfigMapName(subnetName)}`);
    const servicePub = cm.data[IDENTITY_SERVICE_PUBLIC_KEY] ?? assert.fail("the genesis ConfigMap publishes no key service key");
    const secret = await admin.get<{ data: Record<string, string> }>(`/api/v1/namespaces/${ns}/secrets/${identitySecretName(subnetName)}`);
    const keyOf = (i: number) => Buffer.from(secret.data[identityKeyName(i)] ?? "", "base64").toString();
    const sts = await admin.get<{ spec: { template: { spec: { volumes: { secret?: unknown }[] } } } }>(`/apis/apps/v1/namespaces/${ns}/statefulsets/${statefulSetName(subnetName, "dc-a")}`);
    assert.deepEqual(sts.spec.template.spec.volumes.filter((v) => v.secret !== undefined), [], "node pods mount a Secret");
    const tokenFor = async (pod: Pod, audience = IDENTITY_TOKEN_AUDIENCE): Promise<string> =>
      (
        await admin.create<{ status: { token: string } }>(`/api/v1/namespaces/${ns}/serviceaccounts/default/token`, {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: { audiences: [audience], expirationSeconds: 600, boundObjectRef: { kind: "Pod", apiVersion: "v1", name: pod.metadata.name, uid: pod.metadata.uid } },
        })
      ).status.token;
    const ask = async (index: number, token: string): Promise<{ status: number; key?: string; error?: string }> => {
      const exchange = requestIdentity(servicePub, `${ns}/${subnetName}`, index, token);
      const res = await fetch(`http://${op().keyServiceAddress}${IDENTITY_DELIVERY_PATH}`, { method: "POST", body: JSON.stringify(exchange.request) });
      const body = (await res.json()) as { error?: string };
      return res.ok ? { status: res.status, key: exchange.open(body) } : { status: res.status, ...body };
    };
    const running = await pods();
    assert.equal(running.length, 4);
    for (const pod of running) {
      const index = Number(pod.metadata.labels?.[LABEL_POD_INDEX]);
      const token = await tokenFor(pod);
      assert.deepEqual(await ask(index, token), { status: 200, key: keyOf(index) }, `${pod.metadata.name} gets node ${index}'s key`);
      const other = (index + 1) % 4;
      assert.deepEqual(await ask(other, token), { status: 403, error: `pod ${pod.metadata.name} runs node ${index}, not node ${other}` });
    }
    const first = running[0]!;
    const index = Number(first.metadata.labels?.[LABEL_POD_INDEX]);
    assert.equal((await ask(index, await tokenFor(first, "https://kubernetes.default.svc"))).status, 401, "a token for another audience is refused");
    const unbound = (await admin.create<{ status: { token: string } }>(`/api/v1/namespaces/${ns}/serviceaccounts/default/token`, { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { audiences: [IDENTITY_TOKEN_AUDIENCE], expirationSeconds: 600 } })).status.token;
    assert.deepEqual(await ask(index, unbound), { status: 403, error: "the token is not bound to a pod: mount a projected service-account token" });
  });

  // A scale moves a data center's first index (ordinals.start) and so the genesis: the StatefulSet
  // must recreate the deleted pods from the new revision (rollingUpdate.partition 0 in
  // statefulset.ts), or they come back on the old genesis and the Subnet never settles.
  it("scales up and down, keeping the identity keys it already generated", async () => {
    const { admin } = plane();
    const secretPath = `/api/v1/namespaces/${ns}/secrets/${identitySecretName(subnetName)}`;
    const keysBefore = (await admin.get<{ data: Record<string, string> }>(secretPath)).data;
    const onCurrentGenesis = async (s: Subnet): Promise<void> => {
      // Pods being deleted may still show the old genesis; the settled ones may not.
      for (const pod of (await pods()).filter((p) => p.metadata.deletionTimestamp === undefined)) {
        assert.equal(pod.metadata.annotations?.[ANNOTATION_GENESIS_HASH], s.status?.genesisHash, `${pod.metadata.name} runs an old genesis`);
      }
    };
    await admin.merge(subnetPath, { spec: { nodes: 6, topologyChange: "NewNetwork" } });
    await onCurrentGenesis(await settled(6));
    assert.equal((await statefulSets()).reduce((n, s) => n + s.spec.replicas, 0), 6);
    const keysAfter = (await admin.get<{ data: Record<string, string> }>(secretPath)).data;
    for (const [k, v] of Object.entries(keysBefore)) assert.equal(keysAfter[k], v, `identity key ${k} was regenerated`);
    await admin.merge(subnetPath, { spec: { nodes: 4, topologyChange: "NewNetwork" } });
    await onCurrentGenesis(await settled(4));
    assert.equal((await statefulSets()).reduce((n, s) => n + s.spec.replicas, 0), 4);
  });

  it("propagates a DataCenter outage to that data center's nodes, and its end", async () => {
    const { admin } = plane();
    const dcB = `${api}/datacenters/dc-b`;
    const pushedTo = (dc: string, from: number, partition: boolean): string[] => [
      ...new Set(
        op()
          .nodes.pushes.slice(from)
          .filter((p) => p.address.startsWith(`${statefulSetName(subnetName, dc)}-`) && p.faults.links.some((l) => l.partition) === partition)
          .map((p) => p.address),
      ),
    ];
    const mark = op().nodes.pushes.length;
    await admin.merge(dcB, { spec: { outage: true } });
    const cut = await waitOp("both dc-b nodes to be cut off", () => (pushedTo("dc-b", mark, true).length === 2 ? pushedTo("dc-b", mark, true) : undefined));
    assert.equal(cut.length, 2);
    assert.deepEqual(pushedTo("dc-a", mark, true), [], "an outage of dc-b must not cut dc-a's nodes off");
    const dc = await waitOp("dc-b to report the outage", async () => {
      const d = await admin.get<DataCenter>(dcB);
      const c = (d.status?.conditions as Condition[] | undefined)?.find((x) => x.type === "Outage");
      return c?.status === "True" && c.observedGeneration === d.metadata.generation ? d : undefined;
    });
    assert.equal(dc.status?.nodes, 2);
    const healed = op().nodes.pushes.length;
    await admin.merge(dcB, { spec: { outage: false } });
    await waitOp("both dc-b nodes to be reconnected", () => (pushedTo("dc-b", healed, false).length === 2 ? true : undefined));
  });

  it("writes nothing after a restart when nothing changed", async () => {
    const { admin } = plane();
    // Only the operator writes Subnets, DataCenters, Services, ConfigMaps and Secrets: any
    // resourceVersion change there is its write. kube-controller-manager also writes the status of
    // StatefulSets and PodDisruptionBudgets, so there the operator's own footprint is compared:
    // the spec generation and its field manager's managedFields entries (whose timestamps move
    // whenever one of its writes changes something).
    const ownedOnly = [
      `${api}/namespaces/${ns}/subnets`,
      `${api}/datacenters`,
      `/api/v1/namespaces/${ns}/services`,
      `/api/v1/namespaces/${ns}/configmaps`,
      `/api/v1/namespaces/${ns}/secrets`,
    ];
    const shared = [`/apis/apps/v1/namespaces/${ns}/statefulsets`, `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`];
    const versions = async (): Promise<Map<string, string>> => {
      const out = new Map<string, string>();
      for (const path of ownedOnly) for (const o of (await admin.list(path)).items) out.set(`${path}/${o.metadata.name}`, o.metadata.resourceVersion);
      for (const path of shared) {
        for (const o of (await admin.list<KubeObject & { metadata: { managedFields?: { manager?: string }[] } }>(path)).items) {
          const mine = (o.metadata.managedFields ?? []).filter((m) => m.manager === FIELD_MANAGER);
          out.set(`${path}/${o.metadata.name}`, JSON.stringify({ generation: o.metadata.generation, mine }));
        }
      }
      return out;
    };
    await op().stop();
    const before = await versions();
    const restarted = await startOperator("op-2");
    await restarted.ready();
    // Until both controllers have reconciled everything at least once (and a status refresh ran).
    await waitOp("the restarted operator to reconcile the Subnet and both DataCenters", async () => {
      restarted.assertRunning();
      const subnets = await restarted.counter("relaylab_operator_reconcile_total", { controller: "subnet" });
      const dcs = await restarted.counter("relaylab_operator_reconcile_total", { controller: "datacenter" });
      return subnets >= 2 && dcs >= 2 ? true : undefined;
    });
    assert.deepEqual(await versions(), before, "resourceVersions changed across an operator restart");
    // Server-side applies of unchanged children are no-ops (the resourceVersions above prove it);
    // a status apply, create, update or delete (a regenerated key, a finalizer, an Event) would be a real write.
    const writes = restarted.objectWrites().filter((w) => w.verb !== "apply");
    assert.deepEqual(writes, [], "a restarted operator must not write when nothing changed");
  });

  it("recovers from a kube-apiserver restart with its watches expired (410 Gone)", async () => {
    const p = plane();
    // Compacting etcd to its newest revision makes every resourceVersion the operator holds
    // too old; the restarted API server has an empty watch cache, so resumed watches get 410.
    await p.compactEtcd();
    await p.restartApiServer();
    await waitOp("the operator to relist after 410 Gone", () => (op().logged("410").length > 0 ? true : undefined));
    await p.admin.merge(subnetPath, { spec: { nodes: 5, topologyChange: "NewNetwork" } });
    // Longer than other waits: reconciles failed all through the outage, and the restarted API
    // server briefly answers 403 until its RBAC cache syncs, so the Subnet's per-key backoff
    // (5 ms doubling, as client-go's) may already be at a minute or two when the server is back.
    await settled(5, 300_000);
  });

  it("holds a DataCenter that is still in use with its finalizer", async () => {
    const { admin } = plane();
    await admin.delete(`${api}/datacenters/dc-b`);
    const held = await waitOp("dc-b to say why it is not deleted", async () => {
      const d = await admin.get<DataCenter>(`${api}/datacenters/dc-b`);
      const c = (d.status?.conditions as Condition[] | undefined)?.find((x) => x.type === "InUse");
      return c?.reason === "DeletionBlocked" ? d : undefined;
    });
    assert.ok((held.metadata as Meta).deletionTimestamp, "deletion was requested");
    assert.ok(held.metadata.finalizers?.includes(dataCenterFinalizer(ns)), `held by this namespace's finalizer: ${JSON.stringify(held.metadata.finalizers)}`);
  });

  it("garbage-collects every child when the Subnet is deleted, then releases the DataCenter", async () => {
    const { admin } = plane();
    await admin.delete(subnetPath);
    await waitOp("the Subnet's children and pods to be garbage-collected", async () => {
      const left: string[] = [];
      for (const path of [
        `/apis/apps/v1/namespaces/${ns}/statefulsets`,
        `/api/v1/namespaces/${ns}/services`,
        `/api/v1/namespaces/${ns}/configmaps`,
        `/api/v1/namespaces/${ns}/secrets`,
        `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`,
        `/api/v1/namespaces/${ns}/pods`,
      ]) {
        const items = (await admin.list(path, { labelSelector: `${LABEL_SUBNET}=${subnetName}` })).items;
        left.push(...items.map((o) => `${path}/${o.metadata.name}`));
      }
      return left.length === 0 ? true : undefined;
    });
    await waitOp("dc-b, no longer in use, to be deleted", async () => ((await admin.find(`${api}/datacenters/dc-b`)) === undefined ? true : undefined));
  });

  it("deletes a Subnet whose spec.ttlSeconds elapsed, under the chart's RBAC, and its nodes with it", async () => {
    const { admin } = plane();
    const name = "ephemeral";
    const path = `${api}/namespaces/${ns}/subnets/${name}`;
    await admin.create(`${api}/namespaces/${ns}/subnets`, {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "Subnet",
      metadata: { name },
      spec: { nodes: 2, groups: 1, groupSize: 2, dataCenters: { names: ["dc-a"] }, ttlSeconds: 5 },
    });
    const announced = await waitOp("the Subnet's status to say when it expires", async () => (await admin.get<Subnet>(path)).status?.expiresAt);
    const created = Date.parse((await admin.get<Subnet>(path)).metadata.creationTimestamp ?? "");
    assert.equal(Date.parse(announced), created + 5_000);
    await waitOp("the expired Subnet and its StatefulSet to be gone", async () => {
      const left = (await admin.list(`/apis/apps/v1/namespaces/${ns}/statefulsets`, { labelSelector: `${LABEL_SUBNET}=${name}` })).items;
      return (await admin.find(path)) === undefined && left.length === 0 ? true : undefined;
    });
    const events = (await admin.list<KubeObject & { reason?: string; regarding?: { name?: string } }>(`/apis/events.k8s.io/v1/namespaces/${ns}/events`)).items;
    assert.ok(events.some((e) => e.reason === "Expired" && e.regarding?.name === name), "an Expired event says why the Subnet went");
  });
});

