// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { junitXml } from "../../src/chaos/junit.js";
import { ExpectationsSchema } from "../../src/api/index.js";
import { judge, recoveryRounds, type RunFacts, stallModelCheck } from "../../src/chaos/verdict.js";
import type { RunSummary } from "../../src/local/summary.js";

const summary: RunSummary = {
  subnet: "s",
  rounds: 10,
  stalls: 1,
  nodeStallEvents: 1,
  roundLatencySeconds: { p50: 0.5, p90: 0.9, p99: 6, max: 6 },
  signingLatencySeconds: { p50: 0.1, p90: 0.2, p99: 0.4 },
  groupSignatureBytes: { mean: 1000, p99: 2000 },
  finalizedHeight: 0,
  safety: { agreed: true, checkedRounds: 10, checkedHeights: 8, violations: [] },
  healthy: true,
  problems: [],
  nodes: [],
};
const intervals = new Map([[2, 0.5], [3, 0.5], [4, 6], [5, 4], [6, 0.5], [7, 0.5], [8, 0.5], [9, 0.5], [10, 0.5]]);
const facts: RunFacts = {
  summary,
  targetRounds: 10,
  stallTimeoutSeconds: 3,
  intervals,
  steps: [{ name: "cut", action: "partition", firedAtRound: 3, firedAtSeconds: 2, victims: [1], endedAtRound: 4 }],
  invalidSharesCounted: 0,
  nodes: 10,
  finalizedHeight: 0,
  groups: [
    { members: [0, 1, 2, 3, 4], threshold: 3 },
    { members: [5, 6, 7, 8, 9], threshold: 3 },
  ],
};

/** Expectations as an experiment file would give them, defaults filled in. */
const expectations = (given: Record<string, unknown>) => ExpectationsSchema.parse(given);

describe("chaos verdicts", () => {
  it("counts recovery from the first round back under the stall timeout", () => {
    assert.equal(recoveryRounds(4, facts), 2);
    assert.equal(recoveryRounds(10, facts), undefined);
  });

  it("passes and fails each expectation on the measured numbers", () => {
    const v = judge(expectations({ maxStalls: 0, maxStallSeconds: 10, recoveryWithinRounds: 1, roundLatencySeconds: { p50: 1 }, invalidSharesDetected: true }), facts);
    const byName = new Map(v.map((x) => [x.name, x.passed]));
    assert.equal(byName.get("run completed"), true);
    assert.equal(byName.get("safety"), true);
    assert.equal(byName.get("max stalls"), false);
    assert.equal(byName.get("max stall duration"), true);
    assert.equal(byName.get("recovery after 'cut'"), false);
    assert.equal(byName.get("round latency p50"), true);
    assert.equal(byName.get("invalid shares detected"), false);
  });

  it("with recoveryWithinRounds, fails a run whose finalized height never passed the one at a fault's end", () => {
    const ended = { name: "cut", action: "crash", firedAtRound: 3, firedAtSeconds: 2, victims: [1], endedAtRound: 4, finalizedAtEnd: 3 };
    const verdict = (finalizedHeight: number) =>
      judge(expectations({ recoveryWithinRounds: 5 }), { ...facts, finalizedHeight, steps: [ended] }).find((v) => v.name === "finalization resumed after 'cut'");
    assert.equal(verdict(3)?.passed, false, "the beacon recovered but consensus stayed at the fault's height");
    assert.match(verdict(3)?.measured ?? "", /finalized height 3 at the end of the run, 3 when the fault ended/);
    assert.equal(verdict(9)?.passed, true);
  });

  it("passes impostors refused only when impostor steps sent Hellos and every one was refused", () => {
    const impostor = (attempts: number, notRefused: string[]) => ({ name: "knock", action: "impostor", firedAtRound: 3, firedAtSeconds: 2, victims: [2], impostor: { attempts, notRefused } });
    const verdict = (steps: RunFacts["steps"]) => judge(expectations({ impostorsRefused: true }), { ...facts, steps }).find((x) => x.name === "impostors refused");
    assert.deepEqual(verdict([impostor(3, []), impostor(3, [])]), { name: "impostors refused", passed: true, measured: "all 6 impostor Hellos refused", expected: "every impostor Hello refused (UNAUTHENTICATED)" });
    const accepted = verdict([impostor(3, ["replayed Hello to node 2: OK"])]);
    assert.equal(accepted?.passed, false);
    assert.equal(accepted.measured, "1 of 3 not refused: replayed Hello to node 2: OK");
    assert.equal(verdict(facts.steps)?.passed, false, "no impostor step ran");
  });

  it("fails safety on a finalized fork and names the violation kinds it counted", () => {
    const violations = [
      { kind: "finalized_fork" as const, node: 1, round: 4, detail: "fork" },
      { kind: "finalized_fork" as const, node: 2, round: 5, detail: "fork" },
      { kind: "disagreement" as const, node: 2, round: 5, detail: "beacon" },
    ];
    const safety = judge(expectations({}), { ...facts, summary: { ...summary, safety: { ...summary.safety, agreed: false, violations } } }).find((x) => x.name === "safety");
    assert.equal(safety?.passed, false);
    assert.equal(safety.measured, "3 violations (2 finalized_fork, 1 disagreement) over 10 verified rounds and 8 finalized heights");
  });

  it("fails a run that did not reach its rounds or whose step failed", () => {
    const v = judge(expectations({}), { ...facts, targetRounds: 20, steps: [{ name: "x", action: "crash", firedAtRound: 1, firedAtSeconds: 0, victims: [], error: "boom" }] });
    assert.deepEqual(v.filter((x) => !x.passed).map((x) => x.name), ["run completed", "every step applied"]);
  });

  it("compares the groups crash steps left below threshold with the exact stall model", () => {
    // Two crash trials over two groups: each trial leaves one group below threshold (2 of 4).
    const steps = [
      { name: "a", action: "crash", firedAtRound: 1, firedAtSeconds: 0, victims: [0, 1, 2, 5] },
      { name: "b", action: "crash", firedAtRound: 5, firedAtSeconds: 0, victims: [0, 5, 6, 9] },
    ];
    const v = stallModelCheck({ ...facts, steps }, 0.95);
    assert.ok(v);
    assert.match(v.measured, /^2 of 4 group trials/);
    // P[stall] for 4 crashed of 10, g=5, t=3 is P[faulty >= 3] = 66/252 ≈ 0.262, inside the interval.
    assert.match(v.expected, /0\.2619/);
    assert.equal(v.passed, true);
    const none = stallModelCheck({ ...facts, steps: [{ ...steps[0]!, victims: [0, 5] }, { ...steps[1]!, victims: [1, 6] }] }, 0.95);
    assert.ok(none);
    // With 2 of 10 crashed no group can stall, and the model says P[stall] = 0: consistent.
    assert.equal(none.passed, true);
    assert.equal(stallModelCheck({ ...facts, steps: [] }, 0.95), undefined);
  });

  it("writes JUnit XML with one testcase per expectation and escaped text", () => {
    const xml = junitXml("exp<1>", [
      { name: "a & b", passed: true, measured: "1", expected: "2" },
      { name: "c", passed: false, measured: '"x"', expected: "y" },
    ], 1.5);
    assert.match(xml, /<testsuite name="exp&lt;1&gt;" tests="2" failures="1"/);
    assert.match(xml, /<testcase classname="relaylab\.chaos\.exp&lt;1&gt;" name="a &amp; b"/);
    assert.match(xml, /<failure message="expected y, measured &quot;x&quot;" type="ExpectationFailed"\/>/);
    assert.equal((xml.match(/<testcase /g) ?? []).length, 2);
  });
});
