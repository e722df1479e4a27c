// SPDX-License-Identifier: Apache-2.0
// The genesis thresholds. Consensus: its safe default and fault budget, and the refusal of a threshold that lets the
// budget's byzantine notaries fork the chain unless consensus.unsafeAllowForks asks for it. The beacon's group
// threshold: refused when it is not a majority, which the members a group may lose to faults reach by themselves
// (shown with real shares), unless groups.unsafeAllowMinorityThreshold asks for it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { beaconThresholdProblems, defaultConsensusThreshold, defaultFaultBudget, defaultThreshold, GenesisError, parseGenesis, type GenesisInput } from "../../src/config/index.js";
import { dealShares, partialSign, recoverSignature, verify } from "../../src/crypto/index.js";

function genesis(size: number, consensus: GenesisInput["consensus"] = {}, groups: Partial<GenesisInput["groups"]> = {}): GenesisInput {
  const nodes = Array.from({ length: size }, (_, i) => ({ index: i, address: `127.0.0.1:${7000 + i}`, identityKey: i.toString(16).padStart(64, "0"), dataCenter: "dc" }));
  return { version: 1, subnet: "s", seed: "ab".repeat(32), nodes, groups: { count: 1, size, ...groups }, consensus };
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

describe("beacon (group) threshold", () => {
  test("refuses exactly the thresholds that the g - t members outside a t-set reach by themselves, and never the default", () => {
    for (let g = 1; g <= 60; g++) {
      assert.deepEqual(beaconThresholdProblems(defaultThreshold(g), g, false), [], `default for g = ${g}`);
      for (let t = 1; t <= g; t++) {
        const faultyReachIt = g - t >= t;
        assert.equal(beaconThresholdProblems(t, g, false).length > 0, faultyReachIt, `t = ${t} of g = ${g}`);
        assert.deepEqual(beaconThresholdProblems(t, g, true), [], `t = ${t} of g = ${g} with the unsafe field`);
      }
    }
  });

  test("the adversary the rule keeps out: with 2 of 4, the 2 members a group may lose sign a beacon with no honest share", () => {
    const dealt = dealShares(2, 4);
    const message = new TextEncoder().encode("round 7");
    const byzantine = dealt.secretShares.slice(2).map((share) => partialSign(share, message));
    assert.ok(verify(dealt.groupPublicKey, message, recoverSignature(byzantine, 2)));
    assert.match(problems(genesis(4, {}, { threshold: 2 })).join("\n"), /groups\.threshold: 2 of 4 is not a majority/);
  });

  test("a minority threshold is refused naming the field and the fix, and accepted with groups.unsafeAllowMinorityThreshold", () => {
    assert.deepEqual(problems(genesis(6, {}, { threshold: 3 })), [
      "groups.threshold: 3 of 6 is not a majority: the 3 members a group may lose to byzantine faults reach it by themselves and can sign beacons without an honest member; raise it to at least 4, or set groups.unsafeAllowMinorityThreshold: true for a network meant to run without a byzantine budget",
    ]);
    assert.deepEqual(problems(genesis(6, {}, { threshold: 4 })), []);
    const parsed = parseGenesis(genesis(6, {}, { threshold: 3, unsafeAllowMinorityThreshold: true }));
    assert.deepEqual([parsed.groups.threshold, parsed.groups.unsafeAllowMinorityThreshold], [3, true]);
    assert.equal(parseGenesis(genesis(6)).groups.unsafeAllowMinorityThreshold, false);
    assert.deepEqual(problems(genesis(4, {}, { threshold: 5, unsafeAllowMinorityThreshold: true })), ["groups.threshold: is 5 but groups have only 4 members; it must be at most the group size"]);
  });
});
