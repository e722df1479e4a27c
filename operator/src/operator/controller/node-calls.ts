// SPDX-License-Identifier: Apache-2.0
/**
 * Calls to the nodes' Public and Control APIs without holding a reconcile up. A node that is not
 * up yet (or a pod name that does not resolve from where the operator runs) answers only at the
 * call's deadline, and a reconcile that awaited every node spent seconds waiting while the
 * operator sat idle (bench:operator measured 5 s per reconcile). So a reconcile waits at most a
 * short budget: calls go on in the background, one per address and purpose at a time, and what
 * they learn (a node's status, a successful fault push) is there for the next reconcile.
 *
 * Nodes that do not answer must not size the operator either. Every gRPC call waiting on a name
 * that does not resolve yet stays queued in its channel until the resolver answers, so 50 Subnets
 * of 16 pods that never answer, asked again at every reconcile, grew the heap by about 170 MiB in
 * bench:operator. Hence a cap on the calls in flight across all Subnets, and a backoff per address
 * after a failure: a call refused by either is simply not made, and a later reconcile asks again.
 */
import { sleep, type Clock } from "@relaylab/node/clock";

/** How long a reconcile waits for node calls before it goes on with what it knows. */
export const NODE_CALL_BUDGET_MS = 100;
/** Calls in flight at once, over every Subnet; answering nodes reply in milliseconds, so this bounds only the silent ones. */
export const MAX_NODE_CALLS_IN_FLIGHT = 64;
/** First wait after a failed call to an address; it doubles with each failure in a row. */
export const NODE_BACKOFF_FIRST_MS = 1000;
/** Longest wait: a node that comes back (a restarted pod) is seen again within this. */
export const NODE_BACKOFF_MAX_MS = 10_000;

/** What to do with a call's outcome. */
export interface CallOutcome<T> {
  ok(value: T): void;
  failed(err: unknown): void;
}

interface Backoff {
  failures: number;
  retryAtMs: number;
}

export class NodeCalls {
  readonly #clock: Clock;
  readonly #budgetMs: number;
  readonly #maxInFlight: number;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #backoff = new Map<string, Backoff>();

  constructor(clock: Clock, budgetMs = NODE_CALL_BUDGET_MS, maxInFlight = MAX_NODE_CALLS_IN_FLIGHT) {
    this.#clock = clock;
    this.#budgetMs = budgetMs;
    this.#maxInFlight = maxInFlight;
  }

  /**
   * Calls `address` for `purpose` unless such a call is still running (then it waits for that
   * one), the address is backing off after a failure, or the cap is reached; settles once the
   * outcome was handled, and never rejects.
   */
  start<T>(address: string, purpose: string, call: () => Promise<T>, outcome: CallOutcome<T>): Promise<void> {
    const key = `${purpose} ${address}`;
    const running = this.#inFlight.get(key);
    if (running !== undefined) return running;
    const backoff = this.#backoff.get(address);
    if (backoff !== undefined && this.#clock.now() < backoff.retryAtMs) return Promise.resolve();
    if (this.#inFlight.size >= this.#maxInFlight) return Promise.resolve();
    const started = call()
      .then(
        (value) => {
          this.#backoff.delete(address);
          outcome.ok(value);
        },
        (err: unknown) => {
          const failures = (this.#backoff.get(address)?.failures ?? 0) + 1;
          const waitMs = Math.min(NODE_BACKOFF_MAX_MS, NODE_BACKOFF_FIRST_MS * 2 ** (failures - 1));
          this.#backoff.set(address, { failures, retryAtMs: this.#clock.now() + waitMs });
          outcome.failed(err);
        },
      )
      .finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }

  /** Forgets the backoff of the addresses `match` selects (a deleted Subnet's). */
  forget(match: (address: string) => boolean): void {
    for (const address of this.#backoff.keys()) if (match(address)) this.#backoff.delete(address);
  }

  /** Waits until every call settled or the budget ran out, whichever comes first. */
  async within(calls: readonly Promise<void>[]): Promise<void> {
    const stop = new AbortController();
    await Promise.race([Promise.allSettled(calls), sleep(this.#clock, this.#budgetMs, stop.signal)]);
    stop.abort();
  }
}
