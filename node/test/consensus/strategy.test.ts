// SPDX-License-Identifier: Apache-2.0
// The consensus strategies the fault controller selects: honest while no behaviour is on, and EQUIVOCATE_VOTES
// adding a share for every block (and a finalization share for every notarized one) without touching proposals.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { systemClock } from "../../src/clock.js";
import { faultStrategies } from "../../src/faults/byzantine.js";
import { FaultController } from "../../src/faults/controller.js";
import { ByzantineBehaviour, type FaultSet } from "../../src/gen/relaylab/v1/control.js";
import type { Block } from "../../src/gen/relaylab/v1/protocol.js";
import { silentLogger } from "../../src/log.js";

const NONE: FaultSet = { links: [], byzantine: [], selectivePeers: [], pauseMs: 0 };
const VIEW = { height: 7n, blocks: ["aa", "bb"], notarized: ["bb"] };
const BLOCK: Block = { height: 7n, parent: new Uint8Array(32), maker: 1, rank: 0, proposedAtMs: 5n, payload: [], signature: new Uint8Array(64) };

describe("consensus strategies from the fault controller", () => {
  const faults = new FaultController(() => undefined, systemClock, silentLogger(), null);
  const { consensus } = faultStrategies(faults, silentLogger());

  it("signs nothing beyond the protocol while no behaviour is on", () => {
    faults.apply(NONE);
    assert.deepEqual(consensus.votes(VIEW), []);
  });

  it("EQUIVOCATE_VOTES: a notarization share for every block and a finalization share for every notarized block", () => {
    faults.apply({ ...NONE, byzantine: [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_EQUIVOCATE_VOTES] });
    assert.deepEqual(consensus.votes(VIEW), [
      { kind: "n", height: 7n, hash: "aa" },
      { kind: "n", height: 7n, hash: "bb" },
      { kind: "f", height: 7n, hash: "bb" },
    ]);
    // Proposals stay honest: every node gets the one block.
    const proposal = consensus.proposal(BLOCK, () => assert.fail("an honest proposal signs no rival"));
    assert.equal(proposal(0), BLOCK);
    assert.equal(proposal(1), BLOCK);
  });

  it("with EQUIVOCATE_BLOCKS as well, proposals equivocate and votes still cover every block", () => {
    faults.apply({ ...NONE, byzantine: [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_EQUIVOCATE_VOTES, ByzantineBehaviour.BYZANTINE_BEHAVIOUR_EQUIVOCATE_BLOCKS] });
    const proposal = consensus.proposal(BLOCK, (b) => ({ ...b, signature: new Uint8Array(64).fill(1) }));
    assert.notEqual(proposal(0), proposal(1));
    assert.equal(consensus.votes(VIEW).length, 3);
  });
});
