// SPDX-License-Identifier: Apache-2.0
/**
 * Group registration per epoch. Epoch 0's candidate groups are drawn from the genesis seed; with an epoch
 * length E > 0, the first beacon of epoch k, B(k·E+1), draws the candidates of epoch k+1, whose DKG runs in
 * the background and whose successful groups sign from round (k+1)·E+1 on. If none succeeds, the previous
 * epoch's groups carry over. E = 0 keeps epoch 0's groups forever.
 *
 * Epoch 0 has no previous groups: when its DKG registers none, the subnet would have no beacon ever. So every
 * node, having decided by the driver's registration rule (the same decision on every honest node) that attempt
 * a registered nothing, starts attempt a+1 of epoch 0's DKG after a backoff, with fresh candidate groups drawn
 * from sha256(tag ‖ seed ‖ be32(a+1)). Attempts are not capped: with no fallback, a node that gave up would
 * leave the subnet dead until an operator re-creates it, while an endless retry costs at most one DKG per
 * timeout plus backoff, and a subnet whose missing members come back recovers by itself. The backoff doubles
 * from the retransmit interval up to the DKG timeout, so a fault that fails every attempt at once does not spin.
 * Packets carry their attempt: outcome requests of the attempt before go to its (decided) driver, which still
 * answers nodes that have not decided it yet; packets of the next attempt (peers that
 * decided sooner) are buffered; any other attempt is dropped as wrong_attempt. The attempt is persisted when it
 * starts, so a restarted node resumes it. The retry rests on the registration rule's agreement, with its
 * assumption: a node that registers a group at the timeout while another does not leaves the second retrying alone.
 *
 * A node that lost its data dir starts again at attempt 0; running the attempts out one by one would cost it a
 * DKG timeout each. It skips to attempt a' > a (its own) instead once it holds identity-signed epoch-0 packets
 * of attempt a' or later from more than f members of one candidate group of attempt a, f being the driver's
 * per-group byzantine budget (g − t with a majority threshold, else 0); a' is the (f+1)-th highest attempt
 * shown in that group. Safety: the budget says a candidate group holds at most f byzantine members, so one of
 * those senders is honest and runs attempt a' or later; an honest node runs an attempt only after deciding that
 * every attempt before it registered nothing, and by the registration rule every honest node decides each
 * attempt the same, so no honest node registers anything in the attempts skipped. The groups counted are
 * attempt a's, which the claimers do not choose: counting members of a''s own candidates instead would let
 * byzantine nodes name attempt numbers until one draws a group holding more than f of them. One byzantine
 * member (or f of a group) may sign packets of any attempt, and moves no one. Only packets that raise what
 * their sender has shown are checked and remembered (one number per sender), so a sender naming ever new
 * attempts costs one signature check per packet, as any signed packet does. Packets of attempts it cannot use
 * are dropped as before. So that a node behind hears of the attempt even from peers that registered long ago, a node that
 * registered epoch 0 answers an outcome request of an earlier attempt with one of its signed outcomes of the
 * registered attempt; once caught up, the node registers from the outcomes its peers answer for that attempt.
 *
 * Memory stays bounded: an epoch's DKG driver is dropped once the next epoch is registered and has
 * started signing; its own signed outcomes are persisted with the groups, so this node (even after a
 * restart) still answers a late node's outcome requests. Packets for a DKG not started here yet are
 * buffered only after their signature checks, deduplicated, and capped per sender.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, hexToBytes } from "@noble/hashes/utils.js";
import { GroupSet } from "../beacon/group-set.js";
import { drawGroups } from "../beacon/groups.js";
import type { Clock, Timer } from "../clock.js";
import type { Genesis } from "../config/index.js";
import type { CommitmentGroup, SecretShare } from "../crypto/index.js";
import { DkgBody, type DkgPacket, type Envelope } from "../gen/relaylab/v1/protocol.js";
import { verifyIdentitySignature } from "../identity/index.js";
import type { Logger } from "../log.js";
import type { DropReason } from "../metrics/names.js";
import type { Metrics } from "../metrics/registry.js";
import { loadDkgAttempt, loadGroups, saveDkgAttempt, saveGroups } from "../store/groups.js";
import { AttemptClaims } from "./catch-up.js";
import { DkgDriver, maxPacketsPerSender } from "./driver.js";
import type { DkgStrategy } from "./strategy.js";

/** Packets for an epoch whose DKG this node has not started yet (it is a little behind) are kept up to this many. */
const MAX_BUFFERED_PACKETS = 4096;

const RETRY_TAG = new TextEncoder().encode("relaylab/dkg-retry/v1");

/** The randomness that draws the candidate groups of epoch 0's DKG attempt `attempt`: the seed itself for the first. */
export function epochZeroRandomness(seed: Uint8Array, attempt: number): Uint8Array {
  if (attempt === 0) return seed;
  const be = new Uint8Array(4);
  new DataView(be.buffer).setUint32(0, attempt);
  return sha256(concatBytes(RETRY_TAG, seed, be));
}

export interface EpochManagerOptions {
  readonly self: number;
  readonly genesis: Genesis;
  readonly identitySecret: Uint8Array;
  readonly dataDir: string;
  readonly send: (to: number, envelope: Envelope) => void;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics | null;
  /** Called when an epoch's groups are registered (the engine may be waiting for them). */
  readonly onRegistered: (epoch: bigint) => void;
  /** The deal this node sends each member as dealer, in every epoch's DKG. @default honestDkg */
  readonly strategy?: DkgStrategy;
  /** The crypto backend's G2 arithmetic for every epoch's DKG. @default NOBLE_COMMITMENTS */
  readonly commitments?: CommitmentGroup;
}

export class EpochManager {
  private readonly sets = new Map<bigint, GroupSet>();
  private readonly shares = new Map<bigint, ReadonlyMap<number, SecretShare>>();
  /** This node's signed DKG outcomes per registered epoch, by candidate (answers outcome requests). */
  private readonly outcomes = new Map<bigint, ReadonlyMap<number, DkgPacket>>();
  private readonly drivers = new Map<bigint, DkgDriver>();
  private buffered: { packet: DkgPacket; sender: number; digest: string }[] = [];
  /** Epoch 0's current DKG attempt (running, waiting out its backoff, or registered). */
  private attempt: number;
  /** The driver of epoch 0's failed attempt before the current one: it answers outcome requests of nodes still in it. */
  private retired: DkgDriver | undefined;
  private retryTimer: Timer | undefined;
  private stopped = false;
  private readonly identityKeys: Uint8Array[];
  /** Later attempts of epoch 0 that peers have shown, while it is not registered here. */
  private readonly claims: AttemptClaims;

  constructor(private readonly opts: EpochManagerOptions) {
    this.identityKeys = opts.genesis.nodes.map((n) => hexToBytes(n.identityKey));
    for (const e of loadGroups(opts.dataDir)) {
      this.sets.set(e.epoch, new GroupSet(e.epoch, e.firstRound, e.groups));
      this.shares.set(e.epoch, e.shares);
      this.outcomes.set(e.epoch, e.outcomes);
    }
    this.attempt = loadDkgAttempt(opts.dataDir);
    const { nodes, groups } = opts.genesis;
    this.claims = new AttemptClaims({ threshold: groups.threshold, candidatesOf: (a) => drawGroups(this.randomness(a), 0n, nodes.length, groups.count, groups.size) });
    if (this.sets.size > 0) opts.log.info({ event: "groups_loaded", epochs: this.sets.size }, "groups loaded from data dir");
    const { threshold, size, unsafeAllowMinorityThreshold } = opts.genesis.groups;
    if (unsafeAllowMinorityThreshold && 2 * threshold <= size) {
      opts.log.warn(
        { event: "beacon_unsafe_threshold", threshold, size },
        "genesis groups.unsafeAllowMinorityThreshold: the members a group may lose to faults reach this threshold by themselves; DKG registration tolerates no byzantine member",
      );
    }
  }

  private get length(): bigint {
    return BigInt(this.opts.genesis.epochLength);
  }

  /** The epoch that signs `round`. */
  epochOf(round: bigint): bigint {
    return this.length === 0n || round < 1n ? 0n : (round - 1n) / this.length;
  }

  firstRound(epoch: bigint): bigint {
    return epoch * this.length + 1n;
  }

  /** The registered groups that sign `round`, or undefined while that epoch's registration is pending. */
  groupsFor(round: bigint): GroupSet | undefined {
    return this.sets.get(this.epochOf(round));
  }

  groupsOf(epoch: bigint): GroupSet | undefined {
    return this.sets.get(epoch);
  }

  sharesFor(epoch: bigint): ReadonlyMap<number, SecretShare> {
    return this.shares.get(epoch) ?? new Map<number, SecretShare>();
  }

  /** Starts epoch 0's DKG unless its groups were loaded, and any DKG the stored chain calls for. */
  start(stored: (round: bigint) => Uint8Array | undefined, latestRound: bigint): void {
    // Packets received before start may already have moved this node to a later attempt.
    if (!this.sets.has(0n) && !this.drivers.has(0n)) this.runDkg(0n, this.randomness(this.attempt));
    if (this.length === 0n) return;
    for (let k = 0n; this.firstRound(k) <= latestRound; k++) {
      const randomness = stored(this.firstRound(k));
      if (randomness !== undefined) this.onBeacon(this.firstRound(k), randomness);
    }
  }

  /** Every accepted beacon: the first beacon of an epoch starts the next epoch's DKG; old drivers are dropped. */
  onBeacon(round: bigint, signature: Uint8Array): void {
    if (this.length === 0n || this.stopped) return;
    this.prune(round);
    if ((round - 1n) % this.length !== 0n) return;
    const next = this.epochOf(round) + 1n;
    if (!this.sets.has(next) && !this.drivers.has(next)) this.runDkg(next, signature);
  }

  /** Epochs whose DKG driver is still held (running, or lingering until the next epoch signs). */
  activeEpochs(): bigint[] {
    return [...this.drivers.keys()].sort((a, b) => (a < b ? -1 : 1));
  }

  /** Packets held for DKGs that have not started here yet. */
  get bufferedPackets(): number {
    return this.buffered.length;
  }

  /** A DKG packet from the network, routed to its epoch's driver (or buffered if that DKG has not started here yet). */
  receive(packet: DkgPacket): void {
    let body: DkgBody;
    try {
      body = DkgBody.decode(packet.body);
    } catch {
      return this.drop("malformed");
    }
    if (body.epoch === 0n && !this.sets.has(0n) && body.attempt !== this.attempt) return this.receiveOtherAttempt(body, packet);
    // Before the driver, which drops every other attempt: the sender is behind and is shown where this node is.
    if (body.epoch === 0n && body.attempt < this.attempt) return this.answerFromStore(body, packet);
    const driver = this.drivers.get(body.epoch);
    if (driver !== undefined) return driver.receive(packet);
    if (this.outcomes.has(body.epoch)) return this.answerFromStore(body, packet);
    const newest = [...this.drivers.keys(), ...this.sets.keys()].reduce((m, e) => (e > m ? e : m), -1n);
    if (body.epoch <= newest || body.epoch > newest + 2n) return this.drop("wrong_round");
    this.buffer(body, packet);
  }

  /** A packet of epoch 0's DKG, unregistered here, of an attempt other than the current one. */
  private receiveOtherAttempt(body: DkgBody, packet: DkgPacket): void {
    // The attempt before is decided here: of its packets, only outcome requests still matter.
    if (body.attempt + 1 === this.attempt && body.outcomeRequest !== undefined && this.retired !== undefined) return this.retired.receive(packet);
    if (body.attempt < this.attempt) return this.drop("wrong_attempt");
    // Peers that decided the current attempt sooner already run the next one.
    const next = body.attempt === this.attempt + 1;
    if (!this.claims.raises(body.sender, body.attempt)) return next ? this.buffer(body, packet) : this.drop("wrong_attempt");
    if (!this.authentic(body, packet)) return this.drop("bad_signature");
    this.claims.record(body.sender, body.attempt);
    const to = this.claims.target(this.attempt);
    if (to !== undefined && !this.stopped) {
      this.catchUp(to);
      return this.receive(packet);
    }
    if (next) return this.buffer(body, packet, true);
    this.drop("wrong_attempt");
  }

  /** Peers have shown (see the header) that every attempt before `to` registered nothing: start `to` now. */
  private catchUp(to: number): void {
    const from = this.attempt;
    const current = this.drivers.get(0n);
    this.drivers.delete(0n);
    current?.stop();
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    // A stopped driver still answers outcome requests: kept for nodes in the attempt just before `to`.
    this.retire(to === from + 1 ? current : undefined);
    this.attempt = to;
    saveDkgAttempt(this.opts.dataDir, to);
    this.claims.forgetUpTo(to);
    this.opts.metrics?.dkgCatchUps.inc();
    this.opts.log.warn({ event: "dkg_attempt_caught_up", epoch: 0, from, to }, "peers run a later attempt of epoch 0's DKG; this node skips to it");
    this.runDkg(0n, this.randomness(to));
  }

  /** Keeps a signed packet for a DKG not started here yet, once, within the overall and per-sender caps. */
  private buffer(body: DkgBody, packet: DkgPacket, verified = false): void {
    if (this.buffered.length >= MAX_BUFFERED_PACKETS) return this.drop("over_quota");
    if (!verified && !this.authentic(body, packet)) return this.drop("bad_signature");
    const digest = bytesToHex(sha256(concatBytes(packet.body, packet.signature)));
    if (this.buffered.some((b) => b.digest === digest)) return;
    const fromSender = this.buffered.filter((b) => b.sender === body.sender).length;
    if (fromSender >= maxPacketsPerSender(this.opts.genesis.groups.count)) return this.drop("over_quota");
    this.buffered.push({ packet, sender: body.sender, digest });
  }

  private authentic(body: DkgBody, packet: DkgPacket): boolean {
    const key = this.identityKeys[body.sender];
    return key !== undefined && verifyIdentitySignature(key, `dkg/${this.opts.genesis.subnet}`, packet.body, packet.signature);
  }

  /**
   * An epoch decided here whose driver is gone (pruned, or before a restart), or a request of an earlier attempt
   * of epoch 0: answer outcome requests from the store. The second kind comes from a node behind, which counts
   * any outcome this node signed in the registered attempt toward catching up to it.
   */
  private answerFromStore(body: DkgBody, packet: DkgPacket): void {
    const own = body.epoch === 0n ? this.attempt : 0;
    const behind = body.epoch === 0n && body.attempt < own;
    if (body.attempt !== own && !behind) return this.drop("wrong_attempt");
    if (body.outcomeRequest === undefined) return this.drop(behind ? "wrong_attempt" : "wrong_round");
    const stored = this.outcomes.get(body.epoch);
    const outcome = stored?.get(body.group) ?? (behind ? stored?.values().next().value : undefined);
    if (outcome === undefined || body.sender === this.opts.self) return;
    if (!this.authentic(body, packet)) return this.drop("bad_signature");
    this.opts.send(body.sender, { dkg: outcome });
  }

  /** Drops the drivers of epochs whose successor is registered and signs `round` or earlier. */
  private prune(round: bigint): void {
    for (const [epoch, driver] of this.drivers) {
      if (this.sets.has(epoch + 1n) && round >= this.firstRound(epoch + 1n)) {
        driver.stop();
        this.drivers.delete(epoch);
        if (epoch === 0n) this.retire(undefined);
      }
    }
  }

  private drop(reason: DropReason): void {
    this.opts.metrics?.messagesDropped.inc({ reason });
  }

  stop(): void {
    this.stopped = true;
    this.retryTimer?.cancel();
    this.retire(undefined);
    for (const d of this.drivers.values()) d.stop();
  }

  /** Replaces the retired epoch-0 driver (stopping the one it held). */
  private retire(driver: DkgDriver | undefined): void {
    this.retired?.stop();
    this.retired = driver;
  }

  /** Epoch 0's attempt registered nothing (on every honest node, by the registration rule): start the next one. */
  private retryEpochZero(failed: DkgDriver): void {
    this.drivers.delete(0n);
    this.retire(failed);
    this.attempt += 1;
    saveDkgAttempt(this.opts.dataDir, this.attempt);
    const { timings } = this.opts.genesis;
    const delayMs = Math.min(timings.dkgTimeoutMs, Math.max(1, timings.shareRetransmitMs) * 2 ** Math.min(this.attempt - 1, 30));
    this.opts.metrics?.dkgRetries.inc();
    this.opts.log.warn({ event: "dkg_retry", epoch: 0, attempt: this.attempt, delayMs }, "epoch 0 registered no group; its DKG starts again with new candidate groups");
    this.retryTimer = this.opts.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) this.runDkg(0n, this.randomness(this.attempt));
    }, delayMs);
  }

  private randomness(attempt: number): Uint8Array {
    return epochZeroRandomness(hexToBytes(this.opts.genesis.seed), attempt);
  }

  private runDkg(epoch: bigint, randomness: Uint8Array): void {
    const { genesis } = this.opts;
    const attempt = epoch === 0n ? this.attempt : 0;
    const candidates = drawGroups(randomness, epoch, genesis.nodes.length, genesis.groups.count, genesis.groups.size);
    const driver = new DkgDriver({ ...this.opts, epoch, attempt, candidates });
    this.drivers.set(epoch, driver);
    driver.start();
    const replay = this.buffered;
    this.buffered = [];
    for (const { packet } of replay) this.receive(packet);
    void driver.registration.then(({ groups, shares, outcomes }) => {
      // A driver left for a later attempt (catchUp) may have settled just before: its result is moot.
      if (this.stopped || this.drivers.get(epoch) !== driver) return;
      if (groups.length === 0 && epoch === 0n) return this.retryEpochZero(driver);
      const previous = this.sets.get(epoch - 1n);
      if (groups.length === 0 && previous !== undefined) {
        this.opts.log.warn({ event: "epoch_groups_carried_over", epoch: Number(epoch) }, "no new group registered; the previous epoch's groups carry over");
        this.register(epoch, [...previous.groups], this.sharesFor(epoch - 1n), outcomes);
      } else {
        this.register(epoch, groups, shares, outcomes);
      }
    });
  }

  private register(epoch: bigint, groups: GroupSet["groups"], shares: ReadonlyMap<number, SecretShare>, outcomes: ReadonlyMap<number, DkgPacket>): void {
    this.sets.set(epoch, new GroupSet(epoch, this.firstRound(epoch), groups));
    this.shares.set(epoch, shares);
    this.outcomes.set(epoch, outcomes);
    saveGroups(
      this.opts.dataDir,
      [...this.sets.values()].map((s) => ({ epoch: s.epoch, firstRound: s.firstRound, groups: s.groups, shares: this.sharesFor(s.epoch), outcomes: this.outcomes.get(s.epoch) ?? new Map() })),
    );
    this.opts.log.info({ event: "epoch_registered", epoch: Number(epoch), groups: groups.length }, "epoch groups registered");
    this.opts.onRegistered(epoch);
  }
}
