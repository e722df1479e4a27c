// SPDX-License-Identifier: Apache-2.0
// FaultController decisions with an injected clock and random source.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import { FaultController } from "../src/faults/controller.js";
import { ByzantineBehaviour, type FaultSet, type LinkFault } from "../src/gen/relaylab/v1/control.js";
import { silentLogger } from "../src/log.js";
import { createMetrics } from "../src/metrics/registry.js";
import { FakeClock } from "../src/testing/fake-clock.js";

const NONE: FaultSet = { links: [], byzantine: [], selectivePeers: [], pauseMs: 0 };
const link = (f: Partial<LinkFault>): LinkFault => ({ peers: [], dataCenters: [], delayMs: 0, jitterMs: 0, loss: 0, bandwidthBps: 0n, partition: false, ...f });
const dcOf = (n: number): string => (n < 3 ? "dc-a" : "dc-b");

test("partition by index and by data center drops only matching peers", () => {
  const faults = new FaultController(dcOf, new FakeClock(0), silentLogger(), null);
  faults.apply({ ...NONE, links: [link({ peers: [1], partition: true }), link({ dataCenters: ["dc-b"], partition: true })] });
  assert.deepEqual(faults.decide(1, "sent", 10), { drop: true });
  assert.deepEqual(faults.decide(4, "received", 10), { drop: true });
  assert.deepEqual(faults.decide(2, "sent", 10), { drop: false, delayMs: 0 });
});

test("delay plus jitter, loss and a bandwidth cap shape messages", () => {
  const clock = new FakeClock(0);
  const random = 0.5;
  const faults = new FaultController(dcOf, clock, silentLogger(), null, () => random);
  faults.apply({ ...NONE, links: [link({ delayMs: 100, jitterMs: 40, bandwidthBps: 1000n })] });
  // 100 ms delay + 0.5 × 40 ms jitter + 500 B at 1000 B/s; the next message queues behind the first.
  assert.deepEqual(faults.decide(5, "sent", 500), { drop: false, delayMs: 620 });
  assert.deepEqual(faults.decide(5, "sent", 500), { drop: false, delayMs: 1120 });
  faults.apply({ ...NONE, links: [link({ loss: 0.6 })] });
  assert.deepEqual(faults.decide(5, "sent", 1), { drop: true });
  faults.apply({ ...NONE, links: [link({ loss: 0.4 })] });
  assert.equal(faults.decide(5, "sent", 1).drop, false);
});

test("pause expires on the clock, and every kind is mirrored in relaylab_faults_active", async () => {
  const clock = new FakeClock(0);
  const registry = new Registry();
  const metrics = createMetrics(registry);
  const faults = new FaultController(dcOf, clock, silentLogger(), metrics);
  faults.apply({ ...NONE, pauseMs: 1000, byzantine: [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_WITHHOLD_SHARES], links: [link({ delayMs: 5 })] });
  assert.deepEqual(faults.activeKinds(), ["delay", "pause", "withhold_shares"]);
  assert.equal(faults.paused(), true);
  const active = async (kind: string): Promise<number | undefined> => (await metrics.faultsActive.get()).values.find((v) => v.labels.kind === kind)?.value;
  assert.equal(await active("pause"), 1);
  clock.advance(1001);
  assert.equal(faults.paused(), false);
  assert.equal(await active("pause"), 0);
  assert.equal(await active("withhold_shares"), 1);
  assert.throws(() => faults.apply({ ...NONE, links: [link({ loss: 1.5 })] }), /links\[0\]\.loss/);
});
