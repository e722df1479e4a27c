// SPDX-License-Identifier: Apache-2.0
// Byzantine notaries that sign shares for every block at a height (EQUIVOCATE_VOTES), together with makers that
// propose two blocks per height: within the fault budget the finalized chains agree. With a threshold under the
// safe bound (consensus.unsafeAllowForks) two disjoint quorums exist, and a split network finalizes two blocks at
// one height.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ByzantineBehaviour, type FaultSet } from "../../src/gen/relaylab/v1/control.js";
import { waitFor } from "../harness/wait.js";
import { assertAgreement, finalizedBlock, maxFinalized, useConsensusTestnet, waitForFinalized } from "./harness.js";

const ATTACK: FaultSet = {
  links: [],
  byzantine: [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_EQUIVOCATE_BLOCKS, ByzantineBehaviour.BYZANTINE_BEHAVIOUR_EQUIVOCATE_VOTES],
  selectivePeers: [],
  pauseMs: 0,
};
const strategyShares = (logs: readonly string[]): number => logs.filter((l) => l.includes('"event":"strategy_share"')).length;

describe("equivocating notaries within the fault budget (4 nodes, t = 3, 1 byzantine)", () => {
  const fx = useConsensusTestnet({ nodes: 4, groups: 1, size: 4, threshold: 3, timings: { minRoundPeriodMs: 150 } });
  const HEIGHTS = 60n;

  test(`all nodes finalize the same block at each of ${HEIGHTS} heights; only the byzantine node signs extra shares`, async () => {
    const all = fx.cluster.running();
    assert.deepEqual((await fx.cluster.node(1).client.setFaults(ATTACK)).byzantine, ATTACK.byzantine);
    assert.deepEqual((await fx.cluster.status(1)).activeFaults, ["equivocate_blocks", "equivocate_votes"]);
    const from = await maxFinalized(fx.cluster, all);
    await waitForFinalized(fx.cluster, from + HEIGHTS, all);
    assert.equal(await assertAgreement(fx.cluster, all, from + HEIGHTS), Number(from + HEIGHTS) * (all.length - 1));
    assert.ok(strategyShares(fx.cluster.node(1).logs) > 0, "the byzantine notary never signed a share beyond the protocol's");
    for (const honest of [0, 2, 3]) assert.equal(strategyShares(fx.cluster.node(honest).logs), 0, `honest node ${honest}`);
  });
});

describe("a threshold below the safe bound (4 nodes, t = 2 with unsafeAllowForks and unsafeAllowMinorityThreshold)", () => {
  // Certificates are recovered from the group's key shares, so they need the group's threshold too: 2 of 4 both.
  const fx = useConsensusTestnet(
    { nodes: 4, groups: 1, size: 4, threshold: 2, unsafeAllowMinorityThreshold: true, timings: { minRoundPeriodMs: 150 } },
    { blockMakerDelayMs: 150, notaryDelayMs: 30, threshold: 2, faultBudget: 1, unsafeAllowForks: true },
  );

  test("two disjoint quorums finalize different blocks at one height once the network splits them", async () => {
    // Safety must hold however long messages take, so an adversary that delays every message between the halves
    // {0, 2} and {1, 3} is within the model; each half is a quorum of 2 and finalizes its own block. (With the
    // byzantine makers and notaries of the test above, forks also happen, but only when the honest nodes lose a
    // race at some height: too rare to test on.)
    const halves = [[0, 2], [1, 3]] as const;
    const from = await maxFinalized(fx.cluster, fx.cluster.running());
    for (const [mine, theirs] of [halves, [halves[1], halves[0]]] as const) {
      for (const x of mine) await fx.cluster.node(x).client.setFaults({ ...ATTACK, byzantine: [], links: [{ peers: [...theirs], dataCenters: [], delayMs: 0, jitterMs: 0, loss: 0, bandwidthBps: 0n, partition: true }] });
    }
    const [a, b] = [fx.cluster.node(2).client, fx.cluster.node(3).client];
    const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
    // Every height both have finalized is compared once, so a poll that a loaded machine slows down
    // cannot step over the height of the fork.
    let agreedUpTo = from;
    const fork = await waitFor(
      "two honest nodes finalizing different blocks at one height",
      async () => {
        const [sa, sb] = await Promise.all([fx.cluster.status(2), fx.cluster.status(3)]);
        const top = sa.finalizedHeight < sb.finalizedHeight ? sa.finalizedHeight : sb.finalizedHeight;
        for (let h = agreedUpTo + 1n; h <= top; h++) {
          const [ba, bb] = await Promise.all([finalizedBlock(a, h), finalizedBlock(b, h)]);
          if (hex(ba.hash) !== hex(bb.hash)) return h;
          agreedUpTo = h;
        }
        return undefined;
      },
      { timeoutMs: 300_000, intervalMs: 500 },
    );
    assert.ok(fork > from);
  });
});
