// SPDX-License-Identifier: Apache-2.0
/**
 * Fuzz targets (fast-check), shared by `npm test` (fixed seed, few cases) and `npm run bench:fuzz` (many).
 *
 * Wire decoders get adversarial bytes: random, mutated valid encodings, truncations and huge length
 * prefixes. A decoder may refuse input only with an Error; anything else (a non-Error throw, a stack
 * overflow, an error escaping the transport's envelope path) is a crash. The DKG and beacon state
 * machines get random delivery orders, duplicates and garbage from one byzantine member; the invariant
 * is that nothing throws and honest state never holds an invalid share or beacon.
 */
import fc from "fast-check";
import { hexToBytes } from "@noble/hashes/utils.js";
import { pino } from "pino";
import type * as grpc from "@grpc/grpc-js";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GroupSet } from "../../src/beacon/group-set.js";
import { previousOfFirstRound, roundMessage, verifyBeacon } from "../../src/beacon/chain.js";
import { parseGenesis, type Genesis } from "../../src/config/index.js";
import { dealShares, partialSign, publicKeyOf, publicKeyShare, recoverSignature, type SecretShare } from "../../src/crypto/index.js";
import { DkgDriver, type DkgRegistration } from "../../src/dkg/driver.js";
import { EpochManager } from "../../src/dkg/epochs.js";
import { fromBody } from "../../src/dkg/wire.js";
import { FaultController } from "../../src/faults/controller.js";
import { DkgBody, DkgPacket, Envelope, Hello, Share, SyncRequest } from "../../src/gen/relaylab/v1/protocol.js";
import { Beacon, SubmitMessageRequest } from "../../src/gen/relaylab/v1/public.js";
import { generateIdentity, signWithIdentity } from "../../src/identity/index.js";
import { silentLogger } from "../../src/log.js";
import { MAX_ENVELOPE_BYTES } from "../../src/net/framing.js";
import { dispatchEnvelopes } from "../../src/net/dispatch.js";
import { envelopeKind } from "../../src/net/envelope.js";
import { challengeOf } from "../../src/net/hello.js";
import { Transport } from "../../src/net/transport.js";
import { FakeClock } from "../../src/testing/fake-clock.js";
import { soloEngine } from "../harness/solo-engine.js";

/** What one target found. */
export interface TargetResult {
  readonly name: string;
  readonly cases: number;
  readonly crashes: number;
  readonly invariantViolations: number;
  /** The (shrunk) failing input and error, when there was one. */
  readonly failure?: string;
  /** How often the cases reached the interesting part (accepted beacons, registered shares, …): 0 means vacuous. */
  readonly reached: number;
}

export interface FuzzTarget {
  readonly name: string;
  /** Cases `npm test` runs (each target's cost differs: a DKG case costs ~100 ms, a decoder case microseconds). */
  readonly testRuns: number;
  run(seed: number, numRuns: number): Promise<TargetResult>;
}

/** A thrown value that means the system under test crashed (as opposed to a property found false). */
class Crash extends Error {}
/** An invariant of honest state was broken. */
class Violation extends Error {}

/** `body` returns how many times its case reached the interesting part. */
async function check<T>(name: string, arb: fc.Arbitrary<T>, body: (input: T) => number | Promise<number>, seed: number, numRuns: number): Promise<TargetResult> {
  let kind: "crash" | "violation" | undefined;
  let reached = 0;
  const details = await fc.check(
    fc.asyncProperty(arb, async (input) => {
      try {
        reached += await body(input);
      } catch (err) {
        kind = err instanceof Violation ? "violation" : "crash";
        throw err;
      }
    }),
    { seed, numRuns },
  );
  if (!details.failed) return { name, cases: details.numRuns, crashes: 0, invariantViolations: 0, reached };
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  return {
    name,
    cases: details.numRuns,
    crashes: kind === "violation" ? 0 : 1,
    invariantViolations: kind === "violation" ? 1 : 0,
    failure: `${error}; counterexample ${fc.stringify(details.counterexample).slice(0, 400)}`,
    reached,
  };
}

/** Decoding `bytes` either returns or throws an Error; anything else is a crash. */
function decodeCleanly<T>(decode: (b: Uint8Array) => T, bytes: Uint8Array): T | undefined {
  try {
    return decode(bytes);
  } catch (err) {
    if (!(err instanceof Error) || err instanceof RangeError && /call stack/.test(err.message)) throw new Crash(`decoder threw ${String(err)}`);
    return undefined;
  }
}

// ---- adversarial bytes -------------------------------------------------------------------------------------

const validEncodings: Uint8Array[] = [
  Envelope.encode({ share: { round: 7n, group: 1, index: 2, signature: new Uint8Array(48).fill(3), epoch: 0n } }).finish(),
  Envelope.encode({ beacon: { round: 9n, signature: new Uint8Array(48).fill(1), previousSignature: new Uint8Array(48).fill(2), group: 0, epoch: 1n } }).finish(),
  Envelope.encode({ dkg: { body: DkgBody.encode({ epoch: 1n, group: 0, sender: 2, attempt: 0, deal: { from: 1, to: 2, commitments: [new Uint8Array(96)], sealedShare: new Uint8Array(80), digestSignature: new Uint8Array(64), recipientKey: new Uint8Array(32), dealerKey: new Uint8Array(32) } }).finish(), signature: new Uint8Array(64) } }).finish(),
  DkgBody.encode({ epoch: 0n, group: 3, sender: 1, attempt: 0, sealingKey: { publicKey: new Uint8Array(32).fill(9), generation: 1765000000000n } }).finish(),
  DkgBody.encode({ epoch: 0n, group: 3, sender: 1, attempt: 0, response: { from: 2, commitmentDigests: [], complaints: [3] } }).finish(),
  DkgBody.encode({ epoch: 0n, group: 3, sender: 1, attempt: 0, outcome: { qualified: [1, 2, 3], commitments: [new Uint8Array(96)], failed: false } }).finish(),
  Hello.encode({ from: 1, to: 0, timeMs: 123n, signature: new Uint8Array(64), challenge: new Uint8Array(16) }).finish(),
  SyncRequest.encode({ fromRound: 5n, requester: 1 }).finish(),
  Envelope.encode({ ingress: { payload: new Uint8Array(), payloads: [new Uint8Array(100)] } }).finish(),
];

/** Random bytes, mutated or truncated valid encodings, and length prefixes claiming far more than is there. */
export const adversarialBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc
    .record({ base: fc.constantFrom(...validEncodings), flips: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }) })
    .map(({ base, flips }) => {
      const out = Uint8Array.from(base);
      for (const f of flips) out[f.at % out.length] = f.value;
      return out;
    }),
  fc.record({ base: fc.constantFrom(...validEncodings), cut: fc.nat() }).map(({ base, cut }) => base.subarray(0, cut % base.length)),
  // Field 1..15, wire type 2 (length-delimited), then a varint length near 2^32 or 2^63.
  fc.record({ field: fc.integer({ min: 1, max: 15 }), big: fc.constantFrom([0xff, 0xff, 0xff, 0xff, 0x0f], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), tail: fc.uint8Array({ maxLength: 16 }) }).map(
    ({ field, big, tail }) => Uint8Array.from([(field << 3) | 2, ...big, ...tail]),
  ),
  // Deeply nested length-delimited groups.
  fc.integer({ min: 1, max: 2000 }).map((depth) => Uint8Array.from(Array.from({ length: depth }, () => [0x0a, 0x7f]).flat())),
);

// ---- decoders ----------------------------------------------------------------------------------------------

const decoders: [string, (b: Uint8Array) => unknown][] = [
  ["Envelope", (b) => Envelope.decode(b)],
  ["DkgBody", (b) => DkgBody.decode(b)],
  ["DkgPacket", (b) => DkgPacket.decode(b)],
  ["Hello", (b) => Hello.decode(b)],
  ["Share", (b) => Share.decode(b)],
  ["SyncRequest", (b) => SyncRequest.decode(b)],
  ["Beacon", (b) => Beacon.decode(b)],
  ["SubmitMessageRequest", (b) => SubmitMessageRequest.decode(b)],
];

const decoderTarget: FuzzTarget = {
  name: "decoders",
  testRuns: 300,
  run: (seed, numRuns) =>
    check("decoders", adversarialBytes, (bytes) => {
      let decoded = 0;
      for (const [, decode] of decoders) if (decodeCleanly(decode, bytes) !== undefined) decoded++;
      // What the node does with a decoded envelope or DKG body before any crypto: classify, unwrap, convert.
      const envelope = decodeCleanly((b) => Envelope.decode(b), bytes);
      if (envelope !== undefined) envelopeKind(envelope);
      const body = decodeCleanly((b) => DkgBody.decode(b), bytes);
      if (body !== undefined) fromBody(body, (deal) => deal.sealedShare);
      return decoded;
    }, seed, numRuns),
};

// ---- the transport's envelope path -------------------------------------------------------------------------

const ids = Array.from({ length: 3 }, () => generateIdentity());
const genesis3 = (subnet: string, timings: Partial<Genesis["timings"]> = {}): Genesis =>
  parseGenesis({
    version: 1,
    subnet,
    seed: "5a".repeat(32),
    nodes: ids.map((id, index) => ({ index, address: `127.0.0.1:${7300 + index}`, identityKey: id.publicKey, dataCenter: "dc-a" })),
    groups: { count: 1, size: 3, threshold: 2 },
    timings: { minRoundPeriodMs: 0, shareRetransmitMs: 100, stallTimeoutMs: 5000, dkgTimeoutMs: 3000, ...timings },
  });

/** A fake inbound Exchange call: the test pushes raw chunks as 'data' events. */
class InboundCall extends EventEmitter {
  readonly metadata = undefined;
  /** The challenge the transport sent in its response headers. */
  challenge: Uint8Array = new Uint8Array();
  sendMetadata(headers: grpc.Metadata): void {
    this.challenge = challengeOf(headers);
  }
}

const transportTarget: FuzzTarget = {
  name: "transport",
  testRuns: 100,
  run: (seed, numRuns) => {
    const genesis = genesis3("fuzz-transport");
    const clock = new FakeClock(0);
    const logs: string[] = [];
    const log = pino({ level: "debug" }, { write: (line: string) => logs.push(line) });
    const faults = new FaultController(() => "dc-a", clock, silentLogger(), null);
    const transport = new Transport({ self: 0, genesis, identitySecret: hexToBytes(ids[0]!.secretKey), clock, faults, log, metrics: null });
    let exchange: ((call: unknown, callback: (err: unknown, value?: unknown) => void) => void) | undefined;
    transport.register({ addService: (_def: unknown, impl: { exchange: typeof exchange }) => (exchange = impl.exchange) } as unknown as grpc.Server, { syncChain: () => undefined });
    // The node's dispatcher (net/dispatch.ts) into a real epoch manager and beacon engine; consensus envelopes are only classified.
    const dataDir = mkdtempSync(join(tmpdir(), "relaylab-fuzz-"));
    const epochs = new EpochManager({ self: 0, genesis, identitySecret: hexToBytes(ids[0]!.secretKey), dataDir, send: () => undefined, clock, log, metrics: null, onRegistered: () => undefined });
    rmSync(dataDir, { recursive: true, force: true });
    const dealt = dealShares(2, 3);
    const { engine } = soloEngine(genesis, { clock, log });
    engine.start(new GroupSet(0n, 1n, [{ index: 0, candidate: 0, members: [0, 1, 2], threshold: 2, commitments: dealt.commitments }]), new Map([[0, dealt.secretShares[0]!]]));
    let delivered = 0;
    const dispatch = dispatchEnvelopes({ beacon: engine, dkg: epochs, consensus: { onEnvelope: (_from, envelope) => envelopeKind(envelope) !== "sync" }, metrics: null });
    transport.onEnvelope((from, envelope, wire) => {
      delivered++;
      dispatch(from, envelope, wire);
    });
    const hello = (challenge: Uint8Array): Uint8Array => {
      const unsigned: Hello = { from: 1, to: 0, timeMs: BigInt(clock.wallNow()), signature: new Uint8Array(), challenge };
      return Envelope.encode({ hello: { ...unsigned, signature: signWithIdentity(hexToBytes(ids[1]!.secretKey), `hello/${genesis.subnet}`, Hello.encode(unsigned).finish()) } }).finish();
    };
    const chunk = fc.oneof({ weight: 8, arbitrary: adversarialBytes }, { weight: 1, arbitrary: fc.constant(new Uint8Array(MAX_ENVELOPE_BYTES + 1)) });
    return check("transport", fc.record({ greet: fc.boolean(), chunks: fc.array(chunk, { maxLength: 20 }) }), ({ greet, chunks }) => {
      if (exchange === undefined) throw new Crash("no exchange handler registered");
      logs.length = 0;
      delivered = 0;
      const call = new InboundCall();
      exchange(call, () => undefined);
      if (greet) call.emit("data", Buffer.from(hello(call.challenge)));
      for (const c of chunks) call.emit("data", Buffer.from(c));
      call.emit("end");
      const escaped = logs.find((l) => l.includes('"event":"handler_error"'));
      if (escaped !== undefined) throw new Crash(`an error escaped the envelope handler: ${escaped.slice(0, 300)}`);
      return delivered;
    }, seed, numRuns);
  },
};

// ---- DKG state machine -------------------------------------------------------------------------------------

const BYZANTINE = 2;
const dkgMutation = fc.oneof(
  fc.constant({ op: "keep" as const }),
  fc.constant({ op: "drop" as const }),
  fc.constant({ op: "duplicate" as const }),
  fc.record({ op: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant("garbage" as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
);

const dkgTarget: FuzzTarget = {
  name: "dkg",
  testRuns: 4,
  run: (seed, numRuns) => {
    const genesis = genesis3("fuzz-dkg");
    const domain = `dkg/${genesis.subnet}`;
    const arb = fc.record({ mutations: fc.array(dkgMutation, { minLength: 1, maxLength: 60 }), order: fc.array(fc.nat(), { minLength: 50, maxLength: 300 }) });
    return check("dkg", arb, async ({ mutations, order }) => {
      const clock = new FakeClock(0);
      const queue: { to: number; packet: DkgPacket }[] = [];
      let byzantineSent = 0;
      const drivers = [0, 1, 2].map(
        (self) =>
          new DkgDriver({
            self,
            genesis,
            identitySecret: hexToBytes(ids[self]!.secretKey),
            epoch: 0n,
            candidates: [[0, 1, 2]],
            send: (to, envelope) => {
              const packet = envelope.dkg;
              if (packet === undefined) return;
              if (self !== BYZANTINE) return void queue.push({ to, packet });
              // The byzantine member signs whatever it sends: mutations pass the identity check and reach the DKG.
              const m = mutations[byzantineSent++ % mutations.length]!;
              const resign = (body: Uint8Array): DkgPacket => ({ body, signature: signWithIdentity(hexToBytes(ids[BYZANTINE]!.secretKey), domain, body) });
              if (m.op === "keep") queue.push({ to, packet });
              else if (m.op === "duplicate") queue.push({ to, packet }, { to, packet });
              else if (m.op === "flip") {
                const body = Uint8Array.from(packet.body);
                if (body.length > 0) body[m.at % body.length] = m.value;
                queue.push({ to, packet: resign(body) });
              } else if (m.op === "garbage") queue.push({ to, packet: resign(m.bytes) }, { to, packet: { body: m.bytes, signature: m.bytes } });
            },
            clock,
            log: silentLogger(),
            metrics: null,
          }),
      );
      const registrations: (DkgRegistration | undefined)[] = [undefined, undefined, undefined];
      const idle = (): boolean => queue.length === 0;
      drivers.forEach((d, i) => void d.registration.then((r) => (registrations[i] = r)));
      try {
        drivers.forEach((d) => d.start());
        for (let step = 0; registrations[0] === undefined || registrations[1] === undefined; step++) {
          if (step > 20_000) throw new Violation("the honest members never registered (not even by timeout)");
          if (queue.length === 0) {
            await new Promise((r) => setImmediate(r));
            // Still nothing in flight after the registration callbacks ran: let time pass (retransmits, timeouts).
            if (idle()) clock.advance(genesis.timings.shareRetransmitMs);
            continue;
          }
          const [next] = queue.splice((order[step % order.length] ?? 0) % queue.length, 1);
          if (next) drivers[next.to]?.receive(next.packet);
        }
      } catch (err) {
        if (err instanceof Violation) throw err;
        throw new Crash(`the DKG threw: ${(err as Error).message}`);
      } finally {
        drivers.forEach((d) => d.stop());
      }
      // Honest state: every share a member keeps matches the registered commitments, and honest members agree.
      const keys = new Set<string>();
      let kept = 0;
      for (const node of [0, 1]) {
        const reg = registrations[node]!;
        kept += reg.shares.size;
        for (const g of reg.groups) keys.add(Buffer.from(g.commitments[0] ?? []).toString("hex"));
        for (const [index, share] of reg.shares) {
          const group = reg.groups[index];
          if (group === undefined) throw new Violation(`node ${node} holds a share for unregistered group ${index}`);
          if (Buffer.compare(Buffer.from(publicKeyOf(share.secret)), Buffer.from(publicKeyShare(group.commitments, share.index))) !== 0) {
            throw new Violation(`node ${node} accepted a share that does not match the group's commitments`);
          }
        }
      }
      if (keys.size > 1) throw new Violation("honest members registered different group keys");
      return kept;
    }, seed, numRuns);
  },
};

// ---- beacon state machine ----------------------------------------------------------------------------------

type BeaconEvent =
  | { kind: "share"; from: number; roundDelta: number; sig: "valid" | "other_message" | "random" | "empty" | "other_index"; random: Uint8Array; index: number }
  | { kind: "beacon"; from: number; roundDelta: number; sig: "valid" | "random" | "wrong_previous"; random: Uint8Array }
  | { kind: "tick"; ms: number };

const beaconEvent: fc.Arbitrary<BeaconEvent> = fc.oneof(
  fc.record({
    kind: fc.constant("share" as const),
    from: fc.integer({ min: 1, max: 2 }),
    // Mostly the open round and the sender's own index, so cases get past the cheap checks to the crypto.
    roundDelta: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: -2, max: 2 })),
    sig: fc.constantFrom("valid" as const, "other_message" as const, "random" as const, "empty" as const, "other_index" as const),
    random: fc.uint8Array({ minLength: 0, maxLength: 96 }),
    /** 0 stands for the sender's own share index. */
    index: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: -1, max: 4 })),
  }),
  fc.record({
    kind: fc.constant("beacon" as const),
    from: fc.integer({ min: 1, max: 2 }),
    roundDelta: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: -1, max: 1 })),
    sig: fc.constantFrom("valid" as const, "random" as const, "wrong_previous" as const),
    random: fc.uint8Array({ minLength: 0, maxLength: 96 }),
  }),
  fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 300 }) }),
);

const beaconTarget: FuzzTarget = {
  name: "beacon",
  testRuns: 10,
  run: (seed, numRuns) => {
    const genesis = genesis3("fuzz-beacon");
    const dealt = dealShares(2, 3);
    const groups = new GroupSet(0n, 1n, [{ index: 0, candidate: 0, members: [0, 1, 2], threshold: 2, commitments: dealt.commitments }]);
    const shareOf = (node: number): SecretShare => dealt.secretShares[node]!;
    return check("beacon", fc.array(beaconEvent, { minLength: 1, maxLength: 40 }), (events) => {
      const clock = new FakeClock(0);
      const { engine, store } = soloEngine(genesis, { clock });
      const previousOf = (round: bigint): Uint8Array => (round <= 1n ? previousOfFirstRound(genesis.seed) : store.get(round - 1n)?.signature ?? new Uint8Array(48));
      try {
        engine.start(groups, new Map([[0, shareOf(0)]]));
        for (const e of events) {
          const round = store.latestRound + 1n + BigInt("roundDelta" in e ? e.roundDelta : 0);
          if (e.kind === "tick") clock.advance(e.ms);
          else if (e.kind === "share") {
            const message = roundMessage(round, previousOf(round));
            const member = shareOf(e.from);
            const signature =
              e.sig === "valid" ? partialSign(member, message).signature
              : e.sig === "other_message" ? partialSign(member, new Uint8Array(32)).signature
              : e.sig === "other_index" ? partialSign(shareOf(3 - e.from), message).signature
              : e.sig === "random" ? e.random
              : new Uint8Array();
            const index = e.index === 0 ? member.index : e.index;
            engine.onShare(e.from, { round, group: 0, index, signature, epoch: 0n }, 100);
          } else {
            const previous = e.sig === "wrong_previous" ? e.random : previousOf(round);
            const message = roundMessage(round, previous);
            const signature = e.sig === "random" ? e.random : recoverSignature([partialSign(shareOf(1), message), partialSign(shareOf(2), message)], 2);
            engine.onBeacon(e.from, { round, signature, previousSignature: previous, group: 0, epoch: 0n });
          }
        }
      } catch (err) {
        throw new Crash(`the engine threw: ${(err as Error).message}`);
      } finally {
        engine.stop();
      }
      let previous = previousOfFirstRound(genesis.seed);
      for (let r = 1n; r <= store.latestRound; r++) {
        const b = store.get(r)!;
        if (Buffer.compare(Buffer.from(b.previousSignature), Buffer.from(previous)) !== 0) throw new Violation(`round ${r} does not chain`);
        if (!verifyBeacon(b, dealt.groupPublicKey)) throw new Violation(`round ${r} was accepted with an invalid signature`);
        previous = b.signature;
      }
      return Number(store.latestRound);
    }, seed, numRuns);
  },
};

/** Every fuzz target, in report order. */
export const FUZZ_TARGETS: readonly FuzzTarget[] = [decoderTarget, transportTarget, dkgTarget, beaconTarget];
