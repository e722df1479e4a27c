// SPDX-License-Identifier: Apache-2.0
import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Informer } from "../../../src/operator/runtime/informer.js";
import type { KubeObject } from "../../../src/operator/runtime/kube.js";
import { FakeKube } from "../../fake-kube.js";
import { waitFor } from "@relaylab/node/wait";
import { FakeClock } from "@relaylab/node/fake-clock";
import { POLL_FAST } from "../../settle.js";
import { testLog } from "../../log.js";

const cm = (name: string, value: string): KubeObject & { data: Record<string, string> } => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "ns" },
  data: { value },
});

describe("Informer", () => {
  let stop = new AbortController();
  afterEach(() => stop.abort());

  function start(kube: FakeKube, clock = new FakeClock()) {
    stop = new AbortController();
    const inf = new Informer<KubeObject>({ api: kube, apiVersion: "v1", kind: "ConfigMap", clock, log: testLog });
    const seen: string[] = [];
    let resyncs = 0;
    inf.on({
      onAdd: (o) => seen.push(`add ${o.metadata.name ?? ""}`),
      onUpdate: (o) => seen.push(`update ${o.metadata.name ?? ""}`),
      onDelete: (o) => seen.push(`delete ${o.metadata.name ?? ""}`),
      onResync: () => resyncs++,
    });
    const running = inf.run(stop.signal);
    return { inf, seen, resyncs: () => resyncs, running, clock };
  }

  it("lists, then streams changes and resumes from the last resourceVersion", async () => {
    const kube = new FakeKube();
    await kube.create(cm("a", "1"));
    const { inf, seen } = start(kube);
    await inf.synced();
    assert.deepEqual(seen, ["add a"]);
    await waitFor("watch", () => kube.watcherCount === 1, POLL_FAST);
    await kube.create(cm("b", "1"));
    await kube.apply(cm("a", "2"));
    await kube.delete({ apiVersion: "v1", kind: "ConfigMap", namespace: "ns", name: "b" });
    await waitFor("three events", () => seen.length === 4, POLL_FAST);
    assert.deepEqual(seen, ["add a", "add b", "update a", "delete b"]);
    assert.equal(inf.get("ns/a")?.metadata.resourceVersion, kube.find("v1", "ConfigMap", "a", "ns")?.metadata.resourceVersion);
    assert.equal(inf.resourceVersion, String(Number(kube.find("v1", "ConfigMap", "a", "ns")?.metadata.resourceVersion) + 1));
  });

  it("relists on 410 Gone and reports objects that vanished while it was away", async () => {
    const kube = new FakeKube();
    await kube.create(cm("a", "1"));
    await kube.create(cm("b", "1"));
    const { inf, seen, resyncs } = start(kube);
    await inf.synced();
    await waitFor("watch", () => kube.watcherCount === 1, POLL_FAST);
    // Changes the watch does not deliver (history compacted), then expiry.
    let lists = 0;
    kube.interceptor = (op) => {
      if (op === "list") lists++;
      return undefined;
    };
    kube.expireWatches();
    await kube.delete({ apiVersion: "v1", kind: "ConfigMap", namespace: "ns", name: "b" });
    await waitFor("delete seen after relist", () => seen.includes("delete b"), POLL_FAST);
    await waitFor("watch re-established", () => kube.watcherCount === 1, POLL_FAST);
    assert.ok(resyncs() >= 2, "a relist resyncs every object");
    assert.equal(inf.restarts, 0, "410 is not an error restart");
    assert.equal(lists, 1, "one relist");
  });

  it("backs off 1 s, 2 s, 4 s … on errors and resyncs every cached object after recovering", async () => {
    const kube = new FakeKube();
    await kube.create(cm("a", "1"));
    const clock = new FakeClock();
    const { inf, resyncs } = start(kube, clock);
    await inf.synced();
    await waitFor("watch", () => kube.watcherCount === 1, POLL_FAST);
    const before = resyncs();
    let failures = 0;
    kube.interceptor = (op) => (op === "watch" ? (failures++, new Error("connection refused")) : undefined);
    kube.breakWatches();
    // Timers fire only inside clock.advance, synchronously: a retry waiting exactly 1 ms more after 999 ms proves
    // the delay is 1 s, with no need to let anything run first.
    await waitFor("first retry scheduled", () => clock.pending === 1, POLL_FAST);
    clock.advance(999);
    assert.equal(clock.nextDueIn, 1, "the first retry waits 1 s");
    assert.equal(failures, 0);
    clock.advance(1);
    await waitFor("first failed retry", () => failures === 1 && clock.pending === 1, POLL_FAST);
    clock.advance(1999);
    assert.equal(clock.nextDueIn, 1, "the second retry waits 2 s");
    assert.equal(failures, 1);
    clock.advance(1);
    await waitFor("second failed retry", () => failures === 2 && clock.pending === 1, POLL_FAST);
    kube.interceptor = undefined;
    clock.advance(3999);
    assert.equal(clock.nextDueIn, 1, "the third retry waits 4 s");
    assert.equal(kube.watcherCount, 0);
    clock.advance(1);
    await waitFor("watch back", () => kube.watcherCount === 1, POLL_FAST);
    assert.equal(inf.restarts, 3);
    assert.equal(resyncs(), before + 1, "one resync after recovering");
  });

  it("stops cleanly on abort", async () => {
    const kube = new FakeKube();
    const { inf, running } = start(kube);
    await inf.synced();
    await waitFor("watch", () => kube.watcherCount === 1, POLL_FAST);
    stop.abort();
    await running;
    assert.equal(kube.watcherCount, 0);
  });
});
