// SPDX-License-Identifier: Apache-2.0
// The pure consensus state machine: ranking, block making, notarization, the finalization rule.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { initialState, step, workingBlocks, type ConsensusState } from "../../src/consensus/machine.js";
import { blockMakerRanking } from "../../src/consensus/ranking.js";
import type { BlockInfo, ConsensusEffect, ConsensusEvent, Notaries } from "../../src/consensus/types.js";

const PARAMS = { blockMakerDelayMs: 100, notaryDelayMs: 20, retransmitMs: 1000 };
const GENESIS = "00".repeat(32);
const NODES = 4;
/** The ranking every test height uses: node i has rank i. */
const RANKING = [0, 1, 2, 3];
const NOTARIES: Notaries = { group: 0, epoch: 0n, members: [0, 1, 2, 3], threshold: 3, aggregators: [0] };
const SIG = new Uint8Array(48);

let serial = 0;
function block(height: bigint, parent: string, maker: number, tag = ""): BlockInfo {
  const hash = (++serial).toString(16).padStart(8, "0") + tag.padEnd(56, "0").slice(0, 56);
  return { hash, height, parent, maker, rank: RANKING.indexOf(maker), block: { height, parent: new Uint8Array(32), maker, rank: RANKING.indexOf(maker), proposedAtMs: 0n, payload: [], signature: new Uint8Array() } };
}

/** Drives one machine through events at given times, collecting every effect. */
class Harness {
  state: ConsensusState;
  readonly effects: ConsensusEffect[] = [];

  constructor(self: number, signFloor = 0n) {
    this.state = initialState(self, NODES, PARAMS, GENESIS, signFloor);
  }

  at(now: number, event: ConsensusEvent): ConsensusEffect[] {
    const [state, effects] = step(this.state, event, now);
    this.state = state;
    this.effects.push(...effects);
    return effects;
  }

  beacon(now: number, height: bigint): ConsensusEffect[] {
    return this.at(now, { type: "beacon", height, ranking: RANKING, notaries: NOTARIES });
  }

  /** Notarizes `b` through a verified certificate. */
  notarize(now: number, b: BlockInfo): ConsensusEffect[] {
    return this.at(now, { type: "cert", kind: "n", from: 3, height: b.height, hash: b.hash, signature: SIG, verified: true });
  }

  of<T extends ConsensusEffect["type"]>(type: T, from = 0): Extract<ConsensusEffect, { type: T }>[] {
    return this.effects.slice(from).filter((e): e is Extract<ConsensusEffect, { type: T }> => e.type === type);
  }
}

/**
 * Node 1 after an equivocating maker got blocks a and b notarized at height 1, b's child at height 2 and
 * `children(a)` too, and then a finalization of a.
 */
function finalizeOneOfTwo(children: (a: BlockInfo) => BlockInfo[]): { h: Harness; a: BlockInfo; onB: BlockInfo; children: BlockInfo[] } {
  const h = new Harness(1);
  for (const height of [1n, 2n, 3n]) h.beacon(0, height);
  const a = block(1n, GENESIS, 0, "a");
  const b = block(1n, GENESIS, 0, "b");
  const onB = block(2n, b.hash, 0, "onb");
  const more = children(a);
  for (const x of [a, b, onB, ...more]) h.at(1, { type: "block", from: 0, block: x });
  for (const x of [a, b, onB, ...more]) h.notarize(2, x);
  assert.equal(h.state.height, 3n);
  h.at(3, { type: "cert", kind: "f", from: 2, height: 1n, hash: a.hash, signature: SIG, verified: true });
  return { h, a, onB, children: more };
}

describe("ranking", () => {
  test("is a permutation of every node, the same for the same beacon, and spreads rank 0", () => {
    const firsts = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const beacon = new Uint8Array(48).fill(i);
      const ranking = blockMakerRanking(beacon, 7);
      assert.deepEqual([...ranking].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6]);
      assert.deepEqual(blockMakerRanking(beacon, 7), ranking);
      firsts.add(ranking[0] ?? -1);
    }
    assert.equal(firsts.size, 7, "some node was never ranked first in 200 beacons");
  });
});

describe("block makers", () => {
  test("rank 0 proposes as soon as the height opens, on the genesis block", () => {
    const h = new Harness(0);
    const effects = h.beacon(0, 1n);
    assert.deepEqual(effects.filter((e) => e.type === "propose"), [{ type: "propose", height: 1n, parent: GENESIS, rank: 0 }]);
  });

  test("rank k waits k × blockMakerDelay, then proposes", () => {
    const h = new Harness(2);
    h.beacon(0, 1n);
    assert.equal(h.of("propose").length, 0);
    assert.ok(h.of("wake").some((w) => w.at === 200), "no wake-up at 2 × blockMakerDelay");
    h.at(199, { type: "tick" });
    assert.equal(h.of("propose").length, 0);
    h.at(200, { type: "tick" });
    assert.deepEqual(h.of("propose"), [{ type: "propose", height: 1n, parent: GENESIS, rank: 2 }]);
  });

  test("rank k does not propose once it has seen a block of better rank", () => {
    const h = new Harness(2);
    h.beacon(0, 1n);
    h.at(50, { type: "block", from: 1, block: block(1n, GENESIS, 1) });
    h.at(500, { type: "tick" });
    assert.equal(h.of("propose").length, 0);
  });

  test("a block claiming a rank its maker does not hold is ignored", () => {
    const h = new Harness(1);
    const forged = { ...block(1n, GENESIS, 3), rank: 0 };
    h.beacon(0, 1n);
    h.at(1, { type: "block", from: 3, block: forged });
    h.at(1000, { type: "tick" });
    assert.ok(!h.of("sign").some((s) => s.hash === forged.hash), "a notary signed a block with a forged rank");
  });
});

describe("notaries", () => {
  test("sign the best-ranked block after the notary delay, never a worse one afterwards", () => {
    const h = new Harness(3);
    h.beacon(0, 1n);
    const b1 = block(1n, GENESIS, 1);
    h.at(5, { type: "block", from: 1, block: b1 });
    h.at(PARAMS.notaryDelayMs + PARAMS.blockMakerDelayMs - 1, { type: "tick" });
    assert.equal(h.of("sign").length, 0, "signed before notaryDelay + rank × blockMakerDelay");
    h.at(PARAMS.notaryDelayMs + PARAMS.blockMakerDelayMs, { type: "tick" });
    assert.deepEqual(h.of("sign").map((s) => [s.kind, s.hash]), [["n", b1.hash]]);
    const b2 = block(1n, GENESIS, 2);
    h.at(400, { type: "block", from: 2, block: b2 });
    assert.ok(!h.of("sign").some((s) => s.hash === b2.hash), "signed a worse block after a better one");
    const b0 = block(1n, GENESIS, 0);
    h.at(410, { type: "block", from: 0, block: b0 });
    assert.ok(h.of("sign").some((s) => s.hash === b0.hash), "did not sign a better block that arrived late");
  });

  test("t shares make a recover effect at once on an aggregator, after the retransmit interval elsewhere", () => {
    for (const [self, delay] of [[0, 0], [3, PARAMS.retransmitMs]] as const) {
      const h = new Harness(self);
      h.beacon(0, 1n);
      const b = block(1n, GENESIS, 1);
      h.at(1, { type: "block", from: 1, block: b });
      for (const from of [1, 2]) h.at(2, { type: "share", kind: "n", from, height: 1n, hash: b.hash, index: from + 1, signature: SIG });
      assert.equal(h.of("recover").length, 0, "recovered below the threshold");
      h.at(3, { type: "share", kind: "n", from: 3 === self ? 0 : 3, height: 1n, hash: b.hash, index: (3 === self ? 0 : 3) + 1, signature: SIG });
      h.at(3 + delay, { type: "tick" });
      const recovers = h.of("recover");
      assert.equal(recovers.length, 1, `node ${self} did not recover at +${delay} ms`);
      assert.equal(recovers[0]?.partials.length, 3);
    }
  });

  test("after a restart, a notary signs nothing at or below the height it last signed at", () => {
    const h = new Harness(3, 1n);
    h.beacon(0, 1n);
    h.beacon(0, 2n);
    const b1 = block(1n, GENESIS, 0);
    h.at(1, { type: "block", from: 0, block: b1 });
    h.at(500, { type: "tick" });
    assert.equal(h.of("sign").length, 0, "signed at the height it may have signed at before the restart");
    h.notarize(501, b1);
    const b2 = block(2n, b1.hash, 0);
    h.at(502, { type: "block", from: 0, block: b2 });
    h.at(1000, { type: "tick" });
    assert.deepEqual(h.of("sign").map((s) => [s.kind, s.height]), [["n", 2n]]);
  });

  test("without progress, own shares are re-sent with backoff and the own block once", () => {
    const h = new Harness(0);
    h.beacon(0, 1n);
    const [proposal] = h.of("propose");
    assert.ok(proposal);
    const own = block(1n, GENESIS, 0);
    h.at(1, { type: "block", from: 0, block: own });
    h.at(PARAMS.notaryDelayMs, { type: "tick" });
    for (const t of [999, 1000, 2999, 3000, 6999, 7000]) h.at(t, { type: "tick" });
    // Re-sent at +1 s, then +2 s after that, then +4 s: three times by 7 s.
    assert.equal(h.of("sign").filter((s) => s.resend).length, 3);
    assert.equal(h.of("resend_block").length, 1);
  });

  test("a share whose index is not the sender's position is ignored", () => {
    const h = new Harness(0);
    h.beacon(0, 1n);
    const b = block(1n, GENESIS, 1);
    h.at(1, { type: "block", from: 1, block: b });
    for (const from of [1, 2, 3]) h.at(2, { type: "share", kind: "n", from, height: 1n, hash: b.hash, index: 1, signature: SIG });
    assert.equal(h.of("recover").length, 0);
  });
});

describe("notarization and finalization", () => {
  test("a notarization ends the height; a notary that signed only that block sends one finalization share", () => {
    const h = new Harness(3);
    h.beacon(0, 1n);
    h.beacon(0, 2n);
    const b = block(1n, GENESIS, 0);
    h.at(1, { type: "block", from: 0, block: b });
    h.at(100, { type: "tick" });
    const mark = h.effects.length;
    h.notarize(120, b);
    assert.equal(h.state.height, 2n);
    assert.deepEqual(h.of("sign", mark).filter((s) => s.kind === "f").map((s) => [s.height, s.hash]), [[1n, b.hash]]);
    // A late, better block at the left height is never signed.
    const late = block(1n, GENESIS, 0, "late");
    h.at(130, { type: "block", from: 0, block: late });
    h.at(5000, { type: "tick" });
    assert.ok(!h.of("sign").some((s) => s.hash === late.hash), "signed at a height it had left");
  });

  test("a notary that signed two blocks at a height (equivocating maker) sends no finalization share", () => {
    const h = new Harness(3);
    h.beacon(0, 1n);
    const a = block(1n, GENESIS, 0, "a");
    const b = block(1n, GENESIS, 0, "b");
    h.at(1, { type: "block", from: 0, block: a });
    h.at(2, { type: "block", from: 0, block: b });
    h.at(100, { type: "tick" });
    assert.equal(h.of("sign").filter((s) => s.kind === "n").length, 2);
    h.notarize(120, a);
    h.notarize(121, b);
    assert.equal(h.of("sign").filter((s) => s.kind === "f").length, 0);
    // It abstains once, when it leaves the height, and the driver counts that.
    assert.deepEqual(h.of("abstain").map((e) => e.height), [1n]);
  });

  test("a finalization finalizes the block and its notarized ancestors, in height order", () => {
    const h = new Harness(3);
    h.beacon(0, 1n);
    h.beacon(0, 2n);
    h.beacon(0, 3n);
    const b1 = block(1n, GENESIS, 0);
    h.at(1, { type: "block", from: 0, block: b1 });
    h.notarize(2, b1);
    const b2 = block(2n, b1.hash, 0);
    h.at(3, { type: "block", from: 0, block: b2 });
    h.notarize(4, b2);
    assert.equal(h.of("finalized").length, 0);
    h.at(5, { type: "cert", kind: "f", from: 1, height: 2n, hash: b2.hash, signature: SIG, verified: true });
    const [finalized] = h.of("finalized");
    assert.deepEqual(finalized?.blocks.map((b) => b.hash), [b1.hash, b2.hash]);
    assert.equal(h.state.finalizedHeight, 2n);
    assert.equal(h.state.height, 3n);
  });

  test("an unverified certificate is verified once; a bad one can be followed by a good copy", () => {
    const h = new Harness(3);
    h.beacon(0, 1n);
    const b = block(1n, GENESIS, 0);
    h.at(1, { type: "block", from: 0, block: b });
    const cert: ConsensusEvent = { type: "cert", kind: "n", from: 1, height: 1n, hash: b.hash, signature: SIG, verified: false };
    h.at(2, cert);
    h.at(2, cert);
    assert.equal(h.of("verify").length, 1);
    h.at(3, { type: "bad_cert", kind: "n", height: 1n, hash: b.hash });
    h.at(4, { ...cert, from: 2 });
    assert.equal(h.of("verify").length, 2);
  });

  test("after a finalization, blocks that descend from a rival of the finalized block are never built on", () => {
    // Each of the two blocks has a notarized child.
    const onA = (a: BlockInfo): BlockInfo[] => [block(2n, a.hash, 2, "ona")];
    const { h, onB, children: [onA2] } = finalizeOneOfTwo(onA);
    h.at(3 + PARAMS.blockMakerDelayMs, { type: "tick" });
    // Rank 0's block on b is the better-ranked notarized parent, but it can never be finalized.
    assert.deepEqual(h.of("propose"), [{ type: "propose", height: 3n, parent: onA2?.hash, rank: 1 }]);
    // Its descendants are ignored: not signed, and no chain is asked for on their account.
    const mark = h.effects.length;
    const onOrphan = block(3n, onB.hash, 0, "onorphan");
    h.at(4, { type: "block", from: 0, block: onOrphan });
    h.at(5, { type: "cert", kind: "n", from: 0, height: 2n, hash: onB.hash, signature: SIG, verified: false });
    h.at(5000, { type: "tick" });
    assert.ok(!h.of("sign", mark).some((s) => s.hash === onOrphan.hash), "signed a block built on an orphan");
    assert.deepEqual([...h.of("sync", mark), ...h.of("verify", mark)], []);
  });

  test("a working height held only by orphans is worked again on the finalized chain", () => {
    const { h, a } = finalizeOneOfTwo(() => []);
    assert.equal(h.state.height, 2n);
    h.at(3 + PARAMS.blockMakerDelayMs, { type: "tick" });
    assert.deepEqual(h.of("propose"), [{ type: "propose", height: 2n, parent: a.hash, rank: 1 }]);
  });

  test("a certificate for an unknown block asks its sender for the chain, and applies once the block arrives", () => {
    const h = new Harness(3);
    h.beacon(0, 1n);
    const b = block(1n, GENESIS, 0);
    h.at(1, { type: "cert", kind: "n", from: 2, height: 1n, hash: b.hash, signature: SIG, verified: false });
    assert.deepEqual(h.of("sync"), [{ type: "sync", peer: 2, fromHeight: 1n }]);
    h.at(2, { type: "block", from: 2, block: b });
    assert.equal(h.of("verify").length, 1);
  });
});

describe("a block this node never received", () => {
  const share = (from: number, b: BlockInfo): ConsensusEvent => ({ type: "share", kind: "n", from, height: b.height, hash: b.hash, index: from + 1, signature: SIG });

  test("is asked of a share's sender once it is still missing a retransmit interval later, and again, backing off", () => {
    // Node 3 was down when the block was made: only the notaries' re-sent shares reach it.
    const h = new Harness(3);
    h.beacon(0, 1n);
    const b = block(1n, GENESIS, 0);
    h.at(10, share(1, b));
    h.at(500, { type: "tick" });
    assert.equal(h.of("sync").length, 0, "shares usually overtake their block: no request before a retransmit interval");
    h.at(1000, { type: "tick" });
    assert.ok(h.of("wake").some((w) => w.at === 1010), "no wake-up to ask for the missing block");
    h.at(1010, { type: "tick" });
    assert.deepEqual(h.of("sync"), [{ type: "sync", peer: 1, fromHeight: 1n }]);
    h.at(2010, { type: "tick" });
    assert.equal(h.of("sync").length, 1, "asked again before the backed-off interval");
    h.at(3010, { type: "tick" });
    assert.equal(h.of("sync").length, 2, "a lost answer is asked for again");
    const signed = h.effects.length;
    h.at(3100, { type: "block", from: 1, block: b });
    assert.ok(h.of("sign", signed).some((s) => s.hash === b.hash), "the fetched block is not signed");
    h.at(5000, { type: "tick" });
    assert.equal(h.of("sync").length, 2, "asked again for a block it has");
  });

  test("a block arriving after its shares, as usual, is never asked for", () => {
    const h = new Harness(3);
    h.beacon(0, 1n);
    const b = block(1n, GENESIS, 0);
    h.at(10, share(1, b));
    h.at(20, { type: "block", from: 0, block: b });
    h.at(3000, { type: "tick" });
    assert.equal(h.of("sync").length, 0);
  });

  test("a notary flooding shares for made-up blocks notes only two, and the real missing block is still asked for", () => {
    const h = new Harness(3);
    h.beacon(0, 1n);
    for (let i = 0; i < 500; i++) h.at(10, share(1, block(1n, GENESIS, 0, `junk${i}`)));
    assert.equal(h.state.heights.get(1n)?.missing.size, 2);
    const real = block(1n, GENESIS, 0);
    h.at(20, share(2, real));
    h.at(1020, { type: "tick" });
    assert.ok(h.of("sync").some((s) => s.peer === 2), "the honest notary's block was crowded out");
  });

  test("asks each sender of the block's shares in turn, so one that does not answer is not asked forever", () => {
    const h = new Harness(3);
    h.beacon(0, 1n);
    const b = block(1n, GENESIS, 0);
    h.at(10, share(1, b));
    h.at(20, share(2, b));
    for (const t of [1010, 3010, 7010]) h.at(t, { type: "tick" });
    assert.deepEqual(h.of("sync").map((s) => s.peer), [1, 2, 1]);
  });

  test("a missing block of a height already left is not asked for", () => {
    const h = new Harness(3);
    h.beacon(0, 1n);
    h.beacon(0, 2n);
    const rival = block(1n, GENESIS, 1);
    h.at(10, share(1, rival));
    const kept = block(1n, GENESIS, 0);
    h.at(20, { type: "block", from: 0, block: kept });
    h.notarize(30, kept);
    h.at(5000, { type: "tick" });
    assert.equal(h.of("sync").length, 0);
  });

  test("a sync answer carries the working height's blocks: the signed one first", () => {
    const h = new Harness(1);
    h.beacon(0, 1n);
    const best = block(1n, GENESIS, 0);
    const worse = block(1n, GENESIS, 2);
    h.at(1, { type: "block", from: 2, block: worse });
    h.at(1, { type: "block", from: 0, block: best });
    h.at(1000, { type: "tick" });
    assert.deepEqual(workingBlocks(h.state).map((b) => b.hash), [best.hash, worse.hash]);
    h.notarize(1001, best);
    assert.deepEqual(workingBlocks(h.state), [], "height 2 has no block yet");
  });
});
