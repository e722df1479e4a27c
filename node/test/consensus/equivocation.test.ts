// SPDX-License-Identifier: Apache-2.0
// Finality under attack, on the pure machine: one byzantine node of a five-member group makes the first block of
// every fifth height, sends one block to even-numbered and another to odd-numbered nodes, and as a notary signs
// notarization and finalization shares for both. With the beacon's majority threshold (3 of 5: 2t − g = 1, not
// more than one fault) both blocks are finalized; with the consensus default (4 of 5: 2t − g = 3) they cannot be,
// and the honest nodes still finalize every height.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { defaultConsensusThreshold, defaultThreshold } from "../../src/config/index.js";
import { Simulation } from "./sim.js";

const NODES = 5;
const HEIGHTS = 20;

describe("an equivocating block maker with one equivocating notary", () => {
  test("finalizes two blocks at one height with the beacon's majority threshold", () => {
    const sim = new Simulation({ nodes: NODES, threshold: defaultThreshold(NODES), byzantine: [0], heights: HEIGHTS });
    sim.run(60_000);
    const forks = sim.forks();
    assert.ok(forks.includes(1n), `expected a fork at height 1 (node 0 makes its first block), got forks at [${forks.join(", ")}]`);
  });

  test("cannot fork with the consensus threshold, and every height is still finalized", () => {
    assert.equal(defaultConsensusThreshold(NODES), 4);
    const sim = new Simulation({ nodes: NODES, threshold: defaultConsensusThreshold(NODES), byzantine: [0], heights: HEIGHTS });
    sim.run(60_000);
    assert.deepEqual(sim.forks(), []);
    assert.deepEqual(sim.conflicts, []);
    assert.ok(sim.honestFinalizedHeight() >= BigInt(HEIGHTS - 1), `honest nodes finalized only up to ${sim.honestFinalizedHeight()} of ${HEIGHTS}`);
  });
});
