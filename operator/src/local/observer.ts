// SPDX-License-Identifier: Apache-2.0
/**
 * Follows every node of a testnet through its Public API: a beacon stream and a finalized-block
 * stream per node (each resumed after restarts and crashes) feeding the verifier's ledgers, plus a
 * periodic Status poll for stalls, readiness and finalized height.
 */
import { EventEmitter } from "node:events";
import type { ClientReadableStream } from "@grpc/grpc-js";
import { type Beacon, type FinalizedBlock, NodeClient, type NodeStatus } from "@relaylab/node/client";
import { warmUpVerify } from "@relaylab/node/beacon";
import { FinalityLedger } from "./finality.js";
import { BeaconLedger, type RoundRecord, type Violation } from "./ledger.js";
import type { NodeEndpoints } from "./run-dir.js";

export interface ObserverOptions {
  readonly statusIntervalMs?: number;
  readonly now?: () => number;
}

/** One server stream of a node, reopened after errors and ends from where it left off. */
interface Watch<T> {
  stream: ClientReadableStream<T> | undefined;
  backoffMs: number;
}

/** Reconnect backoff of a node's streams: doubles from this after each failure, reset by data. */
const INITIAL_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 2000;
/** The channels' own reconnect backoff: a node that opens its port is followed within about this much. */
const FOLLOW = { initialMs: 100, maxMs: 1000 };

interface Follow {
  readonly api: NodeClient;
  lastRound: bigint;
  lastHeight: bigint;
  readonly beacons: Watch<Beacon>;
  readonly finalized: Watch<FinalizedBlock>;
  /** Beacons are checked in arrival order per node; group-set fetches may interleave. */
  queue: Promise<void>;
  readonly epochsFetched: Set<bigint>;
}

export class TestnetObserver extends EventEmitter<{ round: [RoundRecord]; violation: [Violation]; status: [] }> {
  readonly ledger: BeaconLedger;
  readonly finality = new FinalityLedger();
  readonly statuses = new Map<number, NodeStatus>();
  readonly #follows = new Map<number, Follow>();
  readonly #now: () => number;
  readonly #statusIntervalMs: number;
  #statusTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(endpoints: readonly NodeEndpoints[], seedHex: string, options: ObserverOptions = {}) {
    super();
    this.ledger = new BeaconLedger(seedHex);
    this.#now = options.now ?? (() => performance.now());
    this.#statusIntervalMs = options.statusIntervalMs ?? 1000;
    for (const e of endpoints) {
      this.#follows.set(e.index, {
        api: new NodeClient({ public: e.grpc, certificate: e.certificate }, { follow: FOLLOW }),
        lastRound: 0n,
        lastHeight: 0n,
        beacons: { stream: undefined, backoffMs: INITIAL_BACKOFF_MS },
        finalized: { stream: undefined, backoffMs: INITIAL_BACKOFF_MS },
        queue: Promise.resolve(),
        epochsFetched: new Set(),
      });
    }
  }

  start(): void {
    // Runs while the nodes start, which take seconds to their first beacon; the check of round 1 is then quick.
    setImmediate(() => {
      if (!this.#stopped) warmUpVerify();
    });
    for (const [index, f] of this.#follows) {
      this.#watch(f.beacons, () => f.api.watchBeacons(f.lastRound + 1n), (beacon) => {
        if (beacon.round > f.lastRound) f.lastRound = beacon.round;
        f.queue = f.queue.then(() => this.#check(index, f, beacon)).catch(() => undefined);
      });
      this.#watch(f.finalized, () => f.api.watchFinalized(f.lastHeight + 1n), (block) => {
        if (block.height > f.lastHeight) f.lastHeight = block.height;
        const v = this.finality.add(index, block);
        if (v) this.emit("violation", v);
      });
    }
    const poll = () => {
      void this.#pollStatus().finally(() => {
        if (!this.#stopped) this.#statusTimer = setTimeout(poll, this.#statusIntervalMs);
      });
    };
    poll();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#statusTimer);
    for (const f of this.#follows.values()) {
      f.beacons.stream?.cancel();
      f.finalized.stream?.cancel();
      f.api.close();
    }
  }

  /** Resolves once `predicate` holds (checked after every round and status update), or rejects at the deadline. */
  waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off("round", check);
        this.off("status", check);
      };
      this.on("round", check);
      this.on("status", check);
    });
  }

  /** Highest round verified by the runner. */
  get round(): number {
    return this.ledger.highestRound;
  }

  /** Every safety violation found so far: the beacon chain's, then finality's. */
  get violations(): readonly Violation[] {
    return [...this.ledger.violations, ...this.finality.violations];
  }

  #watch<T>(w: Watch<T>, open: () => ClientReadableStream<T>, onData: (item: T) => void): void {
    if (this.#stopped) return;
    const stream = open();
    w.stream = stream;
    stream.on("data", (item: T) => {
      w.backoffMs = INITIAL_BACKOFF_MS;
      onData(item);
    });
    const retry = () => {
      if (w.stream !== stream) return;
      w.stream = undefined;
      if (this.#stopped) return;
      setTimeout(() => this.#watch(w, open, onData), w.backoffMs).unref();
      w.backoffMs = Math.min(w.backoffMs * 2, MAX_BACKOFF_MS);
    };
    stream.on("error", retry);
    stream.on("end", retry);
  }

  async #check(index: number, f: Follow, beacon: Beacon): Promise<void> {
    if (!f.epochsFetched.has(beacon.epoch)) {
      const set = await f.api.groups(beacon.epoch);
      f.epochsFetched.add(beacon.epoch);
      const v = this.ledger.addGroupSet(index, set);
      if (v) this.emit("violation", v);
    }
    const before = this.ledger.round(Number(beacon.round));
    const violation = this.ledger.add(index, beacon, this.#now());
    if (violation) this.emit("violation", violation);
    const rec = this.ledger.round(Number(beacon.round));
    if (!before && rec) this.emit("round", rec);
  }

  async #pollStatus(): Promise<void> {
    await Promise.all(
      [...this.#follows].map(async ([index, f]) => {
        try {
          this.statuses.set(index, await f.api.status({ deadlineMs: 2000 }));
        } catch {
          this.statuses.delete(index);
        }
      }),
    );
    this.emit("status");
  }
}
