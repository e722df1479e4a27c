// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { admit } from "../../src/local/admission.js";

const subnet = (spec: Record<string, unknown>, status?: Record<string, unknown>) => ({
  apiVersion: "relaylab.dev/v1alpha1",
  kind: "Subnet",
  metadata: { name: "s" },
  spec: { nodes: 4, groups: 1, groupSize: 4, dataCenters: { names: ["a"] }, ...spec },
  ...(status ? { status } : {}),
});

describe("admit", () => {
  it("accepts a valid Subnet", () => {
    assert.doesNotThrow(() => admit("Subnet", subnet({}), "f.yaml"));
  });

  it("refuses an update of nodes, groups, groupSize, threshold or genesisSeed unless spec.topologyChange is NewNetwork", () => {
    const old = subnet({});
    const refusal = /^AdmissionError: f\.yaml: spec: changing nodes, groups, groupSize, threshold or genesisSeed starts a new network .*set spec\.topologyChange: NewNetwork/;
    for (const change of [{ nodes: 5 }, { groups: 2 }, { groupSize: 3 }, { threshold: 4 }]) {
      assert.throws(() => admit("Subnet", subnet(change), "f.yaml", old), refusal, JSON.stringify(change));
      assert.doesNotThrow(() => admit("Subnet", subnet({ ...change, topologyChange: "NewNetwork" }), "f.yaml", old), JSON.stringify(change));
      // A create has no old object: the transition rule does not apply.
      assert.doesNotThrow(() => admit("Subnet", subnet(change), "f.yaml"), JSON.stringify(change));
    }
    // Other fields change freely, and an update that changes nothing passes.
    assert.doesNotThrow(() => admit("Subnet", subnet({ paused: true, timings: { stallTimeoutMs: 9000 } }), "f.yaml", old));
    assert.doesNotThrow(() => admit("Subnet", old, "f.yaml", old));
  });

  it("evaluates CEL rules attached to list items, at the item's field path", () => {
    const selector = { matchExpressions: [{ key: "a", operator: "Exists" }, { key: "b", operator: "NotIn" }] };
    assert.throws(
      () => admit("Subnet", subnet({ dataCenters: { selector } }), "f.yaml"),
      /^AdmissionError: f\.yaml: spec\.dataCenters\.selector\.matchExpressions\[1\]\.values: operators In and NotIn need values/,
    );
  });

  it("refuses duplicates in set lists and in map lists (by their keys)", () => {
    assert.throws(() => admit("Subnet", subnet({ dataCenters: { names: ["a", "b", "a"] } }), "f.yaml"), /spec\.dataCenters\.names\[2\]: Duplicate value: "a"/);
    const placement = [
      { dataCenter: "a", firstIndex: 0, nodes: 2, readyNodes: 2 },
      { dataCenter: "a", firstIndex: 2, nodes: 2, readyNodes: 0 },
    ];
    assert.throws(() => admit("Subnet", subnet({}, { placement }), "f.yaml"), /status\.placement\[1\]: Duplicate value: \["a"\]/);
  });

  it("checks quantities as integers or strings", () => {
    assert.doesNotThrow(() => admit("Subnet", subnet({ resources: { limits: { cpu: 2, memory: "1Gi" } } }), "f.yaml"));
    assert.throws(() => admit("Subnet", subnet({ resources: { limits: { cpu: 0.5 } } }), "f.yaml"), /spec\.resources\.limits\.cpu: must be an integer or a string/);
  });

  it("names a missing required field by its path", () => {
    const { groups: _, ...spec } = subnet({}).spec;
    assert.throws(() => admit("Subnet", { ...subnet({}), spec }, "f.yaml"), /spec\.groups: must have required property/);
  });

  it("rejects an unknown kind", () => {
    assert.throws(() => admit("Pod", {}, "f.yaml"), /f\.yaml: unknown kind Pod/);
  });
});
