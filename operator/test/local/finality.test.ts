// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FinalizedBlock } from "@relaylab/node/gen/relaylab/v1/public";
import { FinalityLedger } from "../../src/local/finality.js";

/** A finalized block summary at `height` whose hash is `variant` repeated (different variants, different blocks). */
function block(height: number, variant = height): FinalizedBlock {
  return { height: BigInt(height), hash: new Uint8Array(32).fill(variant), parent: new Uint8Array(32), maker: 0, rank: 0, messageIds: [], payloadBytes: 0n, finalizedAtMs: 0n };
}

describe("finality ledger", () => {
  it("records nodes that finalized the same block at each height, without violations", () => {
    const l = new FinalityLedger();
    for (let h = 1; h <= 5; h++) for (const node of [0, 1, 2]) assert.equal(l.add(node, block(h)), undefined);
    assert.equal(l.checkedHeights, 5);
    assert.equal(l.highestHeight, 5);
    assert.deepEqual([...(l.height(3)?.nodes ?? [])], [0, 1, 2]);
    assert.deepEqual(l.violations, []);
  });

  it("reports two nodes finalizing different blocks at one height as a finalized_fork, once per node and height", () => {
    const l = new FinalityLedger();
    l.add(0, block(1));
    l.add(2, block(1));
    const v = l.add(1, block(1, 99));
    assert.ok(v);
    assert.equal(v.kind, "finalized_fork");
    assert.equal(v.node, 1);
    assert.equal(v.round, 1);
    assert.match(v.detail, /^node 1 finalized block 6363636363636363 at height 1, nodes 0,2 finalized 0101010101010101$/);
    // The node reports the same block again after its stream is reopened: one fork, counted once.
    assert.equal(l.add(1, block(1, 99)), undefined);
    assert.equal(l.violations.length, 1);
    // The first block stays the reference: another node agreeing with it is fine.
    assert.equal(l.add(3, block(1)), undefined);
    assert.deepEqual([...(l.height(1)?.nodes ?? [])], [0, 2, 3]);
  });

  it("keeps only the retained window of heights and ignores reports below it", () => {
    const l = new FinalityLedger(10);
    for (let h = 1; h <= 100; h++) l.add(0, block(h));
    assert.equal(l.heldHeights, 10);
    assert.equal(l.height(90), undefined);
    assert.ok(l.height(91));
    assert.equal(l.checkedHeights, 100);
    // A node replaying a forgotten height cannot be compared: neither a violation nor a new reference.
    assert.equal(l.add(1, block(50, 7)), undefined);
    assert.equal(l.height(50), undefined);
    assert.deepEqual(l.violations, []);
    // Within the window, forks are still caught.
    assert.equal(l.add(1, block(95, 7))?.kind, "finalized_fork");
  });

  it("rejects a window that is not a positive whole number", () => {
    assert.throws(() => new FinalityLedger(0), /retainHeights must be a positive integer, got 0/);
  });
});
