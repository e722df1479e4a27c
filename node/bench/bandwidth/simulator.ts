// SPDX-License-Identifier: Apache-2.0
/**
 * A discrete-event simulation of one subnet in one process, for the bandwidth benchmark. Every node runs the
 * node's real BeaconEngine; what replaces gRPC is a virtual network that encodes each Envelope with the
 * generated protobuf codec, charges it the framing of framing.ts, delivers it after a per-link latency in
 * per-stream FIFO order, decodes it at the receiver and dispatches it as node.ts does.
 *
 * Time is virtual. Each node is its own machine with one core: a handler starts when the event is due and the
 * node is idle, and keeps the node busy for the CPU time it used here (process.cpuUsage, so other processes on a
 * shared machine do not inflate it; times `cpuScale`), so a 0.2 s recovery delays that node's later events as it
 * would on a real node. Messages leave at the virtual time the handler calls send.
 */
import { BeaconEngine } from "../../src/beacon/engine.js";
import type { GroupSet } from "../../src/beacon/group-set.js";
import type { Clock, Timer } from "../../src/clock.js";
import type { Genesis } from "../../src/config/index.js";
import { NOBLE_ROUND_CRYPTO } from "../../src/crypto/backend/round.js";
import type { SecretShare } from "../../src/crypto/index.js";
import { Envelope, SyncRequest } from "../../src/gen/relaylab/v1/protocol.js";
import { Beacon } from "../../src/gen/relaylab/v1/public.js";
import { silentLogger } from "../../src/log.js";
import { wireBytes } from "../../src/net/framing.js";
import { BeaconStore } from "../../src/store/beacons.js";

/**
 * HTTP/2 HEADERS frames of one SyncChain call on a warm connection (HPACK dynamic table filled), estimated:
 * request HEADERS ~30 B, response HEADERS ~11 B, trailers (grpc-status) ~15 B.
 */
export const SYNC_CALL_HEADER_BYTES = { request: 30, response: 11, trailers: 15 } as const;

/** What a byte was spent on, per node and round. */
export type ByteKind = "shareSent" | "shareReceived" | "beaconSent" | "beaconReceived" | "syncSent" | "syncReceived";

/** Bytes of one node in one round, by kind, and message counts. */
export type RoundBytes = Record<ByteKind, number> & { messagesSent: number; messagesReceived: number };

export interface SimulationOptions {
  readonly genesis: Genesis;
  readonly groups: GroupSet;
  /** Each node's secret shares by group index (absent for a node without shares). */
  readonly shares: readonly ReadonlyMap<number, SecretShare>[];
  /** One-way latency of the stream from → to in ms; must be fixed per pair (streams are FIFO anyway). */
  readonly latencyMs: (from: number, to: number) => number;
  /** Multiplier on measured handler CPU time (0: crypto is free, 1: as fast as this machine). */
  readonly cpuScale: number;
  /** Nodes that never run (crashed before the start): they send nothing and messages to them are not sent. */
  readonly down: ReadonlySet<number>;
  readonly random: () => number;
}

interface QueuedEvent {
  time: number;
  readonly seq: number;
  readonly node: number;
  readonly run: () => void;
  cancelled: boolean;
}

/** Binary min-heap on (time, seq): events due at the same time run in the order they were scheduled. */
class EventQueue {
  private readonly heap: QueuedEvent[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(event: QueuedEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as QueuedEvent, heap[parent] as QueuedEvent)) break;
      [heap[i], heap[parent]] = [heap[parent] as QueuedEvent, heap[i] as QueuedEvent];
      i = parent;
    }
  }

  pop(): QueuedEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l] as QueuedEvent, heap[m] as QueuedEvent)) m = l;
      if (r < heap.length && before(heap[r] as QueuedEvent, heap[m] as QueuedEvent)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m] as QueuedEvent, heap[i] as QueuedEvent];
      i = m;
    }
    return top;
  }
}

function before(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/** CPU time of this process (user + system) in milliseconds. */
function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function emptyRoundBytes(): RoundBytes {
  return { shareSent: 0, shareReceived: 0, beaconSent: 0, beaconReceived: 0, syncSent: 0, syncReceived: 0, messagesSent: 0, messagesReceived: 0 };
}

/** The running simulation: nodes, virtual clock, virtual network and the byte ledger. */
export class Simulation {
  readonly engines: (BeaconEngine | undefined)[] = [];
  readonly stores: BeaconStore[] = [];
  /** ledger[node] maps round → bytes. */
  readonly ledger: Map<bigint, RoundBytes>[] = [];
  /** Virtual time at which each node accepted each round. */
  readonly acceptedAt: Map<bigint, number>[] = [];
  private readonly queue = new EventQueue();
  private readonly busyUntil: number[] = [];
  private readonly streamTail = new Map<number, number>();
  private readonly syncing: boolean[] = [];
  private seq = 0;
  private time = 0;
  private current: { node: number; start: number; t0: number } | undefined;
  /** CPU milliseconds spent inside node handlers, per node. */
  readonly cpuMs: number[] = [];

  constructor(private readonly opts: SimulationOptions) {
    const n = opts.genesis.nodes.length;
    for (let node = 0; node < n; node++) {
      this.ledger.push(new Map());
      this.acceptedAt.push(new Map());
      this.busyUntil.push(0);
      this.syncing.push(false);
      this.cpuMs.push(0);
      const store = new BeaconStore(undefined);
      this.stores.push(store);
      if (opts.down.has(node)) {
        this.engines.push(undefined);
        continue;
      }
      const clock = this.clockOf(node);
      const engine = new BeaconEngine({
        self: node,
        genesis: opts.genesis,
        clock,
        log: silentLogger(),
        metrics: null,
        // The committed results (docs/performance.md §1) charge noble's CPU times.
        crypto: NOBLE_ROUND_CRYPTO,
        store,
        send: (to, envelope) => this.send(node, to, envelope),
        requestSync: (peer) => this.requestSync(node, peer),
        // One epoch for the whole run: the groups and shares dealt by the benchmark.
        epochs: { groupsFor: () => opts.groups, sharesFor: () => opts.shares[node] ?? new Map<number, SecretShare>() },
      });
      engine.subscribe((beacon) => this.acceptedAt[node]?.set(beacon.round, this.nowOf(node)));
      this.engines.push(engine);
    }
  }

  /** Starts every live node's engine at virtual time 0. */
  start(): void {
    this.engines.forEach((engine, node) => {
      if (engine !== undefined) this.schedule(node, 0, () => engine.start());
    });
  }

  /** Runs events until `done()` holds after an event, or the queue is empty, or virtual time passes `limitMs`. */
  runUntil(done: () => boolean, limitMs: number): void {
    for (;;) {
      const event = this.queue.pop();
      if (event === undefined || event.time > limitMs) return;
      if (event.cancelled) continue;
      const busy = this.busyUntil[event.node] ?? 0;
      if (busy > event.time) {
        // The node is still working on an earlier event: this one waits in its input queue.
        event.time = busy;
        this.queue.push(event);
        continue;
      }
      this.time = event.time;
      this.current = { node: event.node, start: event.time, t0: cpuNow() };
      event.run();
      const spent = cpuNow() - this.current.t0;
      this.cpuMs[event.node] = (this.cpuMs[event.node] ?? 0) + spent;
      this.busyUntil[event.node] = event.time + spent * this.opts.cpuScale;
      this.current = undefined;
      if (done()) return;
    }
  }

  /** Current virtual time (of the event being run). */
  get now(): number {
    return this.time;
  }

  stop(): void {
    for (const engine of this.engines) engine?.stop();
  }

  private nowOf(node: number): number {
    const c = this.current;
    if (c === undefined || c.node !== node) return this.time;
    return c.start + (cpuNow() - c.t0) * this.opts.cpuScale;
  }

  private clockOf(node: number): Clock {
    return {
      now: () => this.nowOf(node),
      wallNow: () => 1_700_000_000_000 + this.nowOf(node),
      setTimeout: (fn, ms): Timer => {
        const event = this.schedule(node, this.nowOf(node) + ms, fn);
        return { cancel: () => (event.cancelled = true) };
      },
    };
  }

  private schedule(node: number, time: number, run: () => void): QueuedEvent {
    const event: QueuedEvent = { time, seq: this.seq++, node, run, cancelled: false };
    this.queue.push(event);
    return event;
  }

  private bytesOf(node: number, round: bigint): RoundBytes {
    const rounds = this.ledger[node];
    if (rounds === undefined) throw new RangeError(`no node ${node}`);
    let entry = rounds.get(round);
    if (entry === undefined) {
      entry = emptyRoundBytes();
      rounds.set(round, entry);
    }
    return entry;
  }

  /** One message on the stream from → to, arriving after the link latency and after earlier messages. */
  private deliver(from: number, to: number, run: () => void): void {
    const key = from * 1_000_003 + to;
    const arrival = Math.max(this.nowOf(from) + this.opts.latencyMs(from, to), this.streamTail.get(key) ?? 0);
    this.streamTail.set(key, arrival);
    this.schedule(to, arrival, run);
  }

  /** Transport.send: encode, charge framing, deliver; returns the estimated wire bytes as the transport does. */
  private send(from: number, to: number, envelope: Envelope): number {
    if (to === from || to < 0 || to >= this.engines.length) return 0;
    const bytes = Envelope.encode(envelope).finish();
    const wire = wireBytes(bytes.length);
    if (this.opts.down.has(to)) return wire;
    const isShare = envelope.share !== undefined;
    const round = envelope.share?.round ?? envelope.beacon?.round ?? 0n;
    const sent = this.bytesOf(from, round);
    sent[isShare ? "shareSent" : "beaconSent"] += wire;
    sent.messagesSent++;
    this.deliver(from, to, () => {
      const received = this.bytesOf(to, round);
      received[isShare ? "shareReceived" : "beaconReceived"] += wire;
      received.messagesReceived++;
      // What node.ts's dispatcher does with an envelope the transport decoded and authenticated.
      const decoded = Envelope.decode(bytes);
      const engine = this.engines[to];
      if (decoded.share) engine?.onShare(from, decoded.share, wire);
      else if (decoded.beacon) engine?.onBeacon(from, decoded.beacon);
    });
    return wire;
  }

  /**
   * Syncer.request over SyncChain: one call at a time per node; the peer streams its stored beacons from the
   * requester's open round; the requester hands them to the engine until one is refused. A call costs its
   * HEADERS frames plus each message with gRPC and DATA framing.
   */
  private requestSync(node: number, peer: number | undefined): void {
    if (this.syncing[node] === true) return;
    const count = this.engines.length;
    const target = peer ?? (node + 1 + Math.floor(this.opts.random() * (count - 1))) % count;
    if (this.opts.down.has(target)) return;
    this.syncing[node] = true;
    const fromRound = (this.stores[node]?.latestRound ?? 0n) + 1n;
    const request = wireBytes(SyncRequest.encode({ fromRound, requester: node }).finish().length) + SYNC_CALL_HEADER_BYTES.request;
    this.charge(node, target, fromRound, request);
    this.deliver(node, target, () => {
      const beacons = [...(this.stores[target]?.from(fromRound) ?? [])];
      const replies = beacons.map((b) => ({ beacon: b, wire: wireBytes(Beacon.encode(b).finish().length) }));
      this.charge(target, node, fromRound, SYNC_CALL_HEADER_BYTES.response + SYNC_CALL_HEADER_BYTES.trailers);
      for (const r of replies) this.charge(target, node, r.beacon.round, r.wire);
      this.deliver(target, node, () => {
        this.syncing[node] = false;
        for (const r of replies) if (this.engines[node]?.acceptSynced(r.beacon) !== true) break;
      });
    });
  }

  private charge(from: number, to: number, round: bigint, bytes: number): void {
    const sent = this.bytesOf(from, round);
    sent.syncSent += bytes;
    sent.messagesSent++;
    const received = this.bytesOf(to, round);
    received.syncReceived += bytes;
    received.messagesReceived++;
  }
}
