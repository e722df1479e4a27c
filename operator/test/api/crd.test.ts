// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { crdManifests } from "../../src/api/crd.js";
import { TimingsSchema } from "@relaylab/node/config";
import { CONDITION_REASON_PATTERN, DATACENTER_REASONS, SUBNET_REASONS } from "../../src/api/index.js";

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

  it("has cross-field CEL rules with messages that say what to fix", () => {
    const rules = subnetSchema.properties?.spec?.["x-kubernetes-validations"] ?? [];
    const byRule = (needle: string) => rules.find((r) => r.rule.includes(needle));
    assert.match(byRule("self.groupSize <= self.nodes")?.message ?? "", /lower spec.groupSize or raise spec.nodes/);
    assert.match(byRule("self.threshold <= self.groupSize")?.message ?? "", /lower spec.threshold/);
    assert.match(byRule("maxPerDataCenter *")?.message ?? "", /add data centers/);
    assert.match(byRule("byzantine.count")?.message ?? "", /lower the count/);
    for (const r of rules) assert.ok(r.fieldPath?.startsWith("."), `rule ${r.rule} points at a field`);
  });

  it("publishes the genesis document's timing defaults, so an omitted timing means the same on a cluster and in genesis", () => {
    const timings = subnetSchema.properties?.spec?.properties?.timings;
    assert.deepEqual(timings?.default, {});
    const published = Object.fromEntries(Object.entries(timings.properties ?? {}).map(([k, s]) => [k, s.default]));
    assert.deepEqual(published, TimingsSchema.parse({}));
  });

  it("publishes integers as int64 without the safe-integer bounds zod adds", () => {
    const nodes = subnetSchema.properties?.spec?.properties?.nodes;
    assert.deepEqual([nodes?.type, nodes?.format, nodes?.minimum, nodes?.maximum], ["integer", "int64", 1, 10000]);
    const tolerationSeconds = dcSchema.properties?.spec?.properties?.placement?.properties?.tolerations?.items?.properties?.tolerationSeconds;
    assert.deepEqual(tolerationSeconds, { type: "integer", format: "int64", description: "For NoExecute: how long the pod stays bound." });
  });

  it("uses condition reasons that metav1.Condition accepts", () => {
    for (const r of [...Object.values(SUBNET_REASONS), ...Object.values(DATACENTER_REASONS)]) assert.match(r, CONDITION_REASON_PATTERN);
  });

  it("is plain JSON (no undefined, functions or class instances)", () => {
    const text = JSON.stringify(crdManifests());
    assert.deepEqual(JSON.parse(text), crdManifests());
  });
});
