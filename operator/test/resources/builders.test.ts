// SPDX-License-Identifier: Apache-2.0
/**
 * Golden tests of the pure builders. To accept an intended change, run with UPDATE_GOLDEN=1 and
 * review the diff of test/resources/golden/.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import type { DataCenter, Subnet } from "../../src/api/index.js";
import { faultSetFor, shareDataCenters } from "../../src/genesis/index.js";
import { DEFAULT_CHILDREN_CONFIG, desiredChildren, nodeArgs } from "../../src/resources/index.js";
import { DEFAULT_NODE_RESOURCES } from "../../src/api/index.js";
import type { SubnetChildrenInput } from "../../src/resources/index.js";
import type { KubeObject } from "../../src/operator/runtime/kube.js";
import { identityPublicKey, servicePublicKey } from "@relaylab/node/identity";
import { dataCenter, subnet } from "../fixtures.js";

const golden = (name: string): URL => new URL(`./golden/${name}.json`, import.meta.url);

function checkGolden(name: string, actual: unknown): void {
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(golden(name), text);
  assert.equal(text, readFileSync(golden(name), "utf8"), `output differs from test/resources/golden/${name}.json (UPDATE_GOLDEN=1 to accept)`);
}

const dcs = new Map([
  ["dc-a", dataCenter("dc-a", { placement: { nodeSelector: { "topology.kubernetes.io/zone": "a" }, tolerations: [{ key: "relaylab", operator: "Exists", effect: "NoSchedule" }], topologyLabels: ["kubernetes.io/hostname"] } })],
  ["dc-b", dataCenter("dc-b")],
]);
const base: SubnetChildrenInput = {
  subnet: subnet("beta", { nodes: 5, groups: 1, groupSize: 5, dataCenters: { names: ["dc-a", "dc-b"] }, resources: { requests: { cpu: "100m", memory: "128Mi" } } }),
  shares: [
    { dataCenter: "dc-a", firstIndex: 0, nodes: 3 },
    { dataCenter: "dc-b", firstIndex: 3, nodes: 2 },
  ],
  dataCenters: dcs,
  genesis: { json: '{"version":1}\n', hash: "ab".repeat(32) },
  identitySecrets: new Map([0, 1, 2, 3, 4].map((i) => [i, String(i).repeat(64)])),
  subnetKeys: { service: "5".repeat(64), control: "6".repeat(64) },
  config: { ...DEFAULT_CHILDREN_CONFIG, nodeImage: "registry.example/relaylab/node:9.9.9", imagePullSecrets: ["regcred"], podMonitorLabels: { release: "kube-prometheus-stack" } },
};

const byKind = (objs: KubeObject[], kind: string): KubeObject[] => objs.filter((o) => o.kind === kind);

describe("desiredChildren", () => {
  const children = desiredChildren(base);

  it("matches the golden output", () => checkGolden("subnet-beta", children));

  it("builds one StatefulSet per data center, ordinals starting at the data center's first index", () => {
    const sts = byKind(children, "StatefulSet") as (KubeObject & { spec: { replicas: number; ordinals: { start: number } } })[];
    assert.deepEqual(
      sts.map((s) => [s.metadata.name, s.spec.replicas, s.spec.ordinals.start]),
      [
        ["beta-dc-a", 3, 0],
        ["beta-dc-b", 2, 3],
      ],
    );
  });

  it("owns every child through a controller reference to the Subnet", () => {
    for (const c of children) assert.deepEqual(c.metadata.ownerReferences, [{ apiVersion: "relaylab.dev/v1alpha1", kind: "Subnet", name: "beta", uid: "uid-beta", controller: true, blockOwnerDeletion: true }]);
  });

  it("runs the node with the restricted security profile and the node program's flags", () => {
    const sts = byKind(children, "StatefulSet")[0] as unknown as { spec: { template: { spec: { securityContext: Record<string, unknown>; containers: { args: string[]; securityContext: Record<string, unknown> }[] } } } };
    const pod = sts.spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
    const c = pod.containers[0]!;
    assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
    const at = { namespace: "default", name: "beta" };
    assert.deepEqual(c.args, nodeArgs(base.genesis.hash, at, DEFAULT_CHILDREN_CONFIG.identityUrl));
    // Each genesis gets its own folder of the data volume: the node refuses another network's data.
    assert.deepEqual(nodeArgs(base.genesis.hash, at, "u").slice(0, 6), ["--genesis", "/etc/relaylab/genesis.json", "--index", "$(RELAYLAB_NODE_INDEX)", "--data-dir", "/data/genesis-abababababababab"]);
    assert.notEqual(nodeArgs("cd".repeat(32), at, "u")[5], nodeArgs(base.genesis.hash, at, "u")[5]);
  });

  it("gives node pods no Secret: each fetches its own identity key with a pod-bound token, and obeys only the control key", () => {
    type PodView = { spec: { template: { spec: { volumes: { name: string; secret?: unknown; projected?: { sources: { serviceAccountToken?: { audience: string } }[] } }[]; containers: { args: string[] }[] } } } };
    for (const sts of byKind(children, "StatefulSet") as unknown as PodView[]) {
      const pod = sts.spec.template.spec;
      assert.deepEqual(pod.volumes.filter((v) => v.secret !== undefined), [], `${JSON.stringify(pod.volumes)} mounts a Secret`);
      const token = pod.volumes.find((v) => v.projected !== undefined)?.projected?.sources[0]?.serviceAccountToken;
      assert.equal(token?.audience, "relaylab.dev/identity");
      const args = pod.containers[0]!.args;
      assert.equal(args[args.indexOf("--identity-subnet") + 1], "default/beta");
      assert.ok(!args.includes("--identity-key-file"));
    }
    // The key service's key pair: the secret half with the node keys, the public half beside the genesis.
    const secret = byKind(children, "Secret")[0] as unknown as { data: Record<string, string> };
    assert.equal(Buffer.from(secret.data["identity-service.key"] ?? "", "base64").toString(), "5".repeat(64));
    const configMap = byKind(children, "ConfigMap")[0] as unknown as { data: Record<string, string> };
    assert.equal(configMap.data["identity-service.pub"], servicePublicKey("5".repeat(64)));
    // The control key likewise: the nodes obey only calls it signed.
    assert.equal(Buffer.from(secret.data["control.key"] ?? "", "base64").toString(), "6".repeat(64));
    assert.equal(configMap.data["control.pub"], identityPublicKey("6".repeat(64)));
    for (const sts of byKind(children, "StatefulSet") as unknown as PodView[]) {
      const args = sts.spec.template.spec.containers[0]!.args;
      assert.equal(args[args.indexOf("--control-key") + 1], "/etc/relaylab/control.pub");
    }
  });

  it("omits the PodMonitor when monitoring.coreos.com is not served, and uses a claim when storage.size is set", () => {
    const plain = desiredChildren({ ...base, config: { ...base.config, podMonitor: false } });
    assert.equal(byKind(plain, "PodMonitor").length, 0);
    const withPvc = desiredChildren({ ...base, subnet: subnet("beta", { ...base.subnet.spec, storage: { size: "1Gi" } }) });
    const sts = byKind(withPvc, "StatefulSet")[0] as unknown as { spec: { volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[] } };
    assert.equal(sts.spec.volumeClaimTemplates[0]?.spec.resources.requests.storage, "1Gi");
  });

  it("takes the node image and pull secrets from the operator's configuration, with spec.image as an override", () => {
    type PodView = { spec: { template: { spec: { imagePullSecrets?: { name: string }[]; containers: { image: string; resources: unknown }[] } } } };
    const pod = (objs: KubeObject[]) => (byKind(objs, "StatefulSet")[0] as unknown as PodView).spec.template.spec;
    assert.equal(pod(children).containers[0]?.image, "registry.example/relaylab/node:9.9.9");
    assert.deepEqual(pod(children).imagePullSecrets, [{ name: "regcred" }]);
    const pinned = desiredChildren({ ...base, subnet: subnet("beta", { ...base.subnet.spec, image: "mine/node:1" }) });
    assert.equal(pod(pinned).containers[0]?.image, "mine/node:1");
    const noSecrets = desiredChildren({ ...base, config: { ...base.config, imagePullSecrets: [] } });
    assert.equal(pod(noSecrets).imagePullSecrets, undefined);
    // A Subnet with no resources gets requests (not BestEffort) and a memory limit.
    const { resources: _, ...bare } = base.subnet.spec;
    assert.deepEqual(pod(desiredChildren({ ...base, subnet: subnet("beta", bare) })).containers[0]?.resources, DEFAULT_NODE_RESOURCES);
  });

  it("labels the PodMonitor with the configured labels, never over the operator's own", () => {
    const pm = byKind(children, "PodMonitor")[0];
    assert.equal(pm?.metadata.labels?.release, "kube-prometheus-stack");
    const clash = desiredChildren({ ...base, config: { ...base.config, podMonitorLabels: { "relaylab.dev/subnet": "other" } } });
    assert.equal(byKind(clash, "PodMonitor")[0]?.metadata.labels?.["relaylab.dev/subnet"], "beta");
  });

  it("lets a drain take at least one pod, evicts unready pods, and takes spec.disruptionBudget as an override", () => {
    const pdb = (objs: KubeObject[]) => (byKind(objs, "PodDisruptionBudget")[0] as unknown as { spec: { maxUnavailable: number; unhealthyPodEvictionPolicy: string } }).spec;
    // groupSize 5, threshold 3: two members of a group may go.
    assert.deepEqual([pdb(children).maxUnavailable, pdb(children).unhealthyPodEvictionPolicy], [2, "AlwaysAllow"]);
    const strict = desiredChildren({ ...base, subnet: subnet("beta", { ...base.subnet.spec, threshold: 5 }) });
    assert.equal(pdb(strict).maxUnavailable, 1, "threshold = groupSize must not block every drain");
    const pinned = desiredChildren({ ...base, subnet: subnet("beta", { ...base.subnet.spec, disruptionBudget: { maxUnavailable: 0 } }) });
    assert.equal(pdb(pinned).maxUnavailable, 0);
  });

  it("spreads a data center's pods across hosts unless it names other topology labels or none, and bounds the emptyDirs", () => {
    type SpreadView = { spec: { template: { spec: { topologySpreadConstraints?: { topologyKey: string }[]; volumes: { name: string; emptyDir?: { sizeLimit?: string } }[] } } } };
    const spread = (objs: KubeObject[], i: number) => (byKind(objs, "StatefulSet")[i] as unknown as SpreadView).spec.template.spec;
    // dc-b names no topology labels: spread over hostnames by default.
    assert.deepEqual(spread(children, 1).topologySpreadConstraints?.map((c) => c.topologyKey), ["kubernetes.io/hostname"]);
    const none = desiredChildren({ ...base, dataCenters: new Map([...dcs, ["dc-b", dataCenter("dc-b", { placement: { topologyLabels: [] } })]]) });
    assert.equal(spread(none, 1).topologySpreadConstraints, undefined);
    assert.deepEqual(spread(children, 0).volumes.filter((v) => v.emptyDir).map((v) => [v.name, v.emptyDir?.sizeLimit]), [["data", "1Gi"], ["tmp", "64Mi"]]);
  });

  it("builds a NetworkPolicy: the control port admits only the operator, the peer port also the Subnet's own nodes and declared clients", () => {
    type Selector = { matchLabels?: Record<string, string> };
    type Peer = { podSelector?: Selector; namespaceSelector?: Selector };
    type Policy = KubeObject & { spec: { podSelector: Selector; ingress: { ports: { port: string }[]; from?: Peer[] }[] } };
    const [policy, ...more] = byKind(children, "NetworkPolicy") as Policy[];
    assert.ok(policy !== undefined && more.length === 0);
    const matches = (sel: Selector | undefined, labels: Record<string, string>): boolean => Object.entries(sel?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    // A NetworkPolicy peer matches a pod when both its selectors do (a missing namespaceSelector means the policy's own namespace).
    const admits = (port: string, pod: { namespace: string; labels: Record<string, string> }): boolean =>
      policy.spec.ingress.some((rule) => rule.ports.some((p) => p.port === port) && (rule.from === undefined || rule.from.some((peer) =>
        (peer.namespaceSelector === undefined ? pod.namespace === policy.metadata.namespace : matches(peer.namespaceSelector, { "kubernetes.io/metadata.name": pod.namespace })) &&
        matches(peer.podSelector, pod.labels))));
    const node = (subnetName: string, namespace = "default") => ({ namespace, labels: { "app.kubernetes.io/name": "relaylab-node", "relaylab.dev/subnet": subnetName } });
    const peer = DEFAULT_CHILDREN_CONFIG.networkPolicy;
    assert.ok(peer !== undefined);
    const operator = { namespace: peer.namespace, labels: { ...peer.podLabels, "pod-template-hash": "abc" } };
    const client = { namespace: "load", labels: { "relaylab.dev/client": "true" } };
    assert.ok(matches(policy.spec.podSelector, node("beta").labels) && !matches(policy.spec.podSelector, node("other").labels), "it selects this Subnet's pods only");
    assert.deepEqual(
      [operator, node("beta"), node("other"), node("beta", "elsewhere"), client, { namespace: "default", labels: {} }].map((pod) => ["peer", "control", "metrics"].filter((port) => admits(port, pod))),
      [["peer", "control", "metrics"], ["peer", "metrics"], ["metrics"], ["metrics"], ["peer", "metrics"], ["metrics"]],
    );
    assert.equal(byKind(desiredChildren({ ...base, config: { ...base.config, networkPolicy: undefined } }), "NetworkPolicy").length, 0, "--no-network-policies builds none");
  });

  it("is deterministic", () => {
    assert.deepEqual(desiredChildren(base), children);
  });
});

/**
 * A Subnet and the DataCenters in the cluster, taken through the controller's pure steps:
 * placement (shareDataCenters), the children, and each node's fault set (what the operator
 * pushes over the control API).
 */
interface Scenario {
  subnet: Subnet;
  dataCenters: DataCenter[];
  usedElsewhere?: Record<string, number>;
}

const GENESIS = { json: '{"version":1}\n', hash: "cd".repeat(32) };

function build({ subnet: sn, dataCenters, usedElsewhere = {} }: Scenario): { children: KubeObject[]; faultSets: unknown[] } {
  const shares = shareDataCenters(sn, dataCenters, { usedElsewhere });
  const byName = new Map(dataCenters.map((dc) => [dc.metadata.name ?? "", dc]));
  const children = desiredChildren({
    subnet: sn,
    shares,
    dataCenters: byName,
    genesis: GENESIS,
    identitySecrets: new Map(Array.from({ length: sn.spec.nodes }, (_, i) => [i, String(i % 10).repeat(64)])),
    subnetKeys: { service: "5".repeat(64), control: "6".repeat(64) },
    config: { ...DEFAULT_CHILDREN_CONFIG, podMonitor: false },
  });
  const spanned = shares.map((s) => byName.get(s.dataCenter)).filter((dc): dc is DataCenter => dc !== undefined);
  const faultSets = shares.flatMap((s) =>
    Array.from({ length: s.nodes }, (_, k) => {
      const index = s.firstIndex + k;
      return { index, dataCenter: s.dataCenter, ...faultSetFor(index, sn.spec.nodes, byName.get(s.dataCenter) ?? dataCenter(s.dataCenter), spanned, sn.spec.faults?.byzantine) };
    }),
  );
  return { children, faultSets };
}

type StatefulSetView = KubeObject & {
  spec: {
    replicas: number;
    ordinals: { start: number };
    template: { spec: { nodeSelector?: Record<string, string>; volumes: { name: string; emptyDir?: object }[]; containers: { volumeMounts: { name: string; mountPath: string }[] }[] } };
    volumeClaimTemplates?: { metadata: { name: string }; spec: { storageClassName?: string; resources: { requests: { storage: string } } } }[];
    persistentVolumeClaimRetentionPolicy?: Record<string, string>;
  };
};
const statefulSets = (objs: KubeObject[]): StatefulSetView[] => byKind(objs, "StatefulSet") as StatefulSetView[];

describe("golden scenarios", () => {
  // Five labelled data centers; the selector takes the three in region eu that are not being deleted.
  const eu = { region: "eu" };
  const selectorDcs = [
    dataCenter("eu-west", { placement: { nodeSelector: { "topology.kubernetes.io/zone": "eu-west-1a" } }, capacity: { maxNodes: 4 } }, eu),
    dataCenter("eu-north", { placement: { nodeSelector: { "topology.kubernetes.io/zone": "eu-north-1a" } } }, eu),
    dataCenter("eu-central", { placement: { nodeSelector: { "topology.kubernetes.io/zone": "eu-central-1a" } }, capacity: { maxNodes: 3 } }, eu),
    { ...dataCenter("eu-south", {}, eu), metadata: { ...dataCenter("eu-south", {}, eu).metadata, deletionTimestamp: "2026-01-01T00:00:00Z" } },
    dataCenter("us-east", {}, { region: "us" }),
  ];
  const selectorScenario: Scenario = {
    subnet: subnet("gamma", { nodes: 8, groups: 2, groupSize: 4, dataCenters: { selector: { matchLabels: eu } }, placement: { spread: "Even" } }),
    dataCenters: selectorDcs,
    // Another Subnet already runs 2 nodes in eu-central: 1 of its 3 places is left.
    usedElsewhere: { "eu-central": 2 },
  };

  it("selector-placed data centers: one StatefulSet per matching data center by name, within capacity, with its own placement", () => {
    const { children } = build(selectorScenario);
    checkGolden("subnet-gamma-selector", children);
    const sts = statefulSets(children);
    assert.deepEqual(
      sts.map((s) => [s.metadata.name, s.spec.ordinals.start, s.spec.replicas, s.spec.template.spec.nodeSelector?.["topology.kubernetes.io/zone"]]),
      [
        ["gamma-eu-central", 0, 1, "eu-central-1a"],
        ["gamma-eu-north", 1, 4, "eu-north-1a"],
        ["gamma-eu-west", 5, 3, "eu-west-1a"],
      ],
    );
  });

  const storageScenario: Scenario = {
    subnet: subnet("delta", { nodes: 4, groups: 1, groupSize: 4, storage: { size: "10Gi", storageClassName: "fast-ssd" } }),
    dataCenters: [dataCenter("dc-a")],
  };

  it("storage: the data volume is a claim template of the given size and class, deleted with the Subnet", () => {
    const { children } = build(storageScenario);
    checkGolden("subnet-delta-storage", children);
    const [sts] = statefulSets(children);
    assert.ok(sts !== undefined);
    const pod = sts.spec.template.spec;
    assert.deepEqual(sts.spec.volumeClaimTemplates?.map((t) => [t.metadata.name, t.spec.resources.requests.storage, t.spec.storageClassName]), [["data", "10Gi", "fast-ssd"]]);
    assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Delete", whenScaled: "Delete" });
    // The mount named "data" is served by the claim, not by an emptyDir.
    assert.equal(pod.volumes.find((v) => v.name === "data"), undefined);
    assert.ok(pod.containers[0]?.volumeMounts.some((m) => m.name === "data" && m.mountPath === "/data"));
    const ephemeral = statefulSets(build({ ...storageScenario, subnet: subnet("delta", { ...storageScenario.subnet.spec, storage: {} }) }).children)[0];
    assert.deepEqual(ephemeral?.spec.template.spec.volumes.find((v) => v.name === "data"), { name: "data", emptyDir: { sizeLimit: "1Gi" } });
    assert.equal(ephemeral.spec.volumeClaimTemplates, undefined);
  });

  // Two data centers 40 ms apart, one lossy, and the two highest nodes byzantine.
  const faultyDcs = [
    dataCenter("dc-a", { network: { latencyMs: { "dc-b": 40, "dc-a": 2 }, jitterMs: 5 } }),
    dataCenter("dc-b", { network: { loss: 0.01, bandwidthBps: 1_000_000 } }),
  ];
  const faultsScenario: Scenario = {
    subnet: subnet("epsilon", {
      nodes: 5,
      groups: 1,
      groupSize: 5,
      dataCenters: { names: ["dc-a", "dc-b"] },
      faults: { byzantine: { count: 2, behaviour: "SelectiveShares", selectivePeers: [0, 1] } },
    }),
    dataCenters: faultyDcs,
  };
  const withoutFaults = (s: Scenario): Scenario => ({ ...s, subnet: subnet(s.subnet.metadata.name ?? "", { ...s.subnet.spec, faults: {} }) });

  it("faults: each node's links and byzantine behaviour; the children do not change, so a fault never restarts a node", () => {
    const { children, faultSets } = build(faultsScenario);
    checkGolden("subnet-epsilon-faults", children);
    checkGolden("subnet-epsilon-faults.faultsets", faultSets);
    assert.deepEqual(children, build(withoutFaults(faultsScenario)).children);
    assert.deepEqual(
      (faultSets as { index: number; byzantine: string[] }[]).filter((f) => f.byzantine.length > 0).map((f) => f.index),
      [3, 4],
    );
    // An outage is one partition of every link, whatever the profile.
    const outage = build({ ...faultsScenario, dataCenters: [faultyDcs[0]!, dataCenter("dc-b", { ...faultyDcs[1]!.spec, outage: true })] });
    assert.deepEqual(
      (outage.faultSets as { dataCenter: string; links: { partition: boolean }[] }[]).filter((f) => f.dataCenter === "dc-b").map((f) => f.links.map((l) => l.partition)),
      [[true], [true]],
    );
  });

  const ttlScenario: Scenario = { subnet: subnet("zeta", { nodes: 3, groups: 1, groupSize: 3, ttlSeconds: 3600 }), dataCenters: [dataCenter("dc-a")] };

  it("TTL: expiry is the operator's job, so the children are those of the same Subnet without a TTL", () => {
    const { children } = build(ttlScenario);
    checkGolden("subnet-zeta-ttl", children);
    const { ttlSeconds: _ttl, ...rest } = ttlScenario.subnet.spec;
    assert.deepEqual(children, build({ ...ttlScenario, subnet: subnet("zeta", rest) }).children);
  });
});
