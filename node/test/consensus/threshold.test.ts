// SPDX-License-Identifier: Apache-2.0
// The genesis consensus threshold: its safe default and fault budget, and the refusal of a threshold that lets the
// budget's byzantine notaries fork the chain unless consensus.unsafeAllowForks asks for it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defaultConsensusThreshold, defaultFaultBudget, GenesisError, parseGenesis, type GenesisInput } from "../../src/config/index.js";

function genesis(size: number, consensus: GenesisInput["consensus"] = {}): GenesisInput {
  const nodes = Array.from({ length: size }, (_, i) => ({ index: i, address: `127.0.0.1:${7000 + i}`, identityKey: i.toString(16).padStart(64, "0"), dataCenter: "dc" }));
  return { version: 1, subnet: "s", seed: "ab".repeat(32), nodes, groups: { count: 1, size }, consensus };
}

function problems(input: GenesisInput): string[] {
  try {
    parseGenesis(input);
    return [];
  } catch (err) {
    assert.ok(err instanceof GenesisError);
    return [...err.problems];
  }
}

describe("consensus threshold", () => {
  test("defaults to floor(2g/3)+1 with budget floor((g-1)/3), safe (2t - g > f) and live (g - t >= f) for every g", () => {
    for (let g = 1; g <= 400; g++) {
      const t = defaultConsensusThreshold(g);
      const f = defaultFaultBudget(g);
      assert.ok(2 * t - g > f && g - t >= f && t <= g, `g = ${g}: t = ${t}, f = ${f}`);
    }
    const parsed = parseGenesis(genesis(5));
    assert.deepEqual([parsed.groups.threshold, parsed.consensus.threshold, parsed.consensus.faultBudget, parsed.consensus.unsafeAllowForks], [3, 4, 1, false]);
  });

  test("the beacon's majority threshold is refused for consensus, naming the field and the fix", () => {
    const [problem, ...rest] = problems(genesis(5, { threshold: 3 }));
    assert.deepEqual(rest, []);
    assert.match(problem ?? "", /^consensus\.threshold: 3 of 5 lets 1 byzantine notaries finalize two blocks at one height .*raise it to at least 4.*consensus\.unsafeAllowForks: true/);
  });

  test("consensus.unsafeAllowForks accepts it, and the budget stays as written", () => {
    const parsed = parseGenesis(genesis(5, { threshold: 3, unsafeAllowForks: true }));
    assert.deepEqual([parsed.consensus.threshold, parsed.consensus.faultBudget, parsed.consensus.unsafeAllowForks], [3, 1, true]);
  });

  test("a budget that silent notaries alone could exhaust, or a threshold above the group, is refused", () => {
    assert.deepEqual(problems(genesis(7, { threshold: 6, faultBudget: 2 })), ["consensus.faultBudget: is 2 but 1 silent notaries already stop finality with threshold 6 of 7: lower it to at most 1 or lower consensus.threshold"]);
    assert.deepEqual(problems(genesis(4, { threshold: 5 })), ["consensus.threshold: is 5 but groups have only 4 members; it must be at most the group size"]);
    assert.deepEqual(problems(genesis(7, { threshold: 5, faultBudget: 0 })), []);
  });
});
