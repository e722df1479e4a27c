// SPDX-License-Identifier: Apache-2.0
// One member sending invalid shares never yields an invalid beacon; its shares are counted invalid.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ByzantineBehaviour, type FaultSet } from "../src/gen/relaylab/v1/control.js";
import { NODE_METRICS } from "../src/metrics/names.js";
import { assertValidChain, fetchChain, getGroups } from "./harness/chain.js";
import { sample, scrape } from "./harness/metrics.js";
import { useProcessTestnet } from "./harness/fixture.js";
import { waitFor } from "./harness/wait.js";

const BYZANTINE = 2;
const faults: FaultSet = { links: [], byzantine: [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_INVALID_SHARES], selectivePeers: [], pauseMs: 0 };
const fx = useProcessTestnet({ nodes: 7, groups: 1, size: 7, threshold: 4 }, { faults: new Map([[BYZANTINE, faults]]) });

test("an invalid-share member cannot spoil the beacon and is counted invalid", async () => {
  const honest = fx.cluster.running().filter((i) => i !== BYZANTINE);
  // Wait until the honest nodes have caught the bad shares (which needs it among the first t at an aggregator).
  const invalid = await waitFor("invalid shares to be counted", async () => {
    const texts = await Promise.all(honest.map((i) => scrape(fx.cluster.node(i).addresses.metrics)));
    const total = texts.reduce((sum, t) => sum + sample(t, NODE_METRICS.shares, { result: "invalid" }), 0);
    return total > 0 ? total : undefined;
  });
  await fx.cluster.waitForRound(15n);
  const groups = await getGroups(fx.cluster.node(0).client);
  // Every share marked invalid is the byzantine member's: no honest share was blamed with it.
  const byzantineShareIndex = (groups.groups[0]?.members.indexOf(BYZANTINE) ?? -1) + 1;
  const blamed = honest.flatMap((i) => fx.cluster.node(i).logs).filter((l) => l.includes('"event":"invalid_share"')).map((l) => (JSON.parse(l) as { member: number }).member);
  assert.ok(blamed.length > 0, `${invalid} invalid shares counted but none logged`);
  assert.deepEqual(new Set(blamed), new Set([byzantineShareIndex]));
  for (const i of fx.cluster.running()) assertValidChain(await fetchChain(fx.cluster.node(i).client, 15n), fx.net.genesis.seed, groups);
  const status = await fx.cluster.status(BYZANTINE);
  assert.deepEqual(status.activeFaults, ["invalid_shares"]);
  assert.equal(sample(await scrape(fx.cluster.node(BYZANTINE).addresses.metrics), NODE_METRICS.faultsActive, { kind: "invalid_shares" }), 1);
});
