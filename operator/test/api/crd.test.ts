// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { crdManifests } from "../../src/api/crd.js";
import type { JSONSchemaProps } from "../../src/api/schema.js";
import { CONDITION_REASON_PATTERN, DATACENTER_REASONS, SUBNET_REASONS } from "../../src/api/index.js";
import type { DataCenterSpec, DataCenterStatus, SubnetSpec, SubnetStatus } from "../../src/api/index.js";

/** Every field path of a JSON value ("a.b", arrays as "a[]"; map keys under additionalProperties as "a.*"). */
function paths(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => paths(v, `${prefix}[]`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => [`${prefix}${prefix ? "." : ""}${k}`, ...paths(v, `${prefix}${prefix ? "." : ""}${k}`)]);
  }
  return [];
}

/** Whether a path exists in a structural schema. */
function inSchema(schema: JSONSchemaProps, path: string): boolean {
  let s: JSONSchemaProps | undefined = schema;
  for (const part of path.split(".")) {
    for (const seg of part.split(/(?=\[\])/)) {
      if (s === undefined) return false;
      if (seg === "[]") s = s.items;
      else s = s.properties?.[seg] ?? (s.additionalProperties !== undefined || s["x-kubernetes-preserve-unknown-fields"] === true ? (s.additionalProperties ?? {}) : undefined);
    }
  }
  return s !== undefined;
}

// Every optional field set, so a field added to the types but not the schema fails here.
const fullSubnetSpec: Required<SubnetSpec> = {
  nodes: 16,
  groups: 4,
  groupSize: 7,
  threshold: 4,
  consensus: { threshold: 5, faultBudget: 2, unsafeAllowForks: false },
  dataCenters: { names: ["a"], selector: { matchLabels: { x: "y" }, matchExpressions: [{ key: "k", operator: "In", values: ["v"] }] } },
  placement: { spread: "Even", maxPerDataCenter: 6 },
  timings: { minRoundPeriodMs: 0, shareRetransmitMs: 1, stallTimeoutMs: 1, dkgTimeoutMs: 1 },
  epochLength: 0,
  image: "i",
  resources: { requests: { cpu: "1" }, limits: { memory: "1Gi" } },
  storage: { size: "1Gi", storageClassName: "s" },
  faults: { byzantine: { count: 1, behaviour: "InvalidShares", selectivePeers: [1] } },
  paused: false,
  ttlSeconds: 3600,
};
const fullSubnetStatus: Required<SubnetStatus> = {
  observedGeneration: 1,
  phase: "Running",
  conditions: [{ type: "Ready", status: "True", observedGeneration: 1, lastTransitionTime: "t", reason: "R", message: "m" }],
  nodes: 1,
  readyNodes: 1,
  round: 1,
  roundLatencyP50Ms: 1,
  stallEvents: 0,
  finalizedHeight: 0,
  placement: [{ dataCenter: "a", firstIndex: 0, nodes: 1, readyNodes: 1 }],
  genesisHash: "h",
  expiresAt: "2026-11-24T12:00:00Z",
};
const fullDataCenterSpec: Required<DataCenterSpec> = {
  region: "eu",
  placement: { nodeSelector: { a: "b" }, tolerations: [{ key: "k", operator: "Equal", value: "v", effect: "NoSchedule", tolerationSeconds: 1 }], topologyLabels: ["h"] },
  capacity: { maxNodes: 1 },
  network: { latencyMs: { b: 1 }, jitterMs: 1, loss: 0.1, bandwidthBps: 1 },
  outage: false,
};
const fullDataCenterStatus: Required<DataCenterStatus> = { observedGeneration: 1, conditions: [], nodes: 1, subnets: ["ns/a"] };

describe("crdManifests", () => {
  const [subnet, dc] = crdManifests();
  const subnetSchema = subnet!.spec.versions[0]!.schema.openAPIV3Schema;
  const dcSchema = dc!.spec.versions[0]!.schema.openAPIV3Schema;

  it("names the CRDs, scopes, short names and the status subresource", () => {
    assert.equal(subnet!.metadata.name, "subnets.relaylab.dev");
    assert.equal(subnet!.spec.scope, "Namespaced");
    assert.deepEqual(subnet!.spec.names.shortNames, ["sn"]);
    assert.equal(dc!.metadata.name, "datacenters.relaylab.dev");
    assert.equal(dc!.spec.scope, "Cluster");
    assert.deepEqual(dc!.spec.names.shortNames, ["dc"]);
    for (const c of [subnet!, dc!]) assert.deepEqual(c.spec.versions[0]!.subresources, { status: {} });
  });

  it("prints NODES, READY, ROUND, LATENCY, STALLS, AGE for subnets", () => {
    const cols = subnet!.spec.versions[0]!.additionalPrinterColumns.filter((c) => c.priority === undefined).map((c) => c.name.toUpperCase());
    assert.deepEqual(cols, ["NODES", "READY", "ROUND", "LATENCY", "STALLS", "AGE"]);
  });

  for (const [name, schema, value] of [
    ["Subnet spec", subnetSchema.properties?.spec, fullSubnetSpec],
    ["Subnet status", subnetSchema.properties?.status, fullSubnetStatus],
    ["DataCenter spec", dcSchema.properties?.spec, fullDataCenterSpec],
    ["DataCenter status", dcSchema.properties?.status, fullDataCenterStatus],
  ] as const) {
    it(`covers every field of the ${name} type`, () => {
      assert.ok(schema);
      const missing = paths(value).filter((p) => !inSchema(schema, p));
      assert.deepEqual(missing, []);
    });
  }

  it("has cross-field CEL rules with messages that say what to fix", () => {
    const rules = subnetSchema.properties?.spec?.["x-kubernetes-validations"] ?? [];
    const byRule = (needle: string) => rules.find((r) => r.rule.includes(needle));
    assert.match(byRule("self.groupSize <= self.nodes")?.message ?? "", /lower spec.groupSize or raise spec.nodes/);
    assert.match(byRule("self.threshold <= self.groupSize")?.message ?? "", /lower spec.threshold/);
    assert.match(byRule("maxPerDataCenter *")?.message ?? "", /add data centers/);
    assert.match(byRule("byzantine.count")?.message ?? "", /lower the count/);
    for (const r of rules) assert.ok(r.fieldPath?.startsWith("."), `rule ${r.rule} points at a field`);
  });

  it("rejects negative timings and fills timing defaults", () => {
    const timings = subnetSchema.properties?.spec?.properties?.timings;
    assert.ok(timings?.properties);
    const { minRoundPeriodMs, stallTimeoutMs } = timings.properties;
    assert.deepEqual(timings.default, {});
    assert.equal(minRoundPeriodMs?.minimum, 0);
    assert.equal(stallTimeoutMs?.minimum, 1);
    assert.equal(stallTimeoutMs.default, 5000);
  });

  it("uses condition reasons that metav1.Condition accepts", () => {
    for (const r of [...Object.values(SUBNET_REASONS), ...Object.values(DATACENTER_REASONS)]) assert.match(r, CONDITION_REASON_PATTERN);
  });

  it("is plain JSON (no undefined, functions or class instances)", () => {
    const text = JSON.stringify(crdManifests());
    assert.deepEqual(JSON.parse(text), crdManifests());
  });
});
