// SPDX-License-Identifier: Apache-2.0
// DKG drivers in one process over an in-memory network (a manual clock that never needs to move: the DKG ends by
// fast sync). Deal shares travel sealed: no packet carries a plaintext share, and a share that does not open at
// its recipient ends exactly like an invalid share: the recipient complains, the dealer justifies publicly, the
// dealer stays qualified and every node registers the same group. Responses are relayed: one that reaches a
// single member still reaches all.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { pino } from "pino";
import { Registry } from "prom-client";
import { parseGenesis } from "../../src/config/index.js";
import { publicKeyOf, publicKeyShare } from "../../src/crypto/index.js";
import { DkgDriver, type DkgRegistration } from "../../src/dkg/driver.js";
import { openShare, SEALED_SHARE_BYTES, sealShare, type ShareSealContext } from "../../src/dkg/sealing.js";
import { DkgBody, DkgPacket, Envelope, type DkgDeal } from "../../src/gen/relaylab/v1/protocol.js";
import { generateIdentity, signWithIdentity } from "../../src/identity/index.js";
import { createMetrics, type Metrics } from "../../src/metrics/registry.js";
import { FakeClock } from "../../src/testing/fake-clock.js";

const N = 5;
/** The manual clock's start: a sealing-key generation is the driver's start in wall ms, and a test posing as a
 * member's earlier process needs an earlier one. */
const START_MS = 1_000;
const T = 3;
const EPOCH = 0n;
const GROUP = 0;
const MEMBERS = [0, 1, 2, 3, 4];
/** The faulty dealer and its victim (node indices; member index = node index + 1 here). */
const DEALER = 1;
const VICTIM = 3;

const identities = Array.from({ length: N }, () => generateIdentity());
const secrets = identities.map((id) => hexToBytes(id.secretKey));
/** Each node's sealing secret for the run, fixed so the test can open what it records (the drivers get copies). */
const sealSecrets = MEMBERS.map((node) => sha256(utf8ToBytes(`sealing key of node ${node}`)));
/** The X25519 secret of a dealer and a recipient, as both compute it from the run's sealing keys. */
const sealAgreement = (a: number, b: number): Uint8Array => x25519.getSharedSecret(sealSecrets[a]!, x25519.getPublicKey(sealSecrets[b]!));
const genesis = parseGenesis({
  version: 1,
  subnet: "dkg-sealing",
  seed: "cd".repeat(32),
  nodes: identities.map((id, index) => ({ index, address: `127.0.0.1:${7100 + index}`, identityKey: id.publicKey, dataCenter: "dc-a" })),
  groups: { count: 1, size: N, threshold: T },
  timings: { minRoundPeriodMs: 0, shareRetransmitMs: 100, stallTimeoutMs: 5000, dkgTimeoutMs: 60_000 },
});

/** Rewrites an envelope on its way from `from` to `to` (a faulty dealer, re-signing what it sends). */
type Tamper = (from: number, to: number, envelope: Envelope) => Envelope;

interface Delivered {
  from: number;
  to: number;
  body: DkgBody;
  bytes: Uint8Array;
}

interface Run {
  registrations: DkgRegistration[];
  delivered: Delivered[];
  metrics: Metrics[];
  logs: string[];
  /** Manual clock time when every node had registered (0: no phase timed out). */
  elapsedMs: number;
  /** The sealing secret keys the drivers were given, as they left them. */
  sealingSecretsAfter: Uint8Array[];
}

function sealContext(deal: DkgDeal): ShareSealContext {
  const [dealerNode, recipientNode] = [MEMBERS[deal.from - 1]!, MEMBERS[deal.to - 1]!];
  return { subnet: genesis.subnet, epoch: EPOCH, group: GROUP, dealerNode, recipientNode, from: deal.from, to: deal.to, commitments: deal.commitments };
}

/** The plaintext of a deal's share, opened with the recipient's key as the test knows it. */
function plaintextOf(deal: DkgDeal): Uint8Array {
  const context = sealContext(deal);
  return openShare(sealAgreement(context.recipientNode, context.dealerNode), context, deal.sealedShare);
}

/** Runs one DKG among all nodes until every driver has registered (or the step budget runs out). */
async function run(tamper: Tamper = (_f, _t, e) => e): Promise<Run> {
  const clock = new FakeClock(START_MS);
  const queue: { from: number; to: number; envelope: Envelope }[] = [];
  const delivered: Delivered[] = [];
  const logs: string[] = [];
  const metrics = MEMBERS.map(() => createMetrics(new Registry()));
  const given: Uint8Array[] = [];
  const drivers = MEMBERS.map(
    (self) =>
      new DkgDriver({
        self,
        genesis,
        identitySecret: secrets[self]!,
        epoch: EPOCH,
        candidates: [MEMBERS],
        send: (to, envelope) => queue.push({ from: self, to, envelope }),
        clock,
        log: pino({ level: "debug" }, { write: (line: string) => logs.push(line) }),
        metrics: metrics[self] ?? null,
        sealingSecret: () => {
          const copy = Uint8Array.from(sealSecrets[self]!);
          given.push(copy);
          return copy;
        },
      }),
  );
  const registrations: (DkgRegistration | undefined)[] = MEMBERS.map(() => undefined);
  drivers.forEach((d, i) => void d.registration.then((r) => (registrations[i] = r)));
  drivers.forEach((d) => d.start());
  // Generous budget; a healthy run needs a few hundred deliveries and no clock movement at all.
  for (let step = 0; registrations.some((r) => r === undefined); step++) {
    assert.ok(step < 100_000, "the DKG did not finish");
    const next = queue.shift();
    if (next === undefined) {
      await new Promise((r) => setImmediate(r));
      if (queue.length === 0 && registrations.some((r) => r === undefined)) clock.advance(genesis.timings.shareRetransmitMs);
      continue;
    }
    const envelope = tamper(next.from, next.to, next.envelope);
    if (envelope.dkg === undefined) continue;
    delivered.push({ from: next.from, to: next.to, body: DkgBody.decode(envelope.dkg.body), bytes: DkgPacket.encode(envelope.dkg).finish() });
    drivers[next.to]!.receive(envelope.dkg);
  }
  drivers.forEach((d) => d.stop());
  return { registrations: registrations as DkgRegistration[], delivered, metrics, logs, elapsedMs: clock.now() - START_MS, sealingSecretsAfter: given };
}

/** A faulty dealer: rewrites the share of its first deal to the victim, re-signs, and answers complaints honestly. */
function corruptFirstDeal(rewrite: (deal: DkgDeal) => Uint8Array): Tamper {
  let first: Envelope | undefined;
  return (from, to, envelope) => {
    if (from !== DEALER || to !== VICTIM || envelope.dkg === undefined) return envelope;
    const body = DkgBody.decode(envelope.dkg.body);
    if (body.deal === undefined || (first !== undefined && first !== envelope)) return envelope; // re-sent deals stay intact
    first = envelope;
    const bytes = DkgBody.encode({ ...body, deal: { ...body.deal, sealedShare: rewrite(body.deal) } }).finish();
    return { dkg: { body: bytes, signature: signWithIdentity(secrets[DEALER]!, `dkg/${genesis.subnet}`, bytes) } };
  };
}

/** What the network saw of complaints, justifications and outcomes (the part "handled like an invalid share" fixes). */
function summary(r: Run): unknown {
  const bodies = r.delivered.map((d) => d.body);
  const complaints = new Map(bodies.flatMap((b) => (b.response ? [[b.sender, b.response.complaints] as const] : [])));
  // Every member sends a justification (it carries its view); only those with shares answer complaints.
  const justifications = new Map(bodies.flatMap((b) => (b.justification && b.justification.shares.length > 0 ? [[b.sender, b.justification.shares.map((s) => s.to)] as const] : [])));
  const qualified = new Map(bodies.flatMap((b) => (b.outcome ? [[b.sender, b.outcome.qualified.join(",")] as const] : [])));
  return {
    complaints: [...complaints].filter(([, c]) => c.length > 0),
    justifications: [...justifications],
    qualified: [...qualified].sort(([a], [b]) => a - b),
    registered: r.registrations.map((reg) => reg.groups.map((g) => g.members)),
    shareHolders: MEMBERS.filter((node) => r.registrations[node]?.shares.has(0) === true),
  };
}

async function droppedMalformed(m: Metrics): Promise<number> {
  return (await m.messagesDropped.get()).values.find((v) => v.labels.reason === "malformed")?.value ?? 0;
}

/** Every node registered the same group key, and every share held matches its public key share. */
function assertSameGroup(r: Run): void {
  const keys = new Set(r.registrations.map((reg) => bytesToHex(reg.groups[0]?.commitments[0] ?? new Uint8Array())));
  assert.equal(keys.size, 1, "nodes registered different group keys");
  r.registrations.forEach((reg, node) => {
    const share = reg.shares.get(0);
    if (share === undefined) return;
    assert.deepEqual(publicKeyOf(share.secret), publicKeyShare(reg.groups[0]!.commitments, share.index), `node ${node}'s share does not match`);
  });
}

/** No log line carries a plaintext share or a pairwise secret. */
function assertNoSecretsLogged(r: Run): void {
  const opens = (deal: DkgDeal): boolean => {
    try {
      plaintextOf(deal);
      return true;
    } catch {
      return false; // the tampered share
    }
  };
  const secretsHex = r.delivered.flatMap((d) => (d.body.deal && opens(d.body.deal) ? [bytesToHex(plaintextOf(d.body.deal))] : []));
  for (const a of MEMBERS) for (const b of MEMBERS) if (a < b) secretsHex.push(bytesToHex(sealAgreement(a, b)));
  for (const secret of sealSecrets) secretsHex.push(bytesToHex(secret));
  const text = r.logs.join("");
  for (const hex of secretsHex) assert.ok(!text.includes(hex), "a secret appears in the logs");
}

describe("DKG deals are sealed to their recipient", () => {
  it("no serialized DkgPacket with a deal contains the plaintext share; honest runs have no complaints", async () => {
    const r = await run();
    const deals = r.delivered.filter((d) => d.body.deal !== undefined);
    assert.equal(deals.length, N * (N - 1));
    for (const { body, bytes } of deals) {
      const deal = body.deal!;
      assert.equal(deal.sealedShare.length, SEALED_SHARE_BYTES);
      const share = plaintextOf(deal);
      assert.equal(share.length, 32);
      assert.ok(!bytesToHex(bytes).includes(bytesToHex(share)), `deal ${deal.from}→${deal.to} carries its share in the clear`);
    }
    const all = MEMBERS.map((node) => [node, "1,2,3,4,5"]);
    assert.deepEqual(summary(r), { complaints: [], justifications: [], qualified: all, registered: MEMBERS.map(() => [MEMBERS]), shareHolders: MEMBERS });
    assertSameGroup(r);
    assertNoSecretsLogged(r);
  });

  it("forward secrecy: the run's sealing keys are erased when it ends, and identity keys open no recorded deal", async () => {
    const r = await run();
    assert.equal(r.sealingSecretsAfter.length, N);
    for (const secret of r.sealingSecretsAfter) assert.ok(secret.every((b) => b === 0), "a driver kept its sealing secret key after the run");
    // An attacker who later takes every identity key tries the identity keys as X25519 keys (their Montgomery
    // forms, as a static-static scheme would use them): no recorded deal opens.
    const identityDh = (a: number, b: number) => x25519.getSharedSecret(ed25519.utils.toMontgomerySecret(secrets[a]!), ed25519.utils.toMontgomery(hexToBytes(identities[b]!.publicKey)));
    const deals = r.delivered.flatMap((d) => (d.body.deal ? [d.body.deal] : []));
    assert.ok(deals.length >= N * (N - 1));
    for (const deal of deals) {
      const context = sealContext(deal);
      assert.throws(() => openShare(identityDh(context.recipientNode, context.dealerNode), context, deal.sealedShare), /does not open/);
    }
    // The control: with the erased run keys (which the test kept), every deal opens.
    for (const deal of deals) assert.equal(plaintextOf(deal).length, 32);
  });

  it("a deal sealed to a key the recipient no longer holds is set aside, and the one re-sealed to its new key counts", async () => {
    // The victim's earlier process (before a restart) announced another key: every dealer first sees that one,
    // with an earlier generation, and seals to it; then the victim's own announcement replaces it.
    const earlier = sha256(utf8ToBytes("the victim's key before its restart"));
    const replaced = new Set<number>();
    const r = await run((from, to, envelope) => {
      if (from !== VICTIM || envelope.dkg === undefined || replaced.has(to)) return envelope;
      const body = DkgBody.decode(envelope.dkg.body);
      if (body.sealingKey === undefined) return envelope;
      replaced.add(to);
      const bytes = DkgBody.encode({ ...body, sealingKey: { publicKey: x25519.getPublicKey(earlier), generation: BigInt(START_MS - 500) } }).finish();
      return { dkg: { body: bytes, signature: signWithIdentity(secrets[VICTIM]!, `dkg/${genesis.subnet}`, bytes) } };
    });
    const toVictim = r.delivered.filter((d) => d.to === VICTIM && d.body.deal !== undefined).map((d) => d.body.deal!);
    assert.ok(toVictim.some((d) => bytesToHex(d.recipientKey) === bytesToHex(x25519.getPublicKey(earlier))), "no deal was sealed to the earlier key: the test did not set the scene");
    assert.deepEqual(summary(r), { complaints: [], justifications: [], qualified: MEMBERS.map((node) => [node, "1,2,3,4,5"]), registered: MEMBERS.map(() => [MEMBERS]), shareHolders: MEMBERS });
    assertSameGroup(r);
  });

  it("a sealed share that does not open ends like an invalid share: complaint, justification, same group", async () => {
    const flipped = await run(
      corruptFirstDeal((deal) => {
        const bytes = Uint8Array.from(deal.sealedShare);
        bytes[20] = (bytes[20] ?? 0) ^ 0x80;
        return bytes;
      }),
    );
    // Today's invalid share, for comparison: a wrong scalar, correctly sealed to the victim.
    const invalid = await run(
      corruptFirstDeal((deal) => {
        const wrong = plaintextOf(deal);
        wrong[31] = (wrong[31] ?? 0) ^ 0x01;
        return sealShare(sealAgreement(DEALER, VICTIM), sealContext(deal), wrong);
      }),
    );
    // Every member, the dealer included, qualifies the dealer after its justification; the group registers
    // everywhere and every member holds a share.
    const expected = {
      complaints: [[VICTIM, [DEALER + 1]]],
      justifications: [[DEALER, [VICTIM + 1]]],
      qualified: MEMBERS.map((node) => [node, "1,2,3,4,5"]),
      registered: MEMBERS.map(() => [MEMBERS]),
      shareHolders: MEMBERS,
    };
    assert.deepEqual(summary(flipped), expected);
    assert.deepEqual(summary(invalid), expected);
    for (const r of [flipped, invalid]) {
      assertSameGroup(r);
      assertNoSecretsLogged(r);
    }
    assert.equal(await droppedMalformed(flipped.metrics[VICTIM]!), 1, "the unopened share is counted once at the victim");
    assert.equal(await droppedMalformed(invalid.metrics[VICTIM]!), 0);
    const unopened = flipped.logs.filter((l) => l.includes('"event":"dkg_share_not_opened"'));
    assert.equal(unopened.length, 1);
    assert.match(unopened[0]!, /"reason":"unauthenticated"/);
    assert.match(unopened[0]!, new RegExp(`"peer":${DEALER}`));
  });

  it("a response sent to one member only reaches the others by relay, before any phase times out", async () => {
    const SENDER = 0;
    const ONLY = 1;
    const r = await run((from, to, envelope) => {
      const body = envelope.dkg === undefined ? undefined : DkgBody.decode(envelope.dkg.body);
      return from === SENDER && to !== ONLY && body?.response !== undefined ? {} : envelope;
    });
    const relayedTo = new Set(r.delivered.filter((d) => d.body.sender === SENDER && d.from !== SENDER && d.body.response !== undefined).map((d) => d.to));
    assert.deepEqual([...relayedTo].sort(), [1, 2, 3, 4]);
    assert.equal(r.elapsedMs, 0);
    assert.deepEqual(summary(r), { complaints: [], justifications: [], qualified: MEMBERS.map((node) => [node, "1,2,3,4,5"]), registered: MEMBERS.map(() => [MEMBERS]), shareHolders: MEMBERS });
    assertSameGroup(r);
  });
});
