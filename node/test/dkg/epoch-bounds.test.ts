// SPDX-License-Identifier: Apache-2.0
// DKG memory stays bounded and outcomes outlive their driver: EpochManagers in one process over an in-memory
// network (manual clock). An old epoch's driver is dropped once the next epoch signs; own outcomes are persisted
// so a restarted node still answers a late node's outcome request; packets for a DKG not started yet are
// buffered only when signed, once each, and capped per sender; a byzantine member's flood is capped per sender.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { hexToBytes } from "@noble/hashes/utils.js";
import { Registry } from "prom-client";
import { parseGenesis } from "../../src/config/index.js";
import { DkgDriver } from "../../src/dkg/driver.js";
import { maxPacketsPerSender } from "../../src/dkg/driver.js";
import { DkgBody, type DkgPacket } from "../../src/gen/relaylab/v1/protocol.js";
import { generateIdentity, signWithIdentity, verifyIdentitySignature } from "../../src/identity/index.js";
import { silentLogger } from "../../src/log.js";
import { NODE_METRICS } from "../../src/metrics/names.js";
import { createMetrics } from "../../src/metrics/registry.js";
import { FakeClock } from "../../src/testing/fake-clock.js";
import { sample } from "../harness/metrics.js";
import { epochNetwork, type EpochNet } from "./epoch-net.js";

const N = 3;
const LENGTH = 5;
const identities = Array.from({ length: N }, () => generateIdentity());
const secrets = identities.map((id) => hexToBytes(id.secretKey));
const genesis = parseGenesis({
  version: 1,
  subnet: "dkg-bounds",
  seed: "ab".repeat(32),
  nodes: identities.map((id, index) => ({ index, address: `127.0.0.1:${7200 + index}`, identityKey: id.publicKey, dataCenter: "dc-a" })),
  groups: { count: 1, size: N, threshold: 2 },
  timings: { minRoundPeriodMs: 0, shareRetransmitMs: 100, stallTimeoutMs: 5000, dkgTimeoutMs: 60_000 },
  epochLength: LENGTH,
});
const DOMAIN = `dkg/${genesis.subnet}`;
const root = mkdtempSync(join(tmpdir(), "relaylab-epoch-bounds-"));
after(() => rmSync(root, { recursive: true, force: true }));

const signed = (sender: number, body: Omit<DkgBody, "sender" | "attempt">): DkgPacket => {
  const bytes = DkgBody.encode({ ...body, attempt: 0, sender }).finish();
  return { body: bytes, signature: signWithIdentity(secrets[sender]!, DOMAIN, bytes) };
};
const randomness = (round: number): Uint8Array => new Uint8Array(48).fill(round);

const network = (dirs: readonly string[]): EpochNet => epochNetwork({ genesis, secrets, dirs });

describe("epoch DKG bounds", () => {
  const dirs = Array.from({ length: N }, (_, i) => join(root, `node-${i}`));
  const net = network(dirs);
  after(() => net.managers.forEach((m) => m.stop()));

  it("drops an epoch's driver once the next epoch is registered and its first round is past", async () => {
    net.managers.forEach((m) => m.start(() => undefined, 0n));
    await net.pumpUntil("epoch 0 registered", () => net.managers.every((m) => m.groupsOf(0n) !== undefined));
    net.managers.forEach((m) => m.onBeacon(1n, randomness(1)));
    await net.pumpUntil("epoch 1 registered", () => net.managers.every((m) => m.groupsOf(1n) !== undefined));
    for (const m of net.managers) assert.deepEqual(m.activeEpochs(), [0n, 1n]);
    // Round 5 is still epoch 0's: its driver stays (late peers may still ask it).
    net.managers.forEach((m) => m.onBeacon(5n, randomness(5)));
    for (const m of net.managers) assert.deepEqual(m.activeEpochs(), [0n, 1n]);
    // Round 6 is epoch 1's first: epoch 0's driver goes, and epoch 2's DKG starts.
    net.managers.forEach((m) => m.onBeacon(6n, randomness(6)));
    for (const m of net.managers) assert.deepEqual(m.activeEpochs(), [1n, 2n]);
  });

  it("a restarted node answers an outcome request for a past epoch from its data dir", () => {
    net.managers[0]?.stop();
    const restarted = network([dirs[0]!, join(root, "unused-1"), join(root, "unused-2")]);
    const node0 = restarted.managers[0]!;
    assert.ok(node0.groupsOf(0n), "epoch 0's groups were not loaded");
    assert.deepEqual(node0.activeEpochs(), []);
    node0.receive(signed(1, { epoch: 0n, group: 0, outcomeRequest: {} }));
    const answer = restarted.sent.find((s) => s.from === 0 && s.to === 1);
    assert.ok(answer?.envelope.dkg, "no answer to the outcome request");
    const body = DkgBody.decode(answer.envelope.dkg.body);
    assert.equal(body.epoch, 0n);
    assert.equal(body.sender, 0);
    assert.ok(body.outcome && !body.outcome.failed && body.outcome.commitments.length === 2);
    assert.ok(verifyIdentitySignature(hexToBytes(identities[0]!.publicKey), DOMAIN, answer.envelope.dkg.body, answer.envelope.dkg.signature));
    // A forged request (wrong signature) gets nothing.
    const before = restarted.sent.length;
    node0.receive({ ...signed(1, { epoch: 0n, group: 0, outcomeRequest: {} }), signature: new Uint8Array(64) });
    assert.equal(restarted.sent.length, before);
    restarted.managers.forEach((m) => m.stop());
  });
});

describe("packets for a DKG not started yet", () => {
  it("are buffered only when signed, once each, and at most maxPacketsPerSender from one sender", async () => {
    const net = network(Array.from({ length: N }, (_, i) => join(root, `buffer-${i}`)));
    const node0 = net.managers[0]!;
    // Nothing started: the newest known epoch is -1, so epochs 0 and 1 may be buffered.
    const junk = (i: number): DkgPacket => signed(2, { epoch: 0n, group: 0, outcome: { qualified: [i], commitments: [], failed: false } });
    const cap = maxPacketsPerSender(genesis.groups.count);
    for (let i = 0; i < cap * 4; i++) node0.receive(junk(i));
    assert.equal(node0.bufferedPackets, cap);
    node0.receive(junk(0));
    assert.equal(node0.bufferedPackets, cap, "a duplicate was buffered twice");
    node0.receive({ ...junk(cap * 10), signature: new Uint8Array(64) });
    const honest = signed(1, { epoch: 0n, group: 0, outcomeRequest: {} });
    node0.receive(honest);
    assert.equal(node0.bufferedPackets, cap + 1, "the honest sender's packet was crowded out");
    const text = await net.registries[0]!.metrics();
    assert.equal(sample(text, NODE_METRICS.messagesDropped, { reason: "over_quota" }), cap * 3);
    assert.equal(sample(text, NODE_METRICS.messagesDropped, { reason: "bad_signature" }), 1);
    net.managers.forEach((m) => m.stop());
  });
});

describe("a running DKG", () => {
  it("processes a bounded number of distinct packets per sender and drops the rest as over_quota", async () => {
    const clock = new FakeClock(0);
    const registry = new Registry();
    const driver = new DkgDriver({
      self: 0,
      genesis,
      identitySecret: secrets[0]!,
      epoch: 0n,
      candidates: [[0, 1, 2]],
      send: () => undefined,
      clock,
      log: silentLogger(),
      metrics: createMetrics(registry),
    });
    driver.start();
    const flood = 500;
    // Well-formed, signed by a member, each one distinct: a byzantine member's cheapest flood.
    for (let i = 0; i < flood; i++) driver.receive(signed(2, { epoch: 0n, group: 0, outcome: { qualified: [i], commitments: [], failed: false } }));
    const dropped = sample(await registry.metrics(), NODE_METRICS.messagesDropped, { reason: "over_quota" });
    const processed = flood - dropped;
    assert.ok(processed > 0 && processed <= maxPacketsPerSender(1), `${processed} distinct packets from one sender were processed`);
    driver.stop();
  });
});
