// SPDX-License-Identifier: Apache-2.0
// The round engine in one process (drand's BeaconTest shape): five engines, trusted-dealer shares, a manual clock
// and an in-memory network. Covers share fan-in, an invalid-share member, and verification of synced beacons, each
// with every engine's round crypto on noble, on mcl-wasm, and mixed (engines on either backend in one network).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import { BeaconEngine } from "../src/beacon/engine.js";
import { GroupSet } from "../src/beacon/group-set.js";
import { parseGenesis } from "../src/config/index.js";
import { loadRoundCrypto, NOBLE_ROUND_CRYPTO, type RoundCrypto } from "../src/crypto/backend/index.js";
import { dealShares } from "../src/crypto/index.js";
import { faultStrategies } from "../src/faults/byzantine.js";
import { FaultController } from "../src/faults/controller.js";
import { ByzantineBehaviour } from "../src/gen/relaylab/v1/control.js";
import { Envelope } from "../src/gen/relaylab/v1/protocol.js";
import type { Beacon } from "../src/gen/relaylab/v1/public.js";
import { generateIdentity } from "../src/identity/index.js";
import { pino } from "pino";
import { silentLogger, type Logger } from "../src/log.js";
import { createMetrics, type Metrics } from "../src/metrics/registry.js";
import { BeaconStore } from "../src/store/beacons.js";
import { wireBytes } from "../src/net/framing.js";
import { assertValidChain } from "./harness/chain.js";
import { FakeClock } from "../src/testing/fake-clock.js";

const N = 5;
const T = 3;
const BYZANTINE = 2;
const genesisInput = {
  version: 1,
  subnet: "engine",
  seed: "ab".repeat(32),
  nodes: Array.from({ length: N }, (_, index) => ({ index, address: `127.0.0.1:${7000 + index}`, identityKey: generateIdentity().publicKey, dataCenter: "dc-a" })),
  groups: { count: 1, size: N, threshold: T },
  timings: { minRoundPeriodMs: 0, shareRetransmitMs: 100, stallTimeoutMs: 5000, dkgTimeoutMs: 1000 },
};
const genesis = parseGenesis(genesisInput);
const dealt = dealShares(T, N);
const groups = new GroupSet(0n, 1n, [{ index: 0, candidate: 0, members: [0, 1, 2, 3, 4], threshold: T, commitments: dealt.commitments }]);
const mcl = await loadRoundCrypto("mcl-wasm");
/** Which round crypto each engine gets, by engine index. */
const BACKENDS: [string, (self: number) => RoundCrypto][] = [
  ["noble", () => NOBLE_ROUND_CRYPTO],
  ["mcl-wasm", () => mcl],
  ["mixed", (self) => (self % 2 === 0 ? NOBLE_ROUND_CRYPTO : mcl)],
];
const publicGroups = { epoch: 0n, firstRound: 1n, groups: [{ index: 0, members: [0, 1, 2, 3, 4], threshold: T, publicKey: dealt.groupPublicKey }] };

interface Net {
  engines: BeaconEngine[];
  stores: BeaconStore[];
  metrics: Metrics[];
  run(until: () => boolean, maxSteps?: number): void;
}

interface NetOptions {
  /** Extra delay of every message from `from` to `to`. */
  readonly delayMs?: (from: number, to: number) => number;
  readonly log?: (self: number) => Logger;
  readonly lateShareSample?: number;
}

function network(byzantine: ReadonlySet<number>, cryptoOf: (self: number) => RoundCrypto, netGenesis = genesis, latencyMs = 10, netOptions: NetOptions = {}): Net {
  const clock = new FakeClock(0);
  let queue: { from: number; to: number; envelope: Envelope; at: number }[] = [];
  const stores = Array.from({ length: N }, () => new BeaconStore(undefined));
  const metrics = Array.from({ length: N }, () => createMetrics(new Registry()));
  const engines = stores.map((store, self) => {
    const faults = new FaultController(() => "dc-a", clock, silentLogger(), null);
    if (byzantine.has(self)) faults.apply({ links: [], byzantine: [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_INVALID_SHARES], selectivePeers: [], pauseMs: 0 });
    return new BeaconEngine({
      self,
      genesis: netGenesis,
      clock,
      strategy: faultStrategies(faults, silentLogger()).beacon,
      log: netOptions.log?.(self) ?? silentLogger(),
      ...(netOptions.lateShareSample !== undefined ? { lateShareSample: netOptions.lateShareSample } : {}),
      metrics: metrics[self] ?? null,
      crypto: cryptoOf(self),
      store,
      send: (to, envelope) => {
        queue.push({ from: self, to, envelope, at: clock.now() + latencyMs + (netOptions.delayMs?.(self, to) ?? 0) });
        return wireBytes(Envelope.encode(envelope).finish().length);
      },
      requestSync: () => undefined,
    });
  });
  engines.forEach((e, i) => e.start(groups, new Map([[0, dealt.secretShares[i]!]])));
  return {
    engines,
    stores,
    metrics,
    run(until, maxSteps = 5000) {
      for (let step = 0; step < maxSteps && !until(); step++) {
        // Every message takes latencyMs (at least one 10 ms step).
        const due = queue.filter((m) => m.at <= clock.now());
        queue = queue.filter((m) => m.at > clock.now());
        for (const { from, to, envelope } of due) {
          const wire = wireBytes(Envelope.encode(envelope).finish().length);
          if (envelope.share) engines[to]?.onShare(from, envelope.share, wire);
          if (envelope.beacon) engines[to]?.onBeacon(from, envelope.beacon);
        }
        clock.advance(10);
      }
    },
  };
}

const chainOf = (store: BeaconStore): Beacon[] => [...store.from(1n)];

for (const [backend, cryptoOf] of BACKENDS) {
  test(`${backend}: five engines build one verified chain; an invalid-share member is caught and counted`, async () => {
    const net = network(new Set([BYZANTINE]), cryptoOf);
    net.run(() => net.stores.every((s) => s.latestRound >= 8n));
    const reference = chainOf(net.stores[0]!).slice(0, 8);
    assert.equal(reference.length, 8);
    assertValidChain(reference, genesis.seed, publicGroups);
    for (const store of net.stores) assert.deepEqual(chainOf(store).slice(0, 8), reference);
    let invalid = 0;
    for (const m of net.metrics) invalid += (await m.shares.get()).values.find((v) => v.labels.result === "invalid")?.value ?? 0;
    assert.ok(invalid > 0, "no invalid share was counted");
    const bytes = await net.metrics[0]!.groupSignatureBytes.get();
    assert.ok((bytes.values.find((v) => v.metricName?.endsWith("_count"))?.value ?? 0) >= 1);
    for (const e of net.engines) e.stop();
  });

  test(`${backend}: a member whose invalid shares always arrive after the beacon is still caught, and no honest member is`, async () => {
    // Its shares take 30 ms more than the others', so every aggregator has recovered from honest shares first and
    // uses none of the liar's: only the check of late shares can catch it. Every late share is checked here, so that
    // the test does not depend on the sample.
    const lines: string[] = [];
    const log = (): Logger => pino({ level: "warn" }, { write: (line: string) => lines.push(line) });
    const net = network(new Set([BYZANTINE]), cryptoOf, genesis, 10, { delayMs: (from) => (from === BYZANTINE ? 30 : 0), log, lateShareSample: 1 });
    const counted = async (result: string): Promise<number> => {
      let n = 0;
      for (const m of net.metrics) n += (await m.shares.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
      return n;
    };
    net.run(() => net.stores.every((s) => s.latestRound >= 12n));
    const invalidShares = lines.map((l) => JSON.parse(l) as { event?: string; member?: number; late?: boolean }).filter((e) => e.event === "invalid_share");
    assert.ok(invalidShares.length > 0, "the late liar was never caught");
    assert.deepEqual(new Set(invalidShares.map((e) => [e.member, e.late].join())), new Set([`${BYZANTINE + 1},true`]), "only the liar's late shares are invalid");
    assert.equal(await counted("invalid"), invalidShares.length);
    assert.ok((await counted("late")) > 0, "honest late shares were checked and counted late");
    for (const e of net.engines) e.stop();
  });

  test(`${backend}: a lagging engine accepts synced beacons only when they verify, in order`, () => {
    const net = network(new Set(), cryptoOf);
    net.run(() => net.stores[0]!.latestRound >= 4n);
    const chain = chainOf(net.stores[0]!);
    for (const e of net.engines) e.stop();
    const clock = new FakeClock(0);
    const store = new BeaconStore(undefined);
    const late = new BeaconEngine({
      self: 4,
      genesis,
      clock,
      log: silentLogger(),
      metrics: null,
      crypto: cryptoOf(4),
      store,
      send: () => 0,
      requestSync: () => undefined,
    });
    late.start(groups, new Map());
    const [b1, b2, b3] = chain;
    assert.ok(b1 && b2 && b3);
    assert.equal(late.acceptSynced({ ...b1, signature: b2.signature }), false, "a beacon with another round's signature was accepted");
    assert.equal(late.acceptSynced({ ...b1, previousSignature: b2.signature }), false, "a beacon with the wrong link was accepted");
    assert.equal(late.acceptSynced({ ...b1, group: 1 }), false, "a beacon naming an unregistered group was accepted");
    assert.equal(late.acceptSynced(b2), false, "a beacon out of order was accepted");
    assert.equal(store.latestRound, 0n);
    for (const b of [b1, b2, b3]) assert.equal(late.acceptSynced(b), true);
    assert.equal(store.latestRound, 3n);
    late.stop();
  });
}

test("a minimum round period paces rounds at the period when they take less, and never faster", async () => {
  const paced = parseGenesis({ ...genesisInput, timings: { ...genesisInput.timings, minRoundPeriodMs: 1000 } });
  // Every message takes 100 ms: a round's own work (share to aggregators, beacon back) is 200 ms.
  const net = network(new Set(), () => NOBLE_ROUND_CRYPTO, paced, 100);
  net.run(() => net.stores.every((s) => s.latestRound >= 12n), 20_000);
  for (const [i, m] of net.metrics.entries()) {
    const values = (await m.roundDuration.get()).values;
    const sum = values.find((v) => v.metricName?.endsWith("_sum"))?.value ?? 0;
    const count = values.find((v) => v.metricName?.endsWith("_count"))?.value ?? 0;
    assert.ok(count >= 10, `engine ${i} observed ${count} rounds`);
    // Waiting a full period after each beacon made this 1.1 s: the period plus the round's latency.
    assert.ok(Math.abs(sum / count - 1) < 0.02, `engine ${i}: mean round ${sum / count} s for a 1 s period`);
    // The signing latency leaves the pacing out: a share's hop to an aggregator and, for the others, the beacon's hop back.
    const signing = (await m.signing.get()).values;
    const signingSum = signing.find((v) => v.metricName?.endsWith("_sum"))?.value ?? 0;
    const signingCount = signing.find((v) => v.metricName?.endsWith("_count"))?.value ?? 0;
    assert.ok(signingCount >= 10, `engine ${i} observed ${signingCount} signing latencies`);
    assert.ok(signingSum / signingCount >= 0.09 && signingSum / signingCount <= 0.25, `engine ${i}: mean signing ${signingSum / signingCount} s for two 100 ms hops at most`);
    const p50 = net.engines[i]?.signingLatencyP50() ?? 0;
    assert.ok(p50 >= 0.09 && p50 <= 0.25, `engine ${i}: signing p50 ${p50} s`);
  }
  for (const e of net.engines) e.stop();
});

