// SPDX-License-Identifier: Apache-2.0
// Property-based fuzzing of the wire decoders, the transport's envelope path and the DKG and beacon state
// machines (test/fuzz/targets.ts), with a fixed seed and few cases; `npm run bench:fuzz` runs many more.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FUZZ_TARGETS } from "./fuzz/targets.js";

const SEED = 20261204;

describe("fuzzing (fixed seed)", () => {
  for (const target of FUZZ_TARGETS) {
    it(`${target.name}: no crash, no invariant violation in ${target.testRuns} cases`, async () => {
      const result = await target.run(SEED, target.testRuns);
      assert.equal(result.cases, target.testRuns);
      assert.equal(result.crashes + result.invariantViolations, 0, result.failure);
      assert.ok(result.reached > 0, `no case got past the first checks of ${target.name}: the inputs test nothing`);
    });
  }
});
