// SPDX-License-Identifier: Apache-2.0
/**
 * Group registration per epoch. Epoch 0's candidate groups are drawn from the genesis seed; with an epoch
 * length E > 0, the first beacon of epoch k, B(k·E+1), draws the candidates of epoch k+1, whose DKG runs in
 * the background and whose successful groups sign from round (k+1)·E+1 on. If none succeeds, the previous
 * epoch's groups carry over. E = 0 keeps epoch 0's groups forever.
 */
import { hexToBytes } from "@noble/hashes/utils.js";
import { GroupSet } from "../beacon/group-set.js";
import { drawGroups } from "../beacon/groups.js";
import type { Clock } from "../clock.js";
import type { Genesis } from "../config/index.js";
import type { SecretShare } from "../crypto/index.js";
import type { FaultController } from "../faults/controller.js";
import { DkgBody, type DkgPacket, type Envelope } from "../gen/relaylab/v1/protocol.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/registry.js";
import { loadGroups, saveGroups } from "../store/groups.js";
import { DkgDriver } from "./driver.js";

/** Packets for an epoch whose DKG this node has not started yet (it is a little behind) are kept up to this many. */
const MAX_BUFFERED_PACKETS = 4096;

export interface EpochManagerOptions {
  readonly self: number;
  readonly genesis: Genesis;
  readonly identitySecret: Uint8Array;
  readonly dataDir: string;
  readonly send: (to: number, envelope: Envelope) => void;
  readonly clock: Clock;
  readonly faults: FaultController;
  readonly log: Logger;
  readonly metrics: Metrics | null;
  /** Called when an epoch's groups are registered (the engine may be waiting for them). */
  readonly onRegistered: (epoch: bigint) => void;
}

export class EpochManager {
  private readonly sets = new Map<bigint, GroupSet>();
  private readonly shares = new Map<bigint, ReadonlyMap<number, SecretShare>>();
  private readonly drivers = new Map<bigint, DkgDriver>();
  private buffered: DkgPacket[] = [];
  private stopped = false;

  constructor(private readonly opts: EpochManagerOptions) {
    for (const e of loadGroups(opts.dataDir)) {
      this.sets.set(e.epoch, new GroupSet(e.epoch, e.firstRound, e.groups));
      this.shares.set(e.epoch, e.shares);
    }
    if (this.sets.size > 0) opts.log.info({ event: "groups_loaded", epochs: this.sets.size }, "groups loaded from data dir");
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
    if (!this.sets.has(0n)) this.runDkg(0n, hexToBytes(this.opts.genesis.seed));
    if (this.length === 0n) return;
    for (let k = 0n; this.firstRound(k) <= latestRound; k++) {
      const randomness = stored(this.firstRound(k));
      if (randomness !== undefined) this.onBeacon(this.firstRound(k), randomness);
    }
  }

  /** Every accepted beacon: the first beacon of an epoch starts the next epoch's DKG. */
  onBeacon(round: bigint, signature: Uint8Array): void {
    if (this.length === 0n || this.stopped || (round - 1n) % this.length !== 0n) return;
    const next = this.epochOf(round) + 1n;
    if (!this.sets.has(next) && !this.drivers.has(next)) this.runDkg(next, signature);
  }

  /** A DKG packet from the network, routed to its epoch's driver (or buffered if that DKG has not started here yet). */
  receive(packet: DkgPacket): void {
    let epoch: bigint;
    try {
      epoch = DkgBody.decode(packet.body).epoch;
    } catch {
      this.opts.metrics?.messagesDropped.inc({ reason: "malformed" });
      return;
    }
    const driver = this.drivers.get(epoch);
    if (driver !== undefined) return driver.receive(packet);
    const newest = [...this.drivers.keys(), ...this.sets.keys()].reduce((m, e) => (e > m ? e : m), -1n);
    if (epoch > newest && epoch <= newest + 2n && this.buffered.length < MAX_BUFFERED_PACKETS) this.buffered.push(packet);
    else this.opts.metrics?.messagesDropped.inc({ reason: "wrong_round" });
  }

  stop(): void {
    this.stopped = true;
    for (const d of this.drivers.values()) d.stop();
  }

  private runDkg(epoch: bigint, randomness: Uint8Array): void {
    const { genesis } = this.opts;
    const candidates = drawGroups(randomness, epoch, genesis.nodes.length, genesis.groups.count, genesis.groups.size);
    const driver = new DkgDriver({ ...this.opts, epoch, candidates });
    this.drivers.set(epoch, driver);
    driver.start();
    const replay = this.buffered;
    this.buffered = [];
    for (const packet of replay) this.receive(packet);
    void driver.registration.then(({ groups, shares }) => {
      if (this.stopped) return;
      const previous = this.sets.get(epoch - 1n);
      if (groups.length === 0 && previous !== undefined) {
        this.opts.log.warn({ event: "epoch_groups_carried_over", epoch: Number(epoch) }, "no new group registered; the previous epoch's groups carry over");
        this.register(epoch, [...previous.groups], this.sharesFor(epoch - 1n));
      } else {
        this.register(epoch, groups, shares);
      }
    });
  }

  private register(epoch: bigint, groups: GroupSet["groups"], shares: ReadonlyMap<number, SecretShare>): void {
    this.sets.set(epoch, new GroupSet(epoch, this.firstRound(epoch), groups));
    this.shares.set(epoch, shares);
    saveGroups(
      this.opts.dataDir,
      [...this.sets.values()].map((s) => ({ epoch: s.epoch, firstRound: s.firstRound, groups: s.groups, shares: this.sharesFor(s.epoch) })),
    );
    this.opts.log.info({ event: "epoch_registered", epoch: Number(epoch), groups: groups.length }, "epoch groups registered");
    this.opts.onRegistered(epoch);
  }
}
