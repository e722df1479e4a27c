// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NodeCalls } from "../../../src/operator/controller/node-calls.js";
import { FakeClock } from "@relaylab/node/fake-clock";

/** A call that settles only when the test says so. */
function pending(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("node calls", () => {
  it("waits for calls that settle within the budget", async () => {
    const calls = new NodeCalls(new FakeClock(), 500);
    let done = false;
    await calls.within([calls.start("a", () => Promise.resolve().then(() => void (done = true)))]);
    assert.equal(done, true);
  });

  it("stops waiting for a node that does not answer once the budget ran out, and leaves the call running", async () => {
    const clock = new FakeClock();
    const calls = new NodeCalls(clock, 500);
    const hanging = pending();
    let waited = false;
    const wait = calls.within([calls.start("slow", () => hanging.promise)]).then(() => (waited = true));
    await Promise.resolve();
    clock.advance(499);
    await Promise.resolve();
    assert.equal(waited, false, "still within the budget");
    clock.advance(1);
    await wait;
    let started = 0;
    void calls.start("slow", () => {
      started++;
      return Promise.resolve();
    });
    assert.equal(started, 0, "the call still in flight is not started again");
    hanging.resolve();
    await hanging.promise;
    await Promise.resolve();
    await calls.start("slow", () => {
      started++;
      return Promise.resolve();
    });
    assert.equal(started, 1, "once it settled, the next one starts");
  });
});
