// SPDX-License-Identifier: Apache-2.0
// Safety and liveness across partitions: one node at a time is cut off from the other three (t = 3). The cut-off
// node finalizes nothing on its own, the majority keeps finalizing, the node catches up (verifying what it syncs)
// once the partition heals, and over 200 heights every node finalized the same chain.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { FaultSet, LinkFault } from "../../src/gen/relaylab/v1/control.js";
import { assertAgreement, maxFinalized, useConsensusTestnet, waitForFinalized } from "./harness.js";

const HEIGHTS = 200n;
const NONE: FaultSet = { links: [], byzantine: [], selectivePeers: [], pauseMs: 0 };
const cut: LinkFault = { peers: [], dataCenters: [], delayMs: 0, jitterMs: 0, loss: 0, bandwidthBps: 0n, partition: true };

describe("consensus across partitions", () => {
  const fx = useConsensusTestnet({ nodes: 4, groups: 1, size: 4, threshold: 3, timings: { minRoundPeriodMs: 150 } });
  const setFaults = (node: number, set: FaultSet): Promise<FaultSet> => fx.cluster.node(node).client.setFaults(set);

  for (const isolated of [0, 3]) {
    test(`node ${isolated} cut off: it stops finalizing, the others go on, and it catches up after the heal`, async () => {
      const all = fx.cluster.running();
      const others = all.filter((i) => i !== isolated);
      await waitForFinalized(fx.cluster, 5n, all);
      await setFaults(isolated, { ...NONE, links: [cut] });
      const frozen = (await fx.cluster.status(isolated)).finalizedHeight;
      await waitForFinalized(fx.cluster, (await maxFinalized(fx.cluster, others)) + 60n, others);
      const during = (await fx.cluster.status(isolated)).finalizedHeight;
      // At most a finalization already under way when the cut came in.
      assert.ok(during <= frozen + 1n, `the cut-off node finalized ${during - frozen} heights on its own`);
      await setFaults(isolated, NONE);
      const target = (await maxFinalized(fx.cluster, others)) + 5n;
      await waitForFinalized(fx.cluster, target, all);
    });
  }

  test(`every node finalized the same block at each of heights 1..${HEIGHTS}`, async () => {
    const all = fx.cluster.running();
    await waitForFinalized(fx.cluster, HEIGHTS, all);
    const compared = await assertAgreement(fx.cluster, all, HEIGHTS);
    assert.equal(compared, Number(HEIGHTS) * (all.length - 1));
  });
});
