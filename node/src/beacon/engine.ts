// SPDX-License-Identifier: Apache-2.0
/**
 * The round loop of Threshold Relay. Round r opens when B(r−1) is accepted; the group B(r−1) selects
 * signs sha256(be64(r) ‖ B(r−1)). Members first send their share to a few round-chosen aggregators
 * (small fan-in); each time the retransmit interval passes without a beacon they re-send to twice as
 * many members (backing off), until the round completes. Whoever recovers the group signature broadcasts the
 * beacon; every node verifies it against the group key before accepting it. A recovering node also checks the
 * shares that arrive after its recovery, within a bound and without a pairing (share-audit.ts), so a member that
 * lies only when it is late is counted too.
 */
import { bytesToHex } from "@noble/hashes/utils.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { Clock, Timer } from "../clock.js";
import type { Genesis } from "../config/index.js";
import type { RoundCrypto } from "../crypto/backend/round.js";
import { CryptoError, NotEnoughValidSharesError, partialVerify, type PartialSignature, type SecretShare } from "../crypto/index.js";
import { Beacon } from "../gen/relaylab/v1/public.js";
import type { Envelope, Share } from "../gen/relaylab/v1/protocol.js";
import type { Logger } from "../log.js";
import type { DropReason, ShareResult } from "../metrics/names.js";
import { median } from "../metrics/quantile.js";
import type { Metrics } from "../metrics/registry.js";
import type { BeaconStore } from "../store/beacons.js";
import { previousOfFirstRound, roundMessage, selectGroup, verifyBeacon } from "./chain.js";
import type { GroupSet } from "./group-set.js";
import { sample, SeededStream } from "./sampling.js";
import { ShareAudit, swapIn } from "./share-audit.js";
import { honestBeacon, type BeaconStrategy } from "./strategy.js";

/** Members that collect shares first in each round (before retransmits widen the fan-out). */
export const AGGREGATORS = 3;
/** How many recent round durations (and signing latencies) feed the p50s in Status. */
const DURATION_WINDOW = 256;
/** Beacons found invalid that the engine remembers, so a peer repeating one costs a hash instead of a pairing. */
export const BAD_BEACON_MEMO = 1024;

export interface EngineOptions {
  readonly self: number;
  readonly genesis: Genesis;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics | null;
  /** Signs shares, verifies beacons and recovers group signatures (created once at node start). */
  readonly crypto: RoundCrypto;
  readonly store: BeaconStore;
  /** Sends an envelope to a node; returns the estimated wire bytes sent (0 when dropped). */
  readonly send: (to: number, envelope: Envelope) => number;
  /** Asks for a catch-up sync, preferably from `peer`. */
  readonly requestSync: (peer: number | undefined) => void;
  /** Registered groups per round (by epoch) and this node's shares per epoch; or fixed groups given to start(). */
  readonly epochs?: EpochSource;
  /** The share of late shares this node checks (share-audit.ts). @default DEFAULT_AUDIT_SAMPLE */
  readonly lateShareSample?: number;
  /** What this node sends of its own share. @default honestBeacon */
  readonly strategy?: BeaconStrategy;
}

/** Where the engine finds the groups that sign a round, and this node's shares for them. */
export interface EpochSource {
  groupsFor(round: bigint): GroupSet | undefined;
  sharesFor(epoch: bigint): ReadonlyMap<number, SecretShare>;
}

/** State of the open round. */
interface OpenRound {
  readonly round: bigint;
  readonly set: GroupSet;
  readonly shares: ReadonlyMap<number, SecretShare>;
  readonly previous: Uint8Array;
  readonly group: number;
  readonly message: Uint8Array;
  readonly openedAt: number;
  /** When this node may sign the round: openedAt, or later when the pacing period has not passed yet. */
  readonly startsAt: number;
  /** This node's 1-based share index in the signing group, when it holds a share for it. */
  readonly myIndex: number | undefined;
  /** Members in the order this round's shares fan out to: the first AGGREGATORS, then twice as many per retransmit. */
  readonly fanOut: readonly number[];
  /** Received (and own) partials in arrival order, own first. */
  pool: Map<number, Uint8Array>;
  readonly invalid: Set<number>;
  readonly lateReplies: Set<number>;
  mySignature: Uint8Array | undefined;
  /** How many times this node has sent its share this round (drives the retransmit backoff). */
  sends: number;
  /** Wire bytes of this round's shares in and out and beacons out. */
  bytes: number;
  stalled: boolean;
}

export class BeaconEngine {
  private epochs: EpochSource | undefined;
  private open: OpenRound | undefined;
  private waiting = false;
  private signTimer: Timer | undefined;
  private stallTimer: Timer | undefined;
  private readonly durations: number[] = [];
  private readonly signings: number[] = [];
  private readonly listeners = new Set<(beacon: Beacon) => void>();
  private stallEventCount = 0;
  /** When this node broadcast a beacon it recovered, by round (the last few rounds only). */
  private readonly broadcastAt = new Map<bigint, number>();
  /** Hashes of beacons that failed verification, oldest first (a bounded LRU). */
  private readonly badBeacons = new Set<string>();
  private readonly audit: ShareAudit;
  private auditTimer: Timer | undefined;
  private stopped = false;

  constructor(private readonly opts: EngineOptions) {
    this.epochs = opts.epochs;
    this.audit = new ShareAudit(opts.lateShareSample);
  }

  /**
   * Starts rounds after the stored chain, waiting for the groups of the next round if they are not registered
   * yet. Without an EpochSource in the options, `groups` and `shares` serve every round (one fixed epoch).
   */
  start(groups?: GroupSet, shares: ReadonlyMap<number, SecretShare> = new Map()): void {
    if (groups !== undefined) this.epochs = { groupsFor: () => groups, sharesFor: () => shares };
    this.opts.metrics?.beaconRound.set(Number(this.opts.store.latestRound));
    this.openRound();
  }

  /** New groups were registered: open the round that was waiting for them. */
  resume(): void {
    if (!this.waiting || this.stopped) return;
    this.openRound();
    if (this.open !== undefined) this.opts.requestSync(undefined);
  }

  stop(): void {
    this.stopped = true;
    this.signTimer?.cancel();
    this.stallTimer?.cancel();
    this.auditTimer?.cancel();
    this.listeners.clear();
  }

  /** The round being worked on (latest accepted + 1), 0 before groups are known. */
  get currentRound(): bigint {
    return this.open?.round ?? 0n;
  }

  get stallEvents(): number {
    return this.stallEventCount;
  }

  get stalled(): boolean {
    return this.open?.stalled ?? false;
  }

  /** Median of recent round durations in seconds (0 before two beacons). */
  roundLatencyP50(): number {
    return median(this.durations);
  }

  /** Median of recent signing latencies in seconds (0 before the first beacon): see NODE_METRICS.beaconSigning. */
  signingLatencyP50(): number {
    return median(this.signings);
  }

  /** Calls `listener` for every beacon accepted from now on; returns an unsubscribe function. */
  subscribe(listener: (beacon: Beacon) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A share from peer `from` (authenticated stream), `wire` bytes on the wire. Cheap checks first. */
  onShare(from: number, share: Share, wire: number): void {
    const open = this.open;
    if (open === undefined) return this.drop("wrong_round");
    if (share.round < open.round) {
      // Counted once checked (late or invalid), or now when the audit does not take it.
      if (!this.auditLate(from, share)) this.countShare("late");
      return this.replyWithBeacon(from, share.round, open);
    }
    if (share.round > open.round) {
      this.drop("wrong_round");
      return this.opts.requestSync(from);
    }
    if (share.group !== open.group || share.epoch !== open.set.epoch) return this.drop("wrong_group");
    const group = open.set.group(open.group);
    if (group === undefined || share.index < 1 || share.index > group.members.length || group.members[share.index - 1] !== from) return this.countShare("unknown_sender");
    open.bytes += wire;
    if (open.pool.has(share.index) || open.invalid.has(share.index)) return this.countShare("duplicate");
    open.pool.set(share.index, share.signature);
    this.tryRecover(open);
  }

  /** A beacon from peer `from`: accepted only if it verifies against its group's key. */
  onBeacon(from: number, beacon: Beacon): void {
    const open = this.open;
    if (open === undefined || beacon.round < open.round) return;
    if (beacon.round > open.round) return this.opts.requestSync(from);
    if (!this.acceptIfValid(beacon)) this.drop("bad_signature");
  }

  /** A beacon from a sync stream: true when it was the next round and verified (and is now accepted). */
  acceptSynced(beacon: Beacon): boolean {
    const open = this.open;
    if (open === undefined) return false;
    if (beacon.round < open.round) return true;
    return beacon.round === open.round && this.acceptIfValid(beacon);
  }

  private acceptIfValid(beacon: Beacon): boolean {
    const open = this.open;
    const key = open?.set.publicKey(beacon.group);
    if (open === undefined || key === undefined) return false;
    if (beacon.epoch !== open.set.epoch || beacon.group !== open.group || bytesToHex(beacon.previousSignature) !== bytesToHex(open.previous)) return false;
    // The verdict depends only on the beacon's bytes: round, link, group, epoch (hence key) and signature.
    const digest = bytesToHex(sha256(Beacon.encode(beacon).finish()));
    if (this.badBeacons.has(digest)) {
      this.badBeacons.delete(digest);
      this.badBeacons.add(digest);
      return false;
    }
    if (!verifyBeacon(beacon, key, this.opts.crypto.verify)) {
      this.badBeacons.add(digest);
      if (this.badBeacons.size > BAD_BEACON_MEMO) this.badBeacons.delete(this.badBeacons.values().next().value ?? "");
      return false;
    }
    this.accept(beacon, "received");
    return true;
  }

  private openRound(): void {
    if (this.stopped) return;
    const latest = this.opts.store.latest();
    const round = this.opts.store.latestRound + 1n;
    const groups = this.epochs?.groupsFor(round);
    this.signTimer?.cancel();
    this.stallTimer?.cancel();
    if (groups === undefined || groups.count === 0) {
      // The epoch's registration is still running (or found no group): wait until resume().
      if (!this.waiting) this.opts.log.info({ event: "waiting_for_groups", round: Number(round) }, "waiting for the round's groups to be registered");
      this.open = undefined;
      this.waiting = true;
      return;
    }
    this.waiting = false;
    this.opts.metrics?.registeredGroups.set(groups.count);
    const shares = this.epochs?.sharesFor(groups.epoch) ?? new Map<number, SecretShare>();
    const previous = latest?.signature ?? previousOfFirstRound(this.opts.genesis.seed);
    const group = selectGroup(previous, groups.count);
    const members = groups.group(group)?.members ?? [];
    const myIndex = shares.has(group) ? groups.shareIndexOf(group, this.opts.self) : undefined;
    const openedAt = this.opts.clock.now();
    const startsAt = this.roundStart(round);
    this.open = {
      round,
      set: groups,
      shares,
      previous,
      group,
      message: roundMessage(round, previous),
      openedAt,
      startsAt,
      myIndex,
      fanOut: fanOutOrder(previous, members),
      pool: new Map(),
      invalid: new Set(),
      lateReplies: new Set(),
      mySignature: undefined,
      sends: 0,
      bytes: 0,
      stalled: false,
    };
    const open = this.open;
    if (myIndex !== undefined) this.signTimer = this.opts.clock.setTimeout(() => this.signAndSend(open), startsAt - this.opts.clock.now());
    this.stallTimer = this.opts.clock.setTimeout(() => this.checkStall(open), this.opts.genesis.timings.stallTimeoutMs);
  }

  private lastAcceptAt: number | undefined;
  private lastStart: { round: bigint; at: number } | undefined;

  /**
   * When this node signs `round`: rounds start at least minRoundPeriodMs apart, and as soon as the
   * previous beacon is known once that much has passed. Waiting the period from each beacon's
   * arrival instead made every round last period + the round's own latency, so a 1 s period ran
   * at 1.1–1.2 s per round and no subnet could sustain one round per second. Re-opening the same
   * round (groups registered late) keeps its start. A beacon that arrives before its round's start
   * (catching up) counts from now, so the schedule never runs ahead by more than one period.
   */
  private roundStart(round: bigint): number {
    const now = this.opts.clock.now();
    const last = this.lastStart;
    const period = this.opts.genesis.timings.minRoundPeriodMs;
    const at = last === undefined ? now : last.round === round ? Math.max(now, last.at) : Math.max(now, Math.min(last.at, now) + period);
    this.lastStart = { round, at };
    return at;
  }

  private signAndSend(open: OpenRound): void {
    if (this.open !== open || open.myIndex === undefined) return;
    const share = open.shares.get(open.group);
    if (share === undefined) return;
    if (open.mySignature === undefined) {
      open.mySignature = this.opts.crypto.partialSign(share, open.message).signature;
      open.pool = new Map([[open.myIndex, open.mySignature], ...open.pool]);
    }
    this.sendShare(open);
    this.tryRecover(open);
    // Back off (1×, 2×, 4×, 8× the interval): a slow round should not multiply its own traffic.
    const delay = this.opts.genesis.timings.shareRetransmitMs * 2 ** Math.min(open.sends, 3);
    open.sends++;
    // No beacon within the retransmit interval: re-send, fanning out to twice as many members each time.
    this.signTimer = this.opts.clock.setTimeout(() => this.signAndSend(open), delay);
  }

  private sendShare(open: OpenRound): void {
    const groups = open.set;
    const share = open.shares.get(open.group);
    if (share === undefined || open.myIndex === undefined || open.mySignature === undefined) return;
    const targets = open.fanOut.slice(0, AGGREGATORS * 2 ** open.sends).filter((m) => m !== this.opts.self);
    const sign = (message: Uint8Array): Uint8Array => this.opts.crypto.partialSign(share, message).signature;
    const sent = (this.opts.strategy ?? honestBeacon).share({ signature: open.mySignature, targets }, { round: open.round, message: open.message, sign });
    if (sent === undefined) return;
    const envelope: Envelope = { share: { round: open.round, group: open.group, index: open.myIndex, signature: sent.signature, epoch: groups.epoch } };
    for (const to of sent.targets) open.bytes += this.opts.send(to, envelope);
  }

  private tryRecover(open: OpenRound): void {
    const groups = open.set;
    const group = groups.group(open.group);
    if (group === undefined || this.open !== open || open.pool.size < group.threshold) return;
    const partials: PartialSignature[] = [...open.pool].map(([index, signature]) => ({ index, signature }));
    let signature: Uint8Array;
    try {
      const result = this.opts.crypto.recoverVerified({
        groupPublicKey: group.commitments[0] ?? new Uint8Array(),
        message: open.message,
        partials,
        threshold: group.threshold,
        publicKeyShare: (i) => groups.memberKey(open.group, i),
      });
      signature = result.signature;
      for (const i of result.invalid) this.markInvalid(open, i);
      const own = open.myIndex !== undefined && open.pool.has(open.myIndex) ? 1 : 0;
      this.opts.metrics?.shares.inc({ result: "valid" }, group.threshold - own);
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      // Fewer than t valid partials: the crypto core checked every one and names the bad ones; drop them and wait.
      if (err instanceof NotEnoughValidSharesError) {
        for (const i of err.invalid) this.markInvalid(open, i);
        return;
      }
      // Any other refusal (e.g. key shares that do not match the group key): find the bad partials one by one.
      for (const p of partials) {
        let ok: boolean;
        try {
          ok = partialVerify(groups.memberKey(open.group, p.index), open.message, p);
        } catch {
          ok = false;
        }
        if (!ok) this.markInvalid(open, p.index);
      }
      return;
    }
    const beacon: Beacon = { round: open.round, signature, previousSignature: open.previous, group: open.group, epoch: groups.epoch };
    this.opts.log.info({ event: "beacon_recovered", round: Number(open.round), group: open.group }, "group signature recovered");
    for (const node of this.opts.genesis.nodes) if (node.index !== this.opts.self) open.bytes += this.opts.send(node.index, { beacon });
    this.broadcastAt.set(open.round, this.opts.clock.now());
    this.broadcastAt.delete(open.round - 8n);
    this.accept(beacon, "recovered");
  }

  /** Queues a late share from member `from` for the check; false when it is not one (or the audit's bounds refuse it). */
  private auditLate(from: number, share: Share): boolean {
    const beacon = this.opts.store.get(share.round);
    const set = this.epochs?.groupsFor(share.round);
    if (beacon === undefined || set === undefined || share.group !== beacon.group || share.epoch !== set.epoch) return false;
    if (set.group(share.group)?.members[share.index - 1] !== from) return false;
    if (!this.audit.add({ round: share.round, index: share.index, signature: share.signature })) return false;
    // After a retransmit interval: the next round's own work comes first, and more late shares arrive meanwhile.
    this.auditTimer ??= this.opts.clock.setTimeout(() => this.runAudit(), this.opts.genesis.timings.shareRetransmitMs);
    return true;
  }

  private runAudit(): void {
    this.auditTimer = undefined;
    if (this.stopped) return;
    for (const share of this.audit.take()) {
      const beacon = this.opts.store.get(share.round);
      const set = this.epochs?.groupsFor(share.round);
      const group = set?.group(beacon?.group ?? -1);
      const swapped = swapIn(this.audit.recovery(share.round) ?? [], share);
      // The round's record can be gone by now (pruned, or a new epoch's groups): the share stays counted, unchecked.
      if (beacon === undefined || set === undefined || group === undefined || swapped === undefined) {
        this.countShare("late");
        continue;
      }
      if (this.recoversBeacon(swapped, group.threshold, beacon.signature)) {
        this.countShare("late");
        continue;
      }
      // A mismatch proves a bad share in the swapped set; the pairing check says whether it is this one.
      let valid = false;
      try {
        valid = this.opts.crypto.verify(set.memberKey(beacon.group, share.index), roundMessage(share.round, beacon.previousSignature), share.signature);
      } catch (err) {
        if (!(err instanceof CryptoError)) throw err;
      }
      this.countShare(valid ? "late" : "invalid");
      if (!valid) this.opts.log.warn({ event: "invalid_share", round: Number(share.round), group: beacon.group, member: share.index, late: true }, "invalid signature share");
    }
  }

  private recoversBeacon(partials: readonly PartialSignature[], threshold: number, signature: Uint8Array): boolean {
    try {
      return bytesToHex(this.opts.crypto.recover(partials, threshold)) === bytesToHex(signature);
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      return false;
    }
  }

  private markInvalid(open: OpenRound, index: number): void {
    if (open.invalid.has(index)) return;
    open.invalid.add(index);
    open.pool.delete(index);
    if (index !== open.myIndex) this.countShare("invalid");
    this.opts.log.warn({ event: "invalid_share", round: Number(open.round), group: open.group, member: index }, "invalid signature share");
  }

  private accept(beacon: Beacon, source: "recovered" | "received"): void {
    const open = this.open;
    if (open === undefined) return;
    const now = this.opts.clock.now();
    this.opts.store.append(beacon);
    const { metrics } = this.opts;
    const seconds = (now - open.openedAt) / 1000;
    metrics?.beaconRound.set(Number(beacon.round));
    if (this.lastAcceptAt !== undefined) {
      metrics?.roundDuration.observe(seconds);
      pushRecent(this.durations, seconds);
    }
    // A beacon that arrives before this node's own start (it was catching up, or a peer's period started
    // earlier) took no signing time from this node's point of view.
    const signing = Math.max(0, now - Math.max(open.openedAt, open.startsAt)) / 1000;
    metrics?.signing.observe(signing);
    pushRecent(this.signings, signing);
    if (open.stalled) {
      metrics?.stallDuration.observe(seconds);
      metrics?.stalled.set(0);
      this.opts.log.warn({ event: "stall_ended", round: Number(beacon.round), group: beacon.group, seconds }, "stall ended");
    }
    if (open.myIndex !== undefined) metrics?.groupSignatureBytes.observe(open.bytes);
    if (source === "recovered") {
      const threshold = open.set.group(open.group)?.threshold ?? 0;
      this.audit.recovered(beacon.round, [...open.pool].slice(0, threshold).map(([index, signature]) => ({ index, signature })));
    }
    this.lastAcceptAt = now;
    this.opts.log.info({ event: "beacon_accepted", round: Number(beacon.round), group: beacon.group, source, seconds }, "beacon accepted");
    for (const listener of this.listeners) listener(beacon);
    this.openRound();
  }

  private checkStall(open: OpenRound): void {
    if (this.open !== open || this.stopped) return;
    if (!open.stalled) {
      open.stalled = true;
      this.stallEventCount++;
      this.opts.metrics?.stallEvents.inc();
      this.opts.metrics?.stalled.set(1);
      this.opts.log.warn({ event: "stall", round: Number(open.round), group: open.group, shares: open.pool.size }, "round stalled");
    }
    // Maybe the beacon exists and we missed it: ask a peer, and keep asking while stalled.
    this.opts.requestSync(undefined);
    this.stallTimer = this.opts.clock.setTimeout(() => this.checkStall(open), this.opts.genesis.timings.stallTimeoutMs);
  }

  /**
   * A member still sending shares for an old round may have missed its beacon: send it once per
   * peer. Not when this node broadcast that beacon to everyone less than a retransmit interval ago:
   * the share crossed the beacon in flight, and a reply would only send it twice (at g = 400 these
   * replies were a quarter of an aggregator's traffic, bench:bandwidth). A share sent again after
   * that interval is a retransmission: the peer really has no beacon, and gets one.
   */
  private replyWithBeacon(to: number, round: bigint, open: OpenRound): void {
    const beacon = this.opts.store.get(round);
    const broadcast = this.broadcastAt.get(round);
    if (broadcast !== undefined && this.opts.clock.now() - broadcast < this.opts.genesis.timings.shareRetransmitMs) return;
    if (beacon === undefined || open.lateReplies.has(to)) return;
    open.lateReplies.add(to);
    this.opts.send(to, { beacon });
  }

  private countShare(result: ShareResult): void {
    this.opts.metrics?.shares.inc({ result });
  }

  private drop(reason: DropReason): void {
    this.opts.metrics?.messagesDropped.inc({ reason });
  }
}

/**
 * Every member in fan-out order: the round's first-contact aggregators (pickAggregators), then the others
 * rotated by sha256(previous), so retransmits widen to members every sender agrees on.
 */
export function fanOutOrder(previous: Uint8Array, members: readonly number[]): number[] {
  const first = pickAggregators(previous, members);
  const rest = members.filter((m) => !first.includes(m));
  const offset = rest.length === 0 ? 0 : (sha256(previous)[31] ?? 0) % rest.length;
  return [...first, ...rest.slice(offset), ...rest.slice(0, offset)];
}

/** The round's first-contact aggregators: up to AGGREGATORS distinct members, sampled with the previous beacon as the seed. */
export function pickAggregators(previous: Uint8Array, members: readonly number[]): number[] {
  return sample(new SeededStream(previous), members, AGGREGATORS);
}

function pushRecent(window: number[], value: number): void {
  window.push(value);
  if (window.length > DURATION_WINDOW) window.shift();
}

