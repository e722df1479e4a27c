// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { binomial, stallModel } from "../../src/chaos/stall-model.js";

/** Brute-force hypergeometric tail in floating point, for small cases only. */
function bruteTail(N: number, F: number, n: number, k: number): number {
  let s = 0;
  for (let x = k; x <= Math.min(F, n); x++) s += Number(binomial(F, x) * binomial(N - F, n - x));
  return s / Number(binomial(N, n));
}

function assertClose(actual: number, expected: number, relTol: number): void {
  assert.ok(Math.abs(actual - expected) <= relTol * Math.abs(expected), `${actual} not within ${relTol} of ${expected}`);
}

describe("stall model (exact hypergeometric)", () => {
  it("matches scipy's hypergeom.sf for N=10000, F=3000, g=400, t=201", () => {
    const m = stallModel({ nodes: 10000, faulty: 3000, groupSize: 400, threshold: 201 });
    assertClose(m.stallProbability, 1.0060506739841125e-17, 1e-12);
    assertClose(m.forgeProbability, 4.0924e-18, 1e-4);
    assertClose(m.stallLog2, -56.46, 1e-3);
    assert.equal(m.expectedFaulty, 120);
  });

  it("agrees with a brute-force sum on small subnets", () => {
    for (const [N, F, g, t] of [[16, 3, 7, 4], [16, 5, 7, 4], [30, 10, 9, 5], [12, 0, 5, 3], [10, 10, 4, 2]] as const) {
      const m = stallModel({ nodes: N, faulty: F, groupSize: g, threshold: t });
      assertClose(m.stallProbability, bruteTail(N, F, g, g - t + 1), 1e-12);
      assertClose(m.forgeProbability, bruteTail(N, F, g, t), 1e-12);
    }
  });

  it("gives 0 and 1 at the edges", () => {
    assert.equal(stallModel({ nodes: 16, faulty: 0, groupSize: 7, threshold: 4 }).stallProbability, 0);
    assert.equal(stallModel({ nodes: 16, faulty: 16, groupSize: 7, threshold: 4 }).stallProbability, 1);
    assert.equal(stallModel({ nodes: 16, faulty: 16, groupSize: 7, threshold: 4 }).forgeProbability, 1);
  });

  it("rejects inconsistent input with a message naming the flag", () => {
    assert.throws(() => stallModel({ nodes: 10, faulty: 11, groupSize: 4, threshold: 3 }), /--faulty/);
    assert.throws(() => stallModel({ nodes: 10, faulty: 1, groupSize: 11, threshold: 3 }), /--group-size/);
    assert.throws(() => stallModel({ nodes: 10, faulty: 1, groupSize: 4, threshold: 5 }), /--threshold/);
    assert.throws(() => stallModel({ nodes: 10.5, faulty: 1, groupSize: 4, threshold: 3 }), /--nodes/);
  });
});
