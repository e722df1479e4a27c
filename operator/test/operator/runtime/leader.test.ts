// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { LeaderElector, LeadershipLostError, microTime } from "../../../src/operator/runtime/leader.js";
import { FakeKube } from "../../fake-kube.js";
import { waitFor } from "@relaylab/node/wait";
import { FakeClock } from "@relaylab/node/fake-clock";
import { POLL_FAST, settle } from "../../settle.js";
import { testLog } from "../../log.js";

const elector = (kube: FakeKube, clock: FakeClock, identity: string) =>
  new LeaderElector({ api: kube, namespace: "ops", identity, clock, log: testLog, metrics: null, leaseDurationMs: 15000, renewDeadlineMs: 10000, retryPeriodMs: 2000 });

describe("LeaderElector", () => {
  it("formats Lease times with microseconds", () => {
    assert.equal(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), "2026-01-02T03:04:05.678000Z");
  });

  it("lets one of two candidates lead; the other takes over only after the lease expires", async () => {
    const kube = new FakeKube();
    const clock = new FakeClock();
    const a = elector(kube, clock, "a");
    const b = elector(kube, clock, "b");
    assert.equal(await a.tryAcquireOrRenew(), true);
    assert.equal(await b.tryAcquireOrRenew(), false);
    clock.advance(10_000);
    assert.equal(await a.tryAcquireOrRenew(), true, "the holder renews");
    clock.advance(10_000);
    assert.equal(await b.tryAcquireOrRenew(), false, "renewed 10 s ago: not expired");
    clock.advance(16_000);
    assert.equal(await b.tryAcquireOrRenew(), true, "no renewal for longer than the lease duration");
    const lease = kube.find("coordination.k8s.io/v1", "Lease", "relaylab-operator", "ops") as unknown as { spec: { holderIdentity: string; leaseTransitions: number } };
    assert.equal(lease.spec.holderIdentity, "b");
    assert.equal(lease.spec.leaseTransitions, 1);
    assert.equal(await a.tryAcquireOrRenew(), false, "the old leader sees it lost");
  });

  it("runs the leader's work, steps down when renewal fails past the deadline, and releases on shutdown", async () => {
    const kube = new FakeKube();
    const clock = new FakeClock();
    let leading: AbortSignal | undefined;
    const stop = new AbortController();
    const run = elector(kube, clock, "a").run(stop.signal, async (signal) => {
      leading = signal;
      await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
    });
    const outcome = run.then(
      () => undefined,
      (err: unknown) => err,
    );
    await waitFor("leading", () => leading !== undefined, POLL_FAST);
    kube.interceptor = (_op, kind) => (kind === "Lease" ? new Error("api down") : undefined);
    for (let i = 0; i < 6 && leading?.aborted !== true; i++) {
      await waitFor("renew timer", () => clock.pending >= 1, POLL_FAST);
      clock.advance(2000);
      await settle();
    }
    assert.ok((await outcome) instanceof LeadershipLostError);
    assert.equal(leading?.aborted, true, "the leader's work was told to stop");

    // A clean shutdown releases the lease so the next replica need not wait for expiry.
    kube.interceptor = undefined;
    const kube2 = new FakeKube();
    const clock2 = new FakeClock();
    const stop2 = new AbortController();
    let started = false;
    const run2 = elector(kube2, clock2, "x").run(stop2.signal, async (signal) => {
      started = true;
      await new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true }));
    });
    await waitFor("x leads", () => started, POLL_FAST);
    stop2.abort();
    await run2;
    const lease = kube2.find("coordination.k8s.io/v1", "Lease", "relaylab-operator", "ops") as unknown as { spec: { holderIdentity: string } };
    assert.equal(lease.spec.holderIdentity, "");
    assert.equal(await elector(kube2, clock2, "y").tryAcquireOrRenew(), true, "released lease is free at once");
    stop.abort();
  });
});
