// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { WorkQueue } from "../../../src/operator/runtime/queue.js";
import { BucketRateLimiter, ItemExponentialRateLimiter, defaultControllerRateLimiter } from "../../../src/operator/runtime/ratelimiter.js";
import { FakeClock } from "@relaylab/node/fake-clock";

const newQueue = (clock = new FakeClock()) => new WorkQueue(clock, new ItemExponentialRateLimiter(5, 1000));

describe("WorkQueue", () => {
  it("de-duplicates keys waiting in the queue", async () => {
    const q = newQueue();
    q.add("a");
    q.add("b");
    q.add("a");
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), "a");
    assert.equal(await q.get(), "b");
    assert.equal(q.len(), 0);
  });

  it("never hands a key in process to a second worker, and re-queues it on done if added meanwhile", async () => {
    const q = newQueue();
    q.add("a");
    const key = await q.get();
    assert.equal(key, "a");
    q.add("a");
    assert.equal(q.len(), 0, "a key being processed is not queued again");
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await Promise.resolve();
    assert.equal(second, undefined);
    q.done("a");
    await Promise.resolve();
    assert.equal(second, "a");
  });

  it("does not re-queue on done when the key was not added meanwhile", async () => {
    const q = newQueue();
    q.add("a");
    q.done((await q.get())!);
    assert.equal(q.len(), 0);
  });

  it("delays addAfter and keeps only the earliest pending delay per key", async () => {
    const clock = new FakeClock();
    const q = newQueue(clock);
    q.addAfter("a", 100);
    q.addAfter("a", 50);
    q.addAfter("a", 500);
    assert.equal(clock.pending, 1);
    clock.advance(49);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), "a");
  });

  it("backs off exponentially per key on addRateLimited and resets on forget", () => {
    const clock = new FakeClock();
    const limiter = new ItemExponentialRateLimiter(5, 1000);
    const q = new WorkQueue(clock, limiter);
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9].map(() => limiter.when("x"));
    assert.deepEqual(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000]);
    assert.equal(q.numRequeues("x"), 9);
    q.forget("x");
    assert.equal(q.numRequeues("x"), 0);
    q.addRateLimited("y");
    clock.advance(4);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.equal(q.len(), 1);
  });

  it("hands undefined to waiting getters on shutdown and drops delayed adds", async () => {
    const clock = new FakeClock();
    const q = newQueue(clock);
    q.addAfter("late", 10);
    const waiting = q.get();
    q.shutDown();
    assert.equal(await waiting, undefined);
    clock.advance(20);
    assert.equal(q.len(), 0);
    q.add("x");
    assert.equal(await q.get(), undefined);
  });

  it("reports depth changes for the queue-depth gauge", async () => {
    const depths: number[] = [];
    const q = new WorkQueue(new FakeClock(), new ItemExponentialRateLimiter(), (d) => depths.push(d));
    q.add("a");
    q.add("b");
    await q.get();
    assert.deepEqual(depths, [1, 2, 1]);
  });
});

describe("rate limiters", () => {
  it("token bucket allows the burst, then spaces requests at qps", () => {
    const clock = new FakeClock();
    const bucket = new BucketRateLimiter(clock, 50, 300);
    for (let i = 0; i < 300; i++) assert.equal(bucket.when(), 0);
    assert.equal(bucket.when(), 20);
    assert.equal(bucket.when(), 40);
    clock.advance(1000);
    assert.equal(bucket.when(), 0);
  });

  it("the default limiter takes the larger of per-item backoff and the bucket", () => {
    const limiter = defaultControllerRateLimiter(new FakeClock());
    assert.equal(limiter.when("k"), 5);
    assert.equal(limiter.when("k"), 10);
    assert.equal(limiter.retries("k"), 2);
  });
});
