// SPDX-License-Identifier: Apache-2.0
// A node killed and restarted catches up and verifies every missed round.
import assert from "node:assert/strict";
import { test } from "node:test";
import { NODE_METRICS } from "../src/metrics/names.js";
import { assertValidChain, fetchChain, getGroups } from "./harness/chain.js";
import { sample, scrape } from "./harness/metrics.js";
import { useProcessTestnet } from "./harness/fixture.js";

const fx = useProcessTestnet({ nodes: 7, groups: 1, size: 7, threshold: 4 });

test("a crashed node restarts from its data dir, syncs the rounds it missed and verifies them", async () => {
  await fx.cluster.waitForRound(3n);
  const victim = 5;
  const exited = fx.cluster.node(victim).exited;
  await fx.cluster.node(victim).client.crash(3);
  assert.equal(await exited, 3, "Control.Crash must exit with the requested code");
  await fx.cluster.kill(victim).catch(() => undefined);
  const crashedAt = (await fx.cluster.status(0)).round;
  // The other six (t = 4) keep going; wait for a gap worth syncing.
  await fx.cluster.waitForRound(crashedAt + 15n);
  const restarted = await fx.cluster.start(victim);
  const target = (await fx.cluster.status(0)).round;
  await fx.cluster.waitForRound(target, 120_000, [victim]);
  const text = await scrape(restarted.addresses.metrics);
  assert.ok(sample(text, NODE_METRICS.p2pBytes, { direction: "received", message: "sync" }) > 0, "the restarted node did not use SyncChain");
  const groups = await getGroups(restarted.client);
  const mine = await fetchChain(restarted.client, target);
  assertValidChain(mine, fx.net.genesis.seed, groups);
  assert.deepEqual(mine, await fetchChain(fx.cluster.node(0).client, target));
  const status = await fx.cluster.status(victim);
  assert.equal(status.ready, true);
});
