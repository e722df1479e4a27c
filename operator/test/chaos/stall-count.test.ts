// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { centralRegion, stallCountDistribution, stallCountOneStep } from "../../src/chaos/stall-count.js";
import { seededRandom } from "../../src/chaos/selectors.js";
import { stallModel } from "../../src/chaos/stall-model.js";
import { stallModelCheck } from "../../src/chaos/verdict.js";

const group = (members: number[], threshold = 3) => ({ members, threshold });
const mean = (d: readonly number[]) => d.reduce((a, p, x) => a + p * x, 0);

/** Groups as the nodes draw them: `count` independent uniform `size`-subsets of n nodes. */
function drawGroups(seed: number, n: number, count: number, size: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => victims(n, size, random).sort((a, b) => a - b));
}

/** k distinct nodes of n, from `random`. */
function victims(n: number, k: number, random: () => number): number[] {
  const out = new Set<number>();
  while (out.size < k) out.add(Math.floor(random() * n));
  return [...out];
}

describe("stalled-group count over random crash sets", () => {
  it("one group stalls with the hypergeometric P[stall]; a set's mean is the sum over its groups", () => {
    const p = stallModel({ nodes: 12, faulty: 4, groupSize: 5, threshold: 3 }).stallProbability;
    const one = stallCountOneStep(12, 4, [group([0, 1, 2, 3, 4])]);
    assert.ok(Math.abs((one[1] ?? 0) - p) < 1e-12, `${one[1]} vs ${p}`);
    const groups = drawGroups(11, 12, 6, 5).map((m) => group(m));
    const all = stallCountOneStep(12, 4, groups);
    assert.ok(Math.abs(all.reduce((a, q) => a + q, 0) - 1) < 1e-12);
    assert.ok(Math.abs(mean(all) - 6 * p) < 1e-12);
  });

  it("groups that share members stall together: two copies of one group never stall alone", () => {
    const d = stallCountOneStep(10, 4, [group([0, 1, 2, 3, 4]), group([0, 1, 2, 3, 4])]);
    assert.equal(d[1], 0);
    assert.ok((d[2] ?? 0) > 0.2);
  });

  it("samples where there are too many crash sets to count, close to the exact mean", () => {
    const p = stallModel({ nodes: 40, faulty: 6, groupSize: 8, threshold: 5 }).stallProbability;
    const groups = drawGroups(22, 40, 5, 8).map((m) => group(m, 5));
    const d = stallCountOneStep(40, 6, groups); // C(40, 6) = 3.8 million sets: sampled
    assert.ok(Math.abs(mean(d) - 5 * p) < 0.01, `${mean(d)} vs ${5 * p}`);
    assert.deepEqual(stallCountOneStep(40, 6, groups), d, "the sample is seeded, so a verdict is reproducible");
  });

  it("the central region leaves out at most 1 − confidence of the mass", () => {
    const d = stallCountDistribution(12, [4, 4, 4, 4], drawGroups(33, 12, 6, 5).map((m) => group(m)));
    const r = centralRegion(d, 0.99);
    const outside = d.reduce((a, p, x) => (x < r.low || x > r.high ? a + p : a), 0);
    assert.ok(outside <= 0.01 + 1e-12, `${outside}`);
    assert.ok(r.low <= r.mean && r.mean <= r.high);
  });

  it("an honest random selector fails the verdict in at most 1% of runs at 99% confidence", () => {
    // The example's shape: 12 nodes, 6 groups of 5 drawn as the nodes draw them, 4 crash steps of 4.
    const random = seededRandom(20261207);
    let failed = 0;
    const runs = 600;
    for (let run = 0; run < runs; run++) {
      const groups = drawGroups(run, 12, 6, 5).map((m) => group(m));
      const steps = [0, 1, 2, 3].map((i) => ({ name: `c${i}`, action: "crash", firedAtRound: i, firedAtSeconds: 0, victims: victims(12, 4, random) }));
      const v = stallModelCheck({ nodes: 12, groups, steps }, 0.99);
      if (!v?.passed) failed++;
    }
    // By construction at most 1% in expectation; 2% leaves room for the spread of 600 runs.
    assert.ok(failed <= runs * 0.02, `${failed} of ${runs} honest runs failed`);
  });

  it("a selector biased towards one group's members fails the verdict", () => {
    const groups = drawGroups(44, 12, 6, 5).map((m) => group(m));
    // Crash three members of group 0 and one more node every time: group 0 always stalls.
    const steps = [0, 1, 2, 3].map((i) => {
      const others = [...Array(12).keys()].filter((n) => !groups[0]!.members.slice(0, 3).includes(n));
      return { name: `c${i}`, action: "crash", firedAtRound: i, firedAtSeconds: 0, victims: [...groups[0]!.members.slice(0, 3), others[i]!] };
    });
    const biased = Array.from({ length: 6 }, () => steps).flat();
    const v = stallModelCheck({ nodes: 12, groups, steps: biased }, 0.99);
    assert.ok(v);
    assert.equal(v.passed, false, `${v.measured}; ${v.expected}`);
  });
});
