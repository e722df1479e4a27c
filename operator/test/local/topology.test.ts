// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadTopology, TopologyError, withOverrides } from "../../src/local/topology.js";

const LOCAL = fileURLToPath(new URL("../../examples/local.yaml", import.meta.url));
/** A Subnet document with a valid spec plus `extra` spec lines. */
const SUBNET = (name: string, extra: string) =>
  `apiVersion: relaylab.dev/v1alpha1\nkind: Subnet\nmetadata: {name: ${name}}\nspec:\n  nodes: 4\n  groups: 1\n  groupSize: 4\n  dataCenters: {names: [a]}\n${extra}`;
const dir = mkdtempSync(join(tmpdir(), "relaylab-topology-"));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe("topology files", () => {
  it("reads the default topology: 3 data centers, 16 nodes, 4 groups of 7", () => {
    const t = loadTopology([LOCAL]);
    assert.equal(t.dataCenters.length, 3);
    assert.equal(t.subnet.spec.nodes, 16);
    assert.equal(t.subnet.spec.groups, 4);
    assert.equal(t.subnet.spec.groupSize, 7);
  });

  it("applies flag overrides, dropping the threshold when only the group size changes", () => {
    const t = withOverrides(loadTopology([LOCAL]), { nodes: 9, groupSize: 5 });
    assert.equal(t.subnet.spec.nodes, 9);
    assert.equal(t.subnet.spec.groupSize, 5);
    assert.equal(t.subnet.spec.threshold, undefined);
    assert.equal(withOverrides(t, { threshold: 4 }).subnet.spec.threshold, 4);
  });

  const bad: [string, string, RegExp][] = [
    ["wrong-api.yaml", "apiVersion: v1\nkind: Subnet\nmetadata: {name: x}\nspec: {}\n", /apiVersion must be relaylab\.dev\/v1alpha1/],
    ["no-subnet.yaml", "apiVersion: relaylab.dev/v1alpha1\nkind: DataCenter\nmetadata: {name: a}\nspec: {}\n", /no Subnet/],
    ["bad-kind.yaml", "apiVersion: relaylab.dev/v1alpha1\nkind: Pod\nmetadata: {name: a}\nspec: {}\n", /kind must be Subnet or DataCenter/],
    ["no-name.yaml", "apiVersion: relaylab.dev/v1alpha1\nkind: Subnet\nmetadata: {}\nspec: {}\n", /metadata\.name is required/],
    ["bad-yaml.yaml", "apiVersion: [unclosed\n", /document 1/],
    [
      "two-subnets.yaml",
      `${SUBNET("a", "")}---\n${SUBNET("b", "")}`,
      /2 Subnets .* --subnet NAME/,
    ],
  ];
  // Checked against the operator's own CRD schema and CEL rules, as the API server would.
  bad.push(
    ["schema-type.yaml", SUBNET("s", "  epochLength: lots\n"), /Subnet s: spec\.epochLength: must be integer/],
    ["cel-threshold.yaml", SUBNET("s", "  threshold: 5\n"), /threshold must be at most groupSize/],
    ["cel-group-size.yaml", SUBNET("s", "").replace("groupSize: 4", "groupSize: 9"), /groupSize must be at most nodes/],
    ["negative-timing.yaml", SUBNET("s", "  timings: {stallTimeoutMs: -1}\n"), /spec\.timings\.stallTimeoutMs: must be >= /],
    ["cel-consensus-fork.yaml", SUBNET("s", "  consensus: {threshold: 2}\n"), /Subnet s: spec\.consensus\.threshold: consensus\.threshold lets consensus\.faultBudget byzantine notaries finalize two blocks at one height .*unsafeAllowForks: true/],
    ["cel-consensus-budget.yaml", SUBNET("s", "  consensus: {threshold: 4, faultBudget: 1}\n"), /consensus\.faultBudget is more than groupSize - threshold/],
    ["cel-consensus-size.yaml", SUBNET("s", "  consensus: {threshold: 5, unsafeAllowForks: true}\n"), /consensus\.threshold must be at most groupSize/],
  );
  for (const [name, text, message] of bad) {
    it(`rejects ${name} with a message that says what to fix`, () => {
      assert.throws(() => loadTopology([file(name, text)]), (err: unknown) => err instanceof TopologyError && message.test(err.message));
    });
  }

  it("accepts a forking consensus threshold only with consensus.unsafeAllowForks, and drops a consensus threshold made for another group size", () => {
    const unsafe = SUBNET("s", "  consensus: {threshold: 3, unsafeAllowForks: true}\n").replace("nodes: 4", "nodes: 5").replace("groupSize: 4", "groupSize: 5");
    const t = loadTopology([file("unsafe.yaml", unsafe)]);
    assert.deepEqual(t.subnet.spec.consensus, { threshold: 3, unsafeAllowForks: true });
    assert.deepEqual(withOverrides(t, { groupSize: 4 }).subnet.spec.consensus, { unsafeAllowForks: true });
  });

  it("names a missing file", () => {
    assert.throws(() => loadTopology([join(dir, "missing.yaml")]), /cannot read topology file .*missing\.yaml/);
  });
});
