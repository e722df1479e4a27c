// SPDX-License-Identifier: Apache-2.0
/**
 * Follows every node of a testnet through its Public API: a beacon stream per node (resumed
 * after restarts and crashes) feeding the verifier's ledger, plus a periodic Status poll for
 * stalls, readiness and finalized height.
 */
import { EventEmitter } from "node:events";
import type { ClientReadableStream } from "@grpc/grpc-js";
import { type Beacon, NodeClient, type NodeStatus } from "@relaylab/node/client";
import { BeaconLedger, type RoundRecord, type Violation } from "./ledger.js";
import type { NodeEndpoints } from "./run-dir.js";

export interface ObserverOptions {
  readonly statusIntervalMs?: number;
  readonly now?: () => number;
}

interface Follow {
  readonly api: NodeClient;
  lastRound: bigint;
  stream: ClientReadableStream<Beacon> | undefined;
  backoffMs: number;
  /** Beacons are checked in arrival order per node; group-set fetches may interleave. */
  queue: Promise<void>;
  readonly epochsFetched: Set<bigint>;
}

export class TestnetObserver extends EventEmitter<{ round: [RoundRecord]; violation: [Violation]; status: [] }> {
  readonly ledger: BeaconLedger;
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
      this.#follows.set(e.index, { api: new NodeClient({ public: e.grpc }), lastRound: 0n, stream: undefined, backoffMs: 250, queue: Promise.resolve(), epochsFetched: new Set() });
    }
  }

  start(): void {
    for (const index of this.#follows.keys()) this.#connect(index);
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
      f.stream?.cancel();
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

  #connect(index: number): void {
    const f = this.#follows.get(index);
    if (!f || this.#stopped) return;
    const stream = f.api.watchBeacons(f.lastRound + 1n);
    f.stream = stream;
    stream.on("data", (beacon: Beacon) => {
      f.backoffMs = 250;
      if (beacon.round > f.lastRound) f.lastRound = beacon.round;
      f.queue = f.queue.then(() => this.#check(index, f, beacon)).catch(() => undefined);
    });
    const retry = () => {
      if (f.stream !== stream) return;
      f.stream = undefined;
      if (this.#stopped) return;
      setTimeout(() => this.#connect(index), f.backoffMs).unref();
      f.backoffMs = Math.min(f.backoffMs * 2, 2000);
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
