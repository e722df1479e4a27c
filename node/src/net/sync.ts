// SPDX-License-Identifier: Apache-2.0
/**
 * Catch-up over Protocol.SyncChain: stream stored beacons from a peer starting at our open round and
 * hand each to the engine, which verifies it before accepting; the first one that fails ends the sync.
 * One sync at a time; a failed or fruitless sync is retried from another peer on the next request.
 *
 * One peer must not be able to hold the single sync slot: a response carries at most MAX_SYNC_ROUNDS
 * beacons (a full one is continued by a new request), and a peer that feeds no new verified round for
 * SYNC_IDLE_MS, or sends MAX_STALE_BEACONS rounds this node already has, is cut off. The serving side
 * writes with backpressure, so a requester that does not read costs a bounded buffer, not the chain.
 */
import * as grpc from "@grpc/grpc-js";
import type { Clock, Timer } from "../clock.js";
import type { FaultController } from "../faults/controller.js";
import { ProtocolService, type SyncRequest } from "../gen/relaylab/v1/protocol.js";
import { Beacon } from "../gen/relaylab/v1/public.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/registry.js";
import type { BeaconStore } from "../store/beacons.js";
import { grpcError } from "./errors.js";
import { wireBytes } from "./framing.js";
import { streamEnded, writeAllPaced } from "./stream.js";

/** A sync that has not finished by then is cancelled (its accepted beacons stay accepted). */
const SYNC_DEADLINE_MS = 60_000;
/** Beacons in one SyncChain response (~110 B each on the wire, ~30 ms each to verify with noble). */
export const MAX_SYNC_ROUNDS = 256;
/** A sync peer that delivers no new verified round for this long is cut off. */
export const SYNC_IDLE_MS = 10_000;
/** Beacons of rounds already accepted that one sync may deliver before the peer is cut off. */
export const MAX_STALE_BEACONS = 64;

export interface SyncServeOptions {
  readonly store: Pick<BeaconStore, "from">;
  /** Injected faults: a paused node, or a link to the requester that is cut, serves no sync. */
  readonly faults: Pick<FaultController, "paused" | "decide">;
}

/** The SyncChain handler: at most MAX_SYNC_ROUNDS stored beacons from `fromRound`, written with backpressure. */
export function syncChainHandler({ store, faults }: SyncServeOptions): (call: grpc.ServerWritableStream<SyncRequest, Beacon>) => void {
  return (call) => {
    const { fromRound, requester } = call.request;
    if (faults.paused() || faults.decide(requester, "received", 0).drop) {
      call.emit("error", grpcError(grpc.status.UNAVAILABLE, "link to this node is cut by an injected fault"));
      return;
    }
    void writeAllPaced(call, store.from(fromRound), MAX_SYNC_ROUNDS).then(() => {
      if (!streamEnded(call)) call.end();
    });
  };
}

export interface SyncOptions {
  readonly self: number;
  readonly nodeCount: number;
  readonly clientFor: (peer: number) => grpc.Client;
  /** The channels clientFor gives are TLS: wire sizes count the record overhead. */
  readonly tls?: boolean;
  readonly fromRound: () => bigint;
  readonly accept: (beacon: Beacon) => boolean;
  /** Injected faults: a partitioned, lossy or paused link gets no sync either. */
  readonly faults: FaultController;
  readonly log: Logger;
  readonly metrics: Metrics | null;
  readonly clock: Clock;
  readonly random?: () => number;
  /** @default SYNC_IDLE_MS */
  readonly idleMs?: number;
}

export class Syncer {
  private running: grpc.ClientReadableStream<Beacon> | undefined;

  constructor(private readonly opts: SyncOptions) {}

  /** Starts a sync from `peer` (or a random other node) unless one is already running. */
  request(peer: number | undefined): void {
    if (this.running !== undefined || this.opts.nodeCount < 2) return;
    const target = peer ?? this.randomPeer();
    if (this.opts.faults.paused() || this.opts.faults.decide(target, "sent", 0).drop) return;
    const from = this.opts.fromRound();
    const client = this.opts.clientFor(target);
    const { path, requestSerialize } = ProtocolService.syncChain;
    const stream = client.makeServerStreamRequest<SyncRequest, Beacon>(path, (r) => requestSerialize(r), (b: Buffer) => {
      this.opts.metrics?.p2pBytes.inc({ direction: "received", message: "sync" }, wireBytes(b.length, this.opts.tls));
      return Beacon.decode(b);
    }, { fromRound: from, requester: this.opts.self }, { deadline: Date.now() + SYNC_DEADLINE_MS });
    this.running = stream;
    let accepted = 0;
    let received = 0;
    let stale = 0;
    let idle: Timer | undefined;
    const cut = (why: string): void => {
      this.opts.metrics?.messagesDropped.inc({ reason: "sync_no_progress" });
      this.opts.log.warn({ event: "sync_peer_dropped", peer: target, accepted, stale, why }, "sync peer cut off: it feeds no new verified rounds");
      stream.cancel();
    };
    const watchIdle = (): void => {
      idle?.cancel();
      idle = this.opts.clock.setTimeout(() => cut("idle"), this.opts.idleMs ?? SYNC_IDLE_MS);
    };
    watchIdle();
    stream.on("data", (beacon: Beacon) => {
      if (this.running !== stream) return;
      received++;
      const before = this.opts.fromRound();
      if (!this.opts.accept(beacon)) {
        this.opts.log.warn({ event: "sync_rejected", peer: target, round: Number(beacon.round) }, "sync peer sent a beacon that does not verify");
        stream.cancel();
        return;
      }
      if (this.opts.fromRound() > before) {
        accepted++;
        watchIdle();
      } else {
        stale++;
        this.opts.metrics?.messagesDropped.inc({ reason: "wrong_round" });
      }
      // A peer that ignores the response bound or keeps re-sending known rounds holds the slot for nothing.
      if (stale > MAX_STALE_BEACONS || received > MAX_SYNC_ROUNDS + MAX_STALE_BEACONS) cut(stale > MAX_STALE_BEACONS ? "stale" : "too_many");
    });
    const done = (): void => {
      idle?.cancel();
      if (this.running !== stream) return;
      this.running = undefined;
      if (accepted > 0) this.opts.log.info({ event: "sync_done", peer: target, from: Number(from), accepted }, "caught up from peer");
      // A full response: the peer has more, so continue from it.
      if (accepted >= MAX_SYNC_ROUNDS) this.request(target);
    };
    stream.on("error", done);
    stream.on("end", done);
    stream.on("close", done);
  }

  close(): void {
    this.running?.cancel();
    this.running = undefined;
  }

  private randomPeer(): number {
    const r = Math.floor((this.opts.random ?? Math.random)() * (this.opts.nodeCount - 1));
    return r >= this.opts.self ? r + 1 : r;
  }
}
