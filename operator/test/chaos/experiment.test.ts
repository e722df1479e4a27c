// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { evalMemberCount, ExperimentError, loadExperiment, parseExperiment } from "../../src/chaos/experiment.js";

const EXAMPLES = fileURLToPath(new URL("../../examples/chaos/", import.meta.url));

const base = {
  apiVersion: "relaylab.dev/v1alpha1",
  kind: "ChaosExperiment",
  metadata: { name: "x" },
  spec: { topology: { files: ["t.yaml"] }, rounds: 10 },
};

function withSpec(spec: Record<string, unknown>): unknown {
  return { ...base, spec: { ...base.spec, ...spec } };
}

describe("chaos experiment files", () => {
  it("every shipped example validates and names its topology: the shared file or inline objects", () => {
    const files = readdirSync(EXAMPLES).filter((f) => f.endsWith(".yaml") && f !== "topology.yaml");
    assert.ok(files.length >= 3);
    for (const f of files) {
      const { experiment, topologyFiles } = loadExperiment(join(EXAMPLES, f));
      assert.ok(experiment.spec.steps.length > 0, f);
      const topo = experiment.spec.topology;
      if ("inline" in topo) {
        assert.equal(topologyFiles, undefined, f);
        assert.deepEqual(topo.inline.map((o) => o.kind).sort(), ["DataCenter", "Subnet"], f);
      } else {
        assert.deepEqual(topologyFiles, [join(EXAMPLES, "topology.yaml")], f);
      }
    }
  });

  it("fills defaults: seed 1, zero safety violations", () => {
    const e = parseExperiment(withSpec({}), "x.yaml");
    assert.equal(e.spec.seed, 1);
    assert.equal(e.spec.expectations.safetyViolations, 0);
    assert.deepEqual(e.spec.expectations.baseline, { quantile: 0.99, maxRegressionPercent: 5, confidence: 0.95 });
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["two selectors", { steps: [{ name: "a", at: { round: 1 }, action: "crash", target: { nodes: [1], dataCenter: "x" } }] }, /steps\[0\]\.target: name exactly one/],
    ["a missing action parameter", { steps: [{ name: "a", at: { round: 1 }, action: "delay", target: { nodes: [1] } }] }, /steps\[0\]\.delayMs: is required for action delay/],
    ["both round and seconds", { steps: [{ name: "a", at: { round: 1, seconds: 2 }, action: "crash", target: { nodes: [1] } }] }, /steps\[0\]\.at: give exactly one of round or seconds/],
    ["a step after the end", { steps: [{ name: "a", at: { round: 11 }, action: "crash", target: { nodes: [1] } }] }, /steps\[0\]\.at\.round: is after the run ends/],
    ["an unknown earlier step", { steps: [{ name: "a", at: { round: 1 }, action: "restart", target: { step: "b" } }] }, /target\.step: names no earlier step/],
    ["a bad member expression", { steps: [{ name: "a", at: { round: 1 }, action: "crash", target: { group: 0, members: "half" } }] }, /members/],
    ["an unknown action", { steps: [{ name: "a", at: { round: 1 }, action: "explode", target: { nodes: [1] } }] }, /steps\[0\]\.action/],
    ["a loss above 1", { steps: [{ name: "a", at: { round: 1 }, action: "loss", loss: 2, target: { nodes: [1] } }] }, /between 0 and 1/],
    ["an unknown expectation", { expectations: { maxStall: 1 } }, /expectations/],
    ["a baseline quantile below the median", { expectations: { baseline: { quantile: 0.2 } } }, /expectations\.baseline\.quantile: must be between 0\.5 and 1/],
  ];
  for (const [what, spec, message] of bad) {
    it(`rejects ${what} with the field's path`, () => {
      assert.throws(() => parseExperiment(withSpec(spec), "x.yaml"), (err: unknown) => err instanceof ExperimentError && message.test(err.message) && err.message.startsWith("x.yaml: "));
    });
  }

  it("evaluates member counts in g and t", () => {
    assert.equal(evalMemberCount("g-t+1", 7, 4), 4);
    assert.equal(evalMemberCount("t-1", 7, 4), 3);
    assert.equal(evalMemberCount(" g ", 7, 4), 7);
    assert.equal(evalMemberCount(2, 7, 4), 2);
  });
});
