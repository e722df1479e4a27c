// SPDX-License-Identifier: Apache-2.0
// Fault injection through the Control API (and --faults at start): network faults in the transport, pause,
// byzantine behaviours; every fault visible in Status.active_faults and relaylab_faults_active{kind}.
import assert from "node:assert/strict";
import { status, type ServiceError } from "@grpc/grpc-js";
import { describe, test } from "node:test";
import { ByzantineBehaviour, type FaultSet, type LinkFault } from "../src/gen/relaylab/v1/control.js";
import { NODE_METRICS } from "../src/metrics/names.js";
import { assertValidChain, fetchChain, getGroups } from "./harness/chain.js";
import { sample, scrape } from "./harness/metrics.js";
import { useProcessTestnet } from "./harness/fixture.js";
import { waitFor } from "./harness/wait.js";

const NONE: FaultSet = { links: [], byzantine: [], selectivePeers: [], pauseMs: 0 };
const link = (fields: Partial<LinkFault>): LinkFault => ({ peers: [], dataCenters: [], delayMs: 0, jitterMs: 0, loss: 0, bandwidthBps: 0n, partition: false, ...fields });

describe("network faults, pause and byzantine shares at run time", () => {
  const X = 3;
  const fx = useProcessTestnet({ nodes: 7, groups: 1, size: 7, threshold: 4 }, { ready: (f) => f.cluster.waitForRound(2n) });
  const others = (): number[] => fx.cluster.running().filter((i) => i !== X);

  const setFaults = (set: FaultSet): Promise<FaultSet> => fx.cluster.node(X).client.setFaults(set);

  const maxRound = async (nodes: number[]): Promise<bigint> => (await Promise.all(nodes.map((i) => fx.cluster.status(i)))).reduce((m, s) => (s.round > m ? s.round : m), 0n);

  test("a partitioned node falls behind, shows the fault, and catches up when it is lifted", async () => {
    const applied = await setFaults({ ...NONE, links: [link({ partition: true })] });
    assert.equal(applied.links[0]?.partition, true);
    assert.deepEqual((await fx.cluster.status(X)).activeFaults, ["partition"]);
    assert.equal(sample(await scrape(fx.cluster.node(X).addresses.metrics), NODE_METRICS.faultsActive, { kind: "partition" }), 1);
    const frozen = (await fx.cluster.status(X)).round;
    await fx.cluster.waitForRound(frozen + 8n, 120_000, others());
    assert.ok((await fx.cluster.status(X)).round <= frozen + 1n, "a fully partitioned node kept accepting beacons");
    await setFaults(NONE);
    assert.deepEqual((await fx.cluster.status(X)).activeFaults, []);
    await fx.cluster.waitForRound(await maxRound(others()), 120_000, [X]);
  });

  test("delay, jitter, loss and a bandwidth cap slow a node but the beacon goes on", async () => {
    await setFaults({ ...NONE, links: [link({ delayMs: 30, jitterMs: 20, loss: 0.1, bandwidthBps: 200_000n })] });
    assert.deepEqual((await fx.cluster.status(X)).activeFaults, ["delay", "loss", "bandwidth"]);
    const from = await maxRound(fx.cluster.running());
    await fx.cluster.waitForRound(from + 5n);
    const dropped = sample(await scrape(fx.cluster.node(X).addresses.metrics), NODE_METRICS.messagesDropped, { reason: "fault" });
    assert.ok(dropped > 0, "10% loss dropped nothing inbound");
    await setFaults(NONE);
  });

  test("a data-center partition drops that data center's traffic and heals when lifted", async () => {
    const dc = fx.net.genesis.nodes[X]?.dataCenter === "dc-a" ? "dc-b" : "dc-a";
    const droppedBefore = sample(await scrape(fx.cluster.node(X).addresses.metrics), NODE_METRICS.messagesDropped, { reason: "fault" });
    await setFaults({ ...NONE, links: [link({ dataCenters: [dc], partition: true })] });
    assert.deepEqual((await fx.cluster.status(X)).activeFaults, ["partition"]);
    const from = await maxRound(fx.cluster.running());
    await fx.cluster.waitForRound(from + 4n, 120_000, others());
    const droppedAfter = sample(await scrape(fx.cluster.node(X).addresses.metrics), NODE_METRICS.messagesDropped, { reason: "fault" });
    assert.ok(droppedAfter > droppedBefore, `nothing from ${dc} was dropped`);
    await setFaults(NONE);
    await fx.cluster.waitForRound(await maxRound(others()), 120_000, [X]);
  });

  test("a paused node reports the pause, then resumes by itself", async () => {
    const applied = await setFaults({ ...NONE, pauseMs: 3000 });
    assert.ok(applied.pauseMs > 0);
    assert.ok((await fx.cluster.status(X)).activeFaults.includes("pause"));
    await waitFor("the pause to end", async () => ((await fx.cluster.status(X)).activeFaults.length === 0 ? true : undefined), { timeoutMs: 60_000 });
    await fx.cluster.waitForRound(await maxRound(others()), 120_000, [X]);
  });

  test("withholding and selective shares do not stop the beacon", async () => {
    await setFaults({ ...NONE, byzantine: [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_WITHHOLD_SHARES] });
    assert.deepEqual((await fx.cluster.status(X)).activeFaults, ["withhold_shares"]);
    await fx.cluster.waitForRound((await maxRound(fx.cluster.running())) + 4n);
    await setFaults({ ...NONE, byzantine: [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_SELECTIVE_SHARES], selectivePeers: [0] });
    assert.deepEqual((await fx.cluster.status(X)).activeFaults, ["selective_shares"]);
    const end = (await maxRound(fx.cluster.running())) + 4n;
    await fx.cluster.waitForRound(end);
    await setFaults(NONE);
    assertValidChain(await fetchChain(fx.cluster.node(0).client, end), fx.net.genesis.seed, await getGroups(fx.cluster.node(0).client));
  });

  test("an unusable fault set is refused with INVALID_ARGUMENT", async () => {
    await assert.rejects(setFaults({ ...NONE, links: [link({ loss: 2 })] }), (err: ServiceError) => err.code === status.INVALID_ARGUMENT && /loss/.test(err.message));
  });
});

describe("DKG equivocation at start", () => {
  const EQUIVOCATOR = 0;
  const fx = useProcessTestnet({ nodes: 5, groups: 1, size: 5, threshold: 3 }, {
    faults: new Map([[EQUIVOCATOR, { ...NONE, byzantine: [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_DKG_EQUIVOCATE] }]]),
  });

  test("the group still registers and signs; the equivocating dealer is not qualified", async () => {
    await fx.cluster.waitForRound(3n, 180_000);
    const groups = await getGroups(fx.cluster.node(1).client);
    assert.equal(groups.groups.length, 1);
    assertValidChain(await fetchChain(fx.cluster.node(1).client, 3n), fx.net.genesis.seed, groups);
    const position = (groups.groups[0]?.members.indexOf(EQUIVOCATOR) ?? -1) + 1;
    const done = fx.cluster
      .node(1)
      .logs.filter((l) => l.includes('"event":"dkg_done"'))
      .map((l) => JSON.parse(l) as { qualified?: number[] })[0];
    assert.ok(done?.qualified, "node 1 logged no dkg_done");
    assert.ok(!done.qualified.includes(position), `equivocating dealer ${position} was qualified: ${done.qualified.join(",")}`);
  });
});
