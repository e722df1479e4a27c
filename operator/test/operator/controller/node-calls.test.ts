// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NODE_BACKOFF_FIRST_MS, NODE_BACKOFF_MAX_MS, NodeCalls, type CallOutcome } from "../../../src/operator/controller/node-calls.js";
import { FakeClock } from "@relaylab/node/fake-clock";

/** A call that settles only when the test says so. */
function pending(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve = (): void => undefined;
  let reject = (_: Error): void => undefined;
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/** Counts outcomes. */
function tally(): CallOutcome<unknown> & { oks: number; failures: number } {
  const t = {
    oks: 0,
    failures: 0,
    ok: () => {
      t.oks++;
    },
    failed: () => {
      t.failures++;
    },
  };
  return t;
}

/** Starts a call that counts how often it ran and settles as `result` says. */
function counted(calls: NodeCalls, address: string, result: () => Promise<void>): { runs: () => number; settled: Promise<void>; outcome: ReturnType<typeof tally> } {
  let runs = 0;
  const outcome = tally();
  const settled = calls.start(
    address,
    "status",
    () => {
      runs++;
      return result();
    },
    outcome,
  );
  return { runs: () => runs, settled, outcome };
}

describe("node calls", () => {
  it("waits for calls that settle within the budget, and hands their value to the outcome", async () => {
    const calls = new NodeCalls(new FakeClock(), 500);
    let seen: number | undefined;
    await calls.within([calls.start("a:1", "status", () => Promise.resolve(7), { ok: (v) => (seen = v), failed: () => assert.fail("no failure") })]);
    assert.equal(seen, 7);
  });

  it("stops waiting for a node that does not answer once the budget ran out, and leaves the call running", async () => {
    const clock = new FakeClock();
    const calls = new NodeCalls(clock, 500);
    const hanging = pending();
    let waited = false;
    const wait = calls.within([counted(calls, "slow:1", () => hanging.promise).settled]).then(() => (waited = true));
    await Promise.resolve();
    clock.advance(499);
    await Promise.resolve();
    assert.equal(waited, false, "still within the budget");
    clock.advance(1);
    await wait;
    const again = counted(calls, "slow:1", () => Promise.resolve());
    assert.equal(again.runs(), 0, "the call still in flight is not started again");
    hanging.resolve();
    await again.settled;
    const next = counted(calls, "slow:1", () => Promise.resolve());
    await next.settled;
    assert.equal(next.runs(), 1, "once it settled, the next one starts");
  });

  it("caps the calls in flight over all addresses; a call over the cap is not made, and is made once a slot frees", async () => {
    const calls = new NodeCalls(new FakeClock(), 500, 3);
    const hanging = [pending(), pending(), pending()];
    const held = hanging.map((h, i) => counted(calls, `node-${i}:1`, () => h.promise));
    assert.deepEqual(
      held.map((c) => c.runs()),
      [1, 1, 1],
    );
    const over = counted(calls, "node-3:1", () => Promise.resolve());
    await over.settled;
    assert.equal(over.runs(), 0, "the fourth call waits for a later reconcile");
    assert.equal(over.outcome.oks + over.outcome.failures, 0, "a call not made has no outcome");
    hanging[0]?.resolve();
    await held[0]?.settled;
    const later = counted(calls, "node-3:1", () => Promise.resolve());
    await later.settled;
    assert.equal(later.runs(), 1);
    assert.equal(later.outcome.oks, 1);
  });

  it("backs off an address after each failure in a row, up to the longest wait, and clears the backoff on success", async () => {
    const clock = new FakeClock();
    const calls = new NodeCalls(clock, 500);
    const fail = (): Promise<void> => Promise.reject(new Error("UNAVAILABLE"));
    let wait = NODE_BACKOFF_FIRST_MS;
    const waits: number[] = [];
    for (let failure = 1; failure <= 6; failure++) {
      const c = counted(calls, "dead:1", fail);
      await c.settled;
      assert.equal(c.runs(), 1, `attempt ${failure} is made`);
      assert.equal(c.outcome.failures, 1);
      clock.advance(wait - 1);
      const early = counted(calls, "dead:1", fail);
      await early.settled;
      assert.equal(early.runs(), 0, `no call ${wait - 1} ms after failure ${failure}`);
      assert.equal(counted(calls, "other:1", () => Promise.resolve()).runs(), 1, "other addresses are not held back");
      clock.advance(1);
      waits.push(wait);
      wait = Math.min(NODE_BACKOFF_MAX_MS, wait * 2);
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 10_000, 10_000]);
    const back = counted(calls, "dead:1", () => Promise.resolve());
    await back.settled;
    assert.equal(back.outcome.oks, 1);
    const fails = counted(calls, "dead:1", fail);
    await fails.settled;
    clock.advance(NODE_BACKOFF_FIRST_MS);
    const retried = counted(calls, "dead:1", () => Promise.resolve());
    await retried.settled;
    assert.equal(retried.runs(), 1, "after a success the next failure waits the first backoff again");
  });

  it("forgets the backoff of the addresses it is told to (a deleted Subnet's)", async () => {
    const clock = new FakeClock();
    const calls = new NodeCalls(clock, 500);
    await counted(calls, "a.gone.svc:1", () => Promise.reject(new Error("down"))).settled;
    await counted(calls, "b.kept.svc:1", () => Promise.reject(new Error("down"))).settled;
    calls.forget((address) => address.includes(".gone."));
    assert.equal(counted(calls, "a.gone.svc:1", () => Promise.resolve()).runs(), 1);
    assert.equal(counted(calls, "b.kept.svc:1", () => Promise.resolve()).runs(), 0);
  });
});
