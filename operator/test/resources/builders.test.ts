// SPDX-License-Identifier: Apache-2.0
/**
 * Golden tests of the pure builders. To accept an intended change, run with UPDATE_GOLDEN=1 and
 * review the diff of test/resources/golden/.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { desiredChildren, nodeArgs } from "../../src/resources/index.js";
import type { SubnetChildrenInput } from "../../src/resources/index.js";
import type { KubeObject } from "../../src/runtime/kube.js";
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
  podMonitor: true,
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
    assert.deepEqual(c.args, nodeArgs(base.genesis.hash));
    // Each genesis gets its own folder of the data volume: the node refuses another network's data.
    assert.deepEqual(nodeArgs(base.genesis.hash).slice(0, 6), ["--genesis", "/etc/relaylab/genesis.json", "--index", "$(RELAYLAB_NODE_INDEX)", "--data-dir", "/data/genesis-abababababababab"]);
    assert.notEqual(nodeArgs("cd".repeat(32))[5], nodeArgs(base.genesis.hash)[5]);
  });

  it("omits the PodMonitor when monitoring.coreos.com is not served, and uses a claim when storage.size is set", () => {
    const plain = desiredChildren({ ...base, podMonitor: false });
    assert.equal(byKind(plain, "PodMonitor").length, 0);
    const withPvc = desiredChildren({ ...base, subnet: subnet("beta", { ...base.subnet.spec, storage: { size: "1Gi" } }) });
    const sts = byKind(withPvc, "StatefulSet")[0] as unknown as { spec: { volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[] } };
    assert.equal(sts.spec.volumeClaimTemplates[0]?.spec.resources.requests.storage, "1Gi");
  });

  it("is deterministic", () => {
    assert.deepEqual(desiredChildren(base), children);
  });
});
