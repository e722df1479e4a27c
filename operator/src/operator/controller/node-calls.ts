// SPDX-License-Identifier: Apache-2.0
/**
 * Calls to the nodes' Public and Control APIs without holding a reconcile up. A node that is not
 * up yet (or a pod name that does not resolve from where the operator runs) answers only at the
 * call's deadline, and a reconcile that awaited every node spent seconds waiting while the
 * operator sat idle (bench:operator measured 5 s per reconcile). So a reconcile waits at most a
 * short budget: calls go on in the background, one per address and purpose at a time, and what
 * they learn (a node's status, a successful fault push) is there for the next reconcile.
 */
import { sleep, type Clock } from "@relaylab/node/clock";

/** How long a reconcile waits for node calls before it goes on with what it knows. */
export const NODE_CALL_BUDGET_MS = 100;

export class NodeCalls {
  readonly #clock: Clock;
  readonly #budgetMs: number;
  readonly #inFlight = new Map<string, Promise<void>>();

  constructor(clock: Clock, budgetMs = NODE_CALL_BUDGET_MS) {
    this.#clock = clock;
    this.#budgetMs = budgetMs;
  }

  /** Starts `call` unless a call with the same key is still running; settles when that call does. */
  start(key: string, call: () => Promise<void>): Promise<void> {
    const running = this.#inFlight.get(key);
    if (running !== undefined) return running;
    const started = call().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }

  /** Waits until every call settled or the budget ran out, whichever comes first. */
  async within(calls: readonly Promise<void>[]): Promise<void> {
    const stop = new AbortController();
    await Promise.race([Promise.allSettled(calls), sleep(this.#clock, this.#budgetMs, stop.signal)]);
    stop.abort();
  }
}
