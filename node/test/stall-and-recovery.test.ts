// SPDX-License-Identifier: Apache-2.0
// 16 node processes, 4 groups of 7 (t = 4). Crashing g−t members of every group causes no
// stall; crashing g−t+1 members of one group stalls the beacon when that group is selected (stall events
// counted); restarting them resumes the beacon.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { GroupSet } from "../src/gen/relaylab/v1/public.js";
import { assertValidChain, fetchChain, getGroups } from "./harness/chain.js";
import { useProcessTestnet } from "./harness/fixture.js";
import { waitFor } from "./harness/wait.js";

const SIZE = 7;
const THRESHOLD = 4;
let groups: GroupSet;
const fx = useProcessTestnet(
  { nodes: 16, groups: 4, size: SIZE, threshold: THRESHOLD, timings: { stallTimeoutMs: 8000, dkgTimeoutMs: 150_000 } },
  {
    ready: async (f) => {
      await f.cluster.waitForRound(3n, 300_000);
      groups = await getGroups(f.cluster.node(0).client);
    },
  },
);

/** A set of nodes holding at most `limit` members of every group, as many as possible (exhaustive search). */
function crashSet(limit: number): number[] {
  const memberships = fx.net.genesis.nodes.map((n) => groups.groups.map((g) => (g.members.includes(n.index) ? 1 : 0)));
  let best: number[] = [];
  let bestScore = -1;
  for (let mask = 0; mask < 1 << memberships.length; mask++) {
    const counts = groups.groups.map(() => 0);
    const chosen: number[] = [];
    memberships.forEach((m, node) => {
      if (mask & (1 << node)) {
        chosen.push(node);
        m.forEach((v, g) => (counts[g] = (counts[g] ?? 0) + v));
      }
    });
    if (counts.some((c) => c > limit)) continue;
    // Prefer sets that take exactly `limit` members from every group, then fewer nodes overall.
    const score = counts.reduce((s, c) => s + c, 0) * 100 - chosen.length;
    if (score > bestScore) [best, bestScore] = [chosen, score];
  }
  return best;
}

async function stallEvents(nodes: number[]): Promise<bigint> {
  const statuses = await Promise.all(nodes.map((i) => fx.cluster.status(i)));
  return statuses.reduce((s, st) => s + st.stallEvents, 0n);
}

async function latestRound(nodes: number[]): Promise<bigint> {
  const statuses = await Promise.all(nodes.map((i) => fx.cluster.status(i)));
  return statuses.reduce((m, st) => (st.round > m ? st.round : m), 0n);
}

test("all four groups register", () => {
  assert.equal(groups.groups.length, 4);
  for (const g of groups.groups) assert.equal(g.members.length, SIZE);
});

test("crashing g−t members of every group does not stall the beacon", async () => {
  const victims = crashSet(SIZE - THRESHOLD);
  for (const g of groups.groups) assert.ok(g.members.filter((m) => victims.includes(m)).length <= SIZE - THRESHOLD);
  const survivors = fx.cluster.running().filter((i) => !victims.includes(i));
  const stallsBefore = await stallEvents(survivors);
  await Promise.all(victims.map((v) => fx.cluster.kill(v)));
  const from = await latestRound(survivors);
  await fx.cluster.waitForRound(from + 12n, 180_000, survivors);
  assert.equal(await stallEvents(survivors), stallsBefore, `stall events with ${victims.length} crashed nodes (${victims.join(",")})`);
  await Promise.all(victims.map((v) => fx.cluster.start(v)));
  const target = await latestRound(survivors);
  await fx.cluster.waitForRound(target, 180_000);
});

test("crashing g−t+1 members of one group stalls when it is selected; restarting them resumes the beacon", async () => {
  const group = groups.groups[0];
  assert.ok(group);
  const victims = group.members.slice(0, SIZE - THRESHOLD + 1);
  const survivors = fx.cluster.running().filter((i) => !victims.includes(i));
  const stallsBefore = await stallEvents(survivors);
  await Promise.all(victims.map((v) => fx.cluster.kill(v)));
  // Rounds go on until group 0 (or another group that lost t members) is selected, then every survivor stalls.
  await waitFor("survivors to count a stall", async () => ((await stallEvents(survivors)) > stallsBefore ? true : undefined), { timeoutMs: 240_000, intervalMs: 500 });
  const stalledAt = await latestRound(survivors);
  const stalled = await Promise.all(survivors.map((i) => fx.cluster.status(i)));
  assert.ok(stalled.some((s) => s.stalled), "no survivor reports stalled = true");
  await Promise.all(victims.map((v) => fx.cluster.start(v)));
  await fx.cluster.waitForRound(stalledAt + 3n, 240_000);
  const end = stalledAt + 3n;
  assertValidChain(await fetchChain(fx.cluster.node(survivors[0] ?? 0).client, end), fx.net.genesis.seed, groups);
});
