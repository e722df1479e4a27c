// SPDX-License-Identifier: Apache-2.0
// Sync and watch streams respect backpressure and bounds: a response carries at most MAX_SYNC_ROUNDS beacons
// (continued by a new request), a reader that stops reading costs a bounded buffer, and a sync peer that feeds
// no new verified round (silent, or re-sending known rounds) loses the sync slot and is counted.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { after, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { Registry } from "prom-client";
import { systemClock } from "../../src/clock.js";
import { FaultController } from "../../src/faults/controller.js";
import { ProtocolService, type SyncRequest } from "../../src/gen/relaylab/v1/protocol.js";
import type { Beacon } from "../../src/gen/relaylab/v1/public.js";
import { silentLogger } from "../../src/log.js";
import { NODE_METRICS } from "../../src/metrics/names.js";
import { createMetrics } from "../../src/metrics/registry.js";
import { publicService } from "../../src/net/public-service.js";
import { MAX_STALE_BEACONS, MAX_SYNC_ROUNDS, Syncer, syncChainHandler } from "../../src/net/sync.js";
import { BeaconStore } from "../../src/store/beacons.js";
import { sample } from "../harness/metrics.js";
import { waitFor } from "../harness/wait.js";

const beacon = (round: bigint): Beacon => ({ round, signature: new Uint8Array(48).fill(Number(round % 256n)), previousSignature: new Uint8Array(48), group: 0, epoch: 0n });

function storeWith(rounds: number): BeaconStore {
  const store = new BeaconStore(undefined);
  for (let r = 1n; r <= BigInt(rounds); r++) store.append(beacon(r));
  return store;
}

/** A server stream that holds `room` unread messages, like grpc-js's object-mode Writable (16). */
class SlowCall<T> extends EventEmitter {
  readonly buffered: T[] = [];
  readonly delivered: T[] = [];
  cancelled = false;
  destroyed = false;
  writableEnded = false;
  constructor(
    readonly request: { fromRound: bigint; requester: number },
    private readonly room = 16,
  ) {
    super();
  }
  write(item: T): boolean {
    this.buffered.push(item);
    return this.buffered.length < this.room;
  }
  end(): void {
    this.writableEnded = true;
    this.emit("finish");
  }
  /** The client reads everything buffered. */
  read(): void {
    this.delivered.push(...this.buffered.splice(0));
    this.emit("drain");
  }
  cancel(): void {
    this.cancelled = true;
    this.emit("cancelled");
  }
}

/** A fault controller with no fault set: every link is up. */
const noFaults = (): FaultController => new FaultController(() => "dc-a", systemClock, silentLogger(), createMetrics(new Registry()));

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("serving streams with backpressure", () => {
  it("SyncChain writes only while the stream has room, and at most MAX_SYNC_ROUNDS beacons", async () => {
    const call = new SlowCall<Beacon>({ fromRound: 1n, requester: 1 });
    syncChainHandler({ store: storeWith(MAX_SYNC_ROUNDS * 3), faults: noFaults() })(call as unknown as grpc.ServerWritableStream<SyncRequest, Beacon>);
    await settle();
    assert.equal(call.buffered.length, 16, "the handler wrote past a full stream");
    for (let i = 0; i < 1000 && !call.writableEnded; i++) {
      call.read();
      await settle();
    }
    call.read();
    assert.ok(call.writableEnded, "the response never ended");
    assert.deepEqual(call.delivered.map((b) => b.round), Array.from({ length: MAX_SYNC_ROUNDS }, (_, i) => BigInt(i + 1)));
  });

  it("WatchBeacons replays and follows the chain at the reader's pace, and lets go when cancelled", async () => {
    const store = storeWith(100);
    const listeners = new Set<(b: Beacon) => void>();
    const engine = {
      subscribe: (l: (b: Beacon) => void) => {
        listeners.add(l);
        return () => void listeners.delete(l);
      },
    };
    const handlers = publicService({ engine, store, status: () => { throw new Error("unused"); }, groupsOf: () => undefined });
    const call = new SlowCall<Beacon>({ fromRound: 5n, requester: 0 });
    handlers.watchBeacons(call as unknown as Parameters<typeof handlers.watchBeacons>[0]);
    await settle();
    assert.equal(call.buffered.length, 16, "the handler wrote past a full stream");
    for (let i = 0; i < 100 && call.delivered.length + call.buffered.length < 96; i++) {
      call.read();
      await settle();
    }
    call.read();
    assert.equal(call.delivered.length, 96);
    // Live: a new beacon wakes the writer.
    store.append(beacon(101n));
    for (const l of listeners) l(beacon(101n));
    await settle();
    call.read();
    assert.deepEqual(call.delivered.map((b) => b.round), Array.from({ length: 97 }, (_, i) => BigInt(i + 5)));
    call.cancel();
    await settle();
    assert.equal(listeners.size, 0, "a cancelled watch stayed subscribed");
  });
});

describe("the sync client against real gRPC servers", () => {
  const servers: grpc.Server[] = [];
  const clients: grpc.Client[] = [];
  after(() => {
    for (const c of clients) c.close();
    for (const s of servers) s.forceShutdown();
  });

  async function serve(handler: (call: grpc.ServerWritableStream<SyncRequest, Beacon>) => void): Promise<{ client: grpc.Client; calls: () => number }> {
    let calls = 0;
    const server = new grpc.Server();
    server.addService({ syncChain: ProtocolService.syncChain }, {
      syncChain: (call: grpc.ServerWritableStream<SyncRequest, Beacon>) => {
        calls++;
        handler(call);
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    servers.push(server);
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    clients.push(client);
    return { client, calls: () => calls };
  }

  function syncer(client: grpc.Client, local: BeaconStore, idleMs?: number): { syncer: Syncer; registry: Registry } {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    const log = silentLogger();
    const faults = new FaultController(() => "dc-a", systemClock, log, metrics);
    const syncer = new Syncer({
      self: 0,
      nodeCount: 2,
      clientFor: () => client,
      fromRound: () => local.latestRound + 1n,
      // Stands in for the engine: the next round is accepted, an older one is "already have it".
      accept: (b) => {
        if (b.round === local.latestRound + 1n) local.append(b);
        return b.round <= local.latestRound;
      },
      clock: systemClock,
      faults,
      log,
      metrics,
      ...(idleMs !== undefined ? { idleMs } : {}),
    });
    return { syncer, registry };
  }

  it("catches up a long chain in bounded responses, continuing while responses are full", async () => {
    const remote = storeWith(MAX_SYNC_ROUNDS * 2 + 10);
    const { client, calls } = await serve(syncChainHandler({ store: remote, faults: noFaults() }));
    const local = new BeaconStore(undefined);
    const { syncer: s } = syncer(client, local);
    s.request(1);
    await waitFor("the whole chain to sync", () => (local.latestRound === remote.latestRound ? true : undefined), { timeoutMs: 60_000, intervalMs: 20 });
    assert.equal(calls(), 3, "a response carried more than MAX_SYNC_ROUNDS beacons, or was not continued");
    s.close();
  });

  it("cuts off a peer that re-sends rounds this node already has, and frees the slot", async () => {
    const known = beacon(1n);
    const { client, calls } = await serve((call) => {
      // Endless old rounds, paced by the reader: without the stale bound this holds the slot for the whole deadline.
      const pump = (): void => {
        while (!call.cancelled && call.write(known));
      };
      call.on("drain", pump);
      pump();
    });
    const local = storeWith(5);
    const { syncer: s, registry } = syncer(client, local);
    s.request(1);
    await waitFor("the stale peer to be cut off", async () => (sample(await registry.metrics(), NODE_METRICS.messagesDropped, { reason: "sync_no_progress" }) === 1 ? true : undefined), { timeoutMs: 60_000, intervalMs: 20 });
    assert.ok(sample(await registry.metrics(), NODE_METRICS.messagesDropped, { reason: "wrong_round" }) > MAX_STALE_BEACONS);
    s.request(1);
    await waitFor("a second sync to start", () => (calls() === 2 ? true : undefined), { timeoutMs: 60_000, intervalMs: 20 });
    s.close();
  });

  it("cuts off a peer that holds the stream open without sending", async () => {
    const { client, calls } = await serve(() => undefined);
    const local = storeWith(5);
    const { syncer: s, registry } = syncer(client, local, 200);
    s.request(1);
    await waitFor("the silent peer to be cut off", async () => (sample(await registry.metrics(), NODE_METRICS.messagesDropped, { reason: "sync_no_progress" }) === 1 ? true : undefined), { timeoutMs: 60_000, intervalMs: 20 });
    s.request(1);
    await waitFor("a second sync to start", () => (calls() === 2 ? true : undefined), { timeoutMs: 60_000, intervalMs: 20 });
    s.close();
  });
});
