// SPDX-License-Identifier: Apache-2.0
// sleep() on an injected clock: it resolves when the clock passes the delay, and at once on abort.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sleep } from "../src/clock.js";
import { FakeClock } from "../src/testing/fake-clock.js";

test("sleep resolves when the clock passes the delay, not before", async () => {
  const clock = new FakeClock(0);
  let done = false;
  const slept = sleep(clock, 1000).then(() => (done = true));
  clock.advance(999);
  await Promise.resolve();
  assert.equal(done, false);
  clock.advance(1);
  await slept;
  assert.equal(done, true);
});

test("sleep ends early, without rejecting, when its signal aborts (and at once if already aborted)", async () => {
  const clock = new FakeClock(0);
  const abort = new AbortController();
  const slept = sleep(clock, 60_000, abort.signal);
  abort.abort();
  await slept;
  await sleep(clock, 60_000, AbortSignal.abort());
});
