// SPDX-License-Identifier: Apache-2.0
/**
 * Catch-up over Protocol.SyncChain: stream stored beacons from a peer starting at our open round and
 * hand each to the engine, which verifies it before accepting; the first one that fails ends the sync.
 * One sync at a time; a failed or fruitless sync is retried from another peer on the next request.
 */
import type * as grpc from "@grpc/grpc-js";
import type { FaultController } from "../faults/controller.js";
import { ProtocolService, type SyncRequest } from "../gen/relaylab/v1/protocol.js";
import { Beacon } from "../gen/relaylab/v1/public.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/registry.js";
import { wireBytes } from "./framing.js";

/** A sync that has not finished by then is cancelled (its accepted beacons stay accepted). */
const SYNC_DEADLINE_MS = 60_000;

export interface SyncOptions {
  readonly self: number;
  readonly nodeCount: number;
  readonly clientFor: (peer: number) => grpc.Client;
  readonly fromRound: () => bigint;
  readonly accept: (beacon: Beacon) => boolean;
  /** Injected faults: a partitioned, lossy or paused link gets no sync either. */
  readonly faults: FaultController;
  readonly log: Logger;
  readonly metrics: Metrics | null;
  readonly random?: () => number;
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
      this.opts.metrics?.p2pBytes.inc({ direction: "received", message: "sync" }, wireBytes(b.length));
      return Beacon.decode(b);
    }, { fromRound: from, requester: this.opts.self }, { deadline: Date.now() + SYNC_DEADLINE_MS });
    this.running = stream;
    let accepted = 0;
    stream.on("data", (beacon: Beacon) => {
      if (this.opts.accept(beacon)) {
        accepted++;
        return;
      }
      this.opts.log.warn({ event: "sync_rejected", peer: target, round: Number(beacon.round) }, "sync peer sent a beacon that does not verify");
      stream.cancel();
    });
    const done = (): void => {
      if (this.running !== stream) return;
      this.running = undefined;
      if (accepted > 0) this.opts.log.info({ event: "sync_done", peer: target, from: Number(from), accepted }, "caught up from peer");
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
