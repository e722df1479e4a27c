// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { crdManifests } from "../../src/api/crd.js";
import { admit } from "../../src/local/admission.js";
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

  it("prints NODES, READY, ROUND, LATENCY, SIGNING, STALLS, AGE for subnets", () => {
    const cols = subnet!.spec.versions[0]!.additionalPrinterColumns.filter((c) => c.priority === undefined).map((c) => c.name.toUpperCase());
    assert.deepEqual(cols, ["NODES", "READY", "ROUND", "LATENCY", "SIGNING", "STALLS", "AGE"]);
  });

  it("has cross-field CEL rules that reject a spec just past each limit, at its field, with what to fix", () => {
    // admit() evaluates the CRD's own rules (the real API server's verdicts are compared with it
    // in test/k8s/crd.test.ts), so each pair below exercises a rule, not a copy of its text.
    const rules = subnetSchema.properties?.spec?.["x-kubernetes-validations"] ?? [];
    const base = { nodes: 8, groups: 1, groupSize: 6, dataCenters: { names: ["a", "b"] } };
    const cases: { field: string; fix: RegExp; inside: Record<string, unknown>; past: Record<string, unknown> }[] = [
      { field: "spec.groupSize", fix: /lower spec.groupSize or raise spec.nodes/, inside: { groupSize: 8 }, past: { groupSize: 9 } },
      { field: "spec.threshold", fix: /lower spec.threshold/, inside: { threshold: 6 }, past: { threshold: 7 } },
      { field: "spec.threshold", fix: /raise spec.threshold above groupSize\/2, or set spec.unsafeAllowMinorityThreshold: true/, inside: { threshold: 4 }, past: { threshold: 3 } },
      { field: "spec.consensus.threshold", fix: /consensus.threshold must be at most groupSize/, inside: { consensus: { threshold: 6, faultBudget: 0 } }, past: { consensus: { threshold: 7, faultBudget: 0, unsafeAllowForks: true } } },
      { field: "spec.consensus.threshold", fix: /raise spec.consensus.threshold/, inside: { consensus: { threshold: 4, faultBudget: 1 } }, past: { consensus: { threshold: 4, faultBudget: 2 } } },
      { field: "spec.consensus.faultBudget", fix: /silent notaries stop finality/, inside: { consensus: { threshold: 6, faultBudget: 0 } }, past: { consensus: { threshold: 6, faultBudget: 1, unsafeAllowForks: true } } },
      { field: "spec.faults.byzantine.count", fix: /lower the count/, inside: { faults: { byzantine: { count: 8, behaviour: "InvalidShares" } } }, past: { faults: { byzantine: { count: 9, behaviour: "InvalidShares" } } } },
      { field: "spec.placement.maxPerDataCenter", fix: /add data centers/, inside: { placement: { maxPerDataCenter: 4 } }, past: { placement: { maxPerDataCenter: 3 } } },
    ];
    const admitSpec = (spec: Record<string, unknown>) => admit("Subnet", { apiVersion: "relaylab.dev/v1alpha1", kind: "Subnet", metadata: { name: "s" }, spec: { ...base, ...spec } }, "s.yaml");
    for (const c of cases) {
      assert.doesNotThrow(() => admitSpec(c.inside), `${c.field} at its limit is admitted`);
      assert.throws(() => admitSpec(c.past), (e: Error) => e.message.includes(`${c.field}: `) && c.fix.test(e.message), `${c.field} past its limit is refused with what to fix`);
    }
    // Every cross-field rule of the CRD is exercised above; transition rules (they read oldSelf)
    // judge an update, not a spec, and test/local/admission.test.ts exercises them.
    const crossField = rules.filter((r) => !/\boldSelf\b/.test(r.rule));
    assert.deepEqual(new Set(crossField.map((r) => `spec${r.fieldPath}`)), new Set(cases.map((c) => c.field)));
    assert.equal(crossField.length, cases.length, "one case per rule");
    assert.doesNotThrow(() => admitSpec({ threshold: 3, unsafeAllowMinorityThreshold: true }), "a minority threshold with the field that asks for it");
    assert.equal(rules.length - crossField.length, 1, "one transition rule: the topology change");
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
