// SPDX-License-Identifier: Apache-2.0
// Bad input is paid for once: a beacon that failed verification is remembered (bounded LRU), so a peer repeating
// it costs a hash, not a pairing; and a failed recovery marks exactly the partials the crypto core found invalid,
// without verifying every partial again.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "prom-client";
import { previousOfFirstRound, roundMessage } from "../src/beacon/chain.js";
import { BAD_BEACON_MEMO, type BeaconEngine } from "../src/beacon/engine.js";
import { GroupSet } from "../src/beacon/group-set.js";
import { parseGenesis } from "../src/config/index.js";
import { NOBLE_ROUND_CRYPTO, type RoundCrypto } from "../src/crypto/backend/index.js";
import { dealShares, NotEnoughValidSharesError, partialSign, recoverSignature } from "../src/crypto/index.js";
import type { Beacon } from "../src/gen/relaylab/v1/public.js";
import { generateIdentity } from "../src/identity/index.js";
import { NODE_METRICS } from "../src/metrics/names.js";
import { createMetrics } from "../src/metrics/registry.js";
import type { BeaconStore } from "../src/store/beacons.js";
import { FakeClock } from "../src/testing/fake-clock.js";
import { sample } from "./harness/metrics.js";
import { soloEngine } from "./harness/solo-engine.js";

const genesis = parseGenesis({
  version: 1,
  subnet: "memo",
  seed: "cd".repeat(32),
  nodes: [0, 1, 2].map((index) => ({ index, address: `127.0.0.1:${7400 + index}`, identityKey: generateIdentity().publicKey, dataCenter: "dc-a" })),
  groups: { count: 1, size: 3, threshold: 2 },
  timings: { minRoundPeriodMs: 0, shareRetransmitMs: 100, stallTimeoutMs: 5000, dkgTimeoutMs: 1000 },
});
const dealt = dealShares(2, 3);
const groups = new GroupSet(0n, 1n, [{ index: 0, candidate: 0, members: [0, 1, 2], threshold: 2, commitments: dealt.commitments }]);

function engineWith(crypto: RoundCrypto): { engine: BeaconEngine; store: BeaconStore; registry: Registry; clock: FakeClock } {
  const clock = new FakeClock(0);
  const registry = new Registry();
  return { ...soloEngine(genesis, { clock, crypto, metrics: createMetrics(registry) }), registry, clock };
}

const message1 = roundMessage(1n, previousOfFirstRound(genesis.seed));
const goodBeacon = (): Beacon => ({
  round: 1n,
  signature: recoverSignature([partialSign(dealt.secretShares[1]!, message1), partialSign(dealt.secretShares[2]!, message1)], 2),
  previousSignature: previousOfFirstRound(genesis.seed),
  group: 0,
  epoch: 0n,
});

describe("bad beacon memo", () => {
  it("verifies a repeated bad beacon once, forgets the oldest past the bound, and still accepts a good one", () => {
    let verifies = 0;
    const counting: RoundCrypto = { ...NOBLE_ROUND_CRYPTO, verify: (...args) => (verifies++, NOBLE_ROUND_CRYPTO.verify(...args)) };
    const { engine, store } = engineWith(counting);
    engine.start(groups, new Map());
    // A valid signature of another message: well-formed, so only the pairing check can reject it.
    const bad: Beacon = { ...goodBeacon(), signature: partialSign(dealt.secretShares[1]!, message1).signature };
    for (let i = 0; i < 50; i++) engine.onBeacon(1, bad);
    assert.equal(verifies, 1, "a repeated bad beacon was verified again");
    // Fill the memo with other bad beacons (cheap ones: malformed signatures fail before any pairing).
    for (let i = 0; i < BAD_BEACON_MEMO; i++) engine.onBeacon(1, { ...bad, signature: new Uint8Array([i & 255, i >> 8]) });
    const before = verifies;
    engine.onBeacon(1, bad);
    assert.equal(verifies, before + 1, "the memo holds more than BAD_BEACON_MEMO entries");
    engine.onBeacon(2, goodBeacon());
    assert.equal(store.latestRound, 1n);
    engine.stop();
  });
});

describe("failed recovery", () => {
  it("marks the partials the crypto core located, without verifying each partial again", async () => {
    const located: RoundCrypto = {
      ...NOBLE_ROUND_CRYPTO,
      // Says partial 2 is the bad one (whatever it holds): the engine must take that verdict as it is.
      recoverVerified: () => {
        throw new NotEnoughValidSharesError("only 1 of 2 partial signatures are valid, need 2 (invalid: 2)", [2]);
      },
    };
    const { engine, registry, clock } = engineWith(located);
    engine.start(groups, new Map([[0, dealt.secretShares[0]!]]));
    clock.advance(1);
    engine.onShare(1, { round: 1n, group: 0, index: 2, signature: partialSign(dealt.secretShares[1]!, message1).signature, epoch: 0n }, 100);
    const text = await registry.metrics();
    assert.equal(sample(text, NODE_METRICS.shares, { result: "invalid" }), 1, "the located partial was not marked invalid");
    // A retransmission of the same member's partial is now a duplicate, not another recovery attempt.
    engine.onShare(1, { round: 1n, group: 0, index: 2, signature: partialSign(dealt.secretShares[1]!, message1).signature, epoch: 0n }, 100);
    assert.equal(sample(await registry.metrics(), NODE_METRICS.shares, { result: "duplicate" }), 1);
    engine.stop();
  });
});
