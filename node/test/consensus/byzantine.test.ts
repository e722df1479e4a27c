// SPDX-License-Identifier: Apache-2.0
// Safety with a byzantine block maker: one of four nodes (t = 3, so 2t − g = 2 > 1 fault) proposes two different
// blocks at every height it makes a block for (even-numbered peers see one, odd-numbered the other); the finalized
// chains still agree at every height.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ByzantineBehaviour, type FaultSet } from "../../src/gen/relaylab/v1/control.js";
import { assertAgreement, useConsensusTestnet, waitForFinalized } from "./harness.js";

const HEIGHTS = 200n;
const EQUIVOCATE: FaultSet = { links: [], byzantine: [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_EQUIVOCATE_BLOCKS], selectivePeers: [], pauseMs: 0 };

describe("consensus with equivocating block makers", () => {
  const fx = useConsensusTestnet({ nodes: 4, groups: 1, size: 4, threshold: 3, timings: { minRoundPeriodMs: 150 } });

  test(`all nodes finalize the same block at each of ${HEIGHTS} heights`, async () => {
    const all = fx.cluster.running();
    for (const x of [1]) {
      const applied = await fx.cluster.node(x).client.setFaults(EQUIVOCATE);
      assert.deepEqual(applied.byzantine, EQUIVOCATE.byzantine);
      assert.deepEqual((await fx.cluster.status(x)).activeFaults, ["equivocate_blocks"]);
    }
    await waitForFinalized(fx.cluster, HEIGHTS, all);
    const compared = await assertAgreement(fx.cluster, all, HEIGHTS);
    assert.equal(compared, Number(HEIGHTS) * (all.length - 1));
    const equivocations = all.flatMap((i) => fx.cluster.node(i).logs).filter((l) => l.includes('"event":"equivocating_block"')).length;
    assert.ok(equivocations > 0, "no byzantine maker ever equivocated (were they never ranked first?)");
  });
});
