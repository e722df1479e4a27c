// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { Controller, controllerOwnerKey, objectKey, parseKey, specOrMetadataChanged } from "../../../src/operator/runtime/controller.js";
import { TerminalError } from "../../../src/operator/runtime/errors.js";
import { createOperatorMetrics } from "../../../src/metrics/registry.js";
import { OPERATOR_METRICS } from "../../../src/metrics/names.js";
import { ItemExponentialRateLimiter } from "../../../src/operator/runtime/ratelimiter.js";
import { waitFor } from "@relaylab/node/wait";
import { FakeClock } from "@relaylab/node/fake-clock";
import { POLL_FAST } from "../../settle.js";
import { testLog } from "../../log.js";
import type { Result } from "../../../src/operator/runtime/controller.js";

function setup(reconcile: (key: string) => Promise<Result>) {
  const clock = new FakeClock();
  const registry = new Registry();
  const metrics = createOperatorMetrics(registry);
  const ctl = new Controller({ name: "subnet", reconcile, clock, log: testLog, metrics, rateLimiter: new ItemExponentialRateLimiter(5, 1000) });
  return { ctl, clock, registry };
}

async function counter(registry: Registry, result: string): Promise<number> {
  const m = await registry.getSingleMetric(OPERATOR_METRICS.reconcile)?.get();
  return m?.values.find((v) => v.labels.result === result)?.value ?? 0;
}

describe("Controller", () => {
  it("keys: Kind/namespace/name, Kind/name, and the controller owner", () => {
    assert.equal(objectKey("Subnet", "a", "ns"), "Subnet/ns/a");
    assert.equal(objectKey("DataCenter", "dc"), "DataCenter/dc");
    assert.deepEqual(parseKey("Subnet/ns/a"), { kind: "Subnet", namespace: "ns", name: "a" });
    assert.deepEqual(parseKey("DataCenter/dc"), { kind: "DataCenter", name: "dc" });
    assert.throws(() => parseKey("x"), /not a queue key/);
    const sts = {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: {
        name: "s",
        namespace: "ns",
        ownerReferences: [
          { apiVersion: "v1", kind: "Subnet", name: "not-controller", uid: "1" },
          { apiVersion: "v1", kind: "Subnet", name: "owner", uid: "2", controller: true },
        ],
      },
    };
    assert.equal(controllerOwnerKey(sts, "Subnet"), "Subnet/ns/owner");
    assert.equal(controllerOwnerKey(sts, "DataCenter"), undefined);
  });

  it("tells a status-only update (the reconcile's own write) from a change of spec or of the metadata it reads", () => {
    const old = { apiVersion: "relaylab.dev/v1alpha1", kind: "Subnet", metadata: { name: "a", namespace: "ns", generation: 3, resourceVersion: "10", labels: { x: "1" } } };
    const next = (metadata: object) => ({ ...old, metadata: { ...old.metadata, resourceVersion: "11", ...metadata } });
    assert.equal(specOrMetadataChanged(next({}), old), false, "status only: same generation and metadata");
    assert.equal(specOrMetadataChanged(next({ generation: 4 }), old), true, "spec change");
    assert.equal(specOrMetadataChanged(next({ labels: { x: "2" } }), old), true, "label change");
    assert.equal(specOrMetadataChanged(next({ finalizers: ["f"] }), old), true, "finalizer change");
    assert.equal(specOrMetadataChanged(next({ deletionTimestamp: "2026-01-01T00:00:00Z" }), old), true, "deletion");
    const { generation: _g, ...noGeneration } = old.metadata;
    assert.equal(specOrMetadataChanged({ ...old, metadata: noGeneration }, { ...old, metadata: noGeneration }), true, "no generation to compare: always a change");
  });

  it("forgets on success, retries errors with backoff, drops terminal errors, honours requeueAfterMs", async () => {
    const outcomes: (Result | Error)[] = [new Error("boom"), new Error("boom"), { requeueAfterMs: 1000 }, new TerminalError("bad spec")];
    const calls: number[] = [];
    const { ctl, clock, registry } = setup((key) => {
      calls.push(clock.now());
      const next = outcomes.shift();
      assert.equal(key, "Subnet/ns/a");
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next ?? {});
    });
    const stop = new AbortController();
    const run = ctl.run(stop.signal);
    ctl.queue.add("Subnet/ns/a");
    await waitFor("first failure scheduled", () => calls.length === 1 && clock.pending === 1, POLL_FAST);
    assert.equal(ctl.queue.numRequeues("Subnet/ns/a"), 1);
    clock.advance(5);
    await waitFor("second failure scheduled", () => calls.length === 2 && clock.pending === 1, POLL_FAST);
    clock.advance(9);
    assert.equal(calls.length, 2, "second retry waits 10 ms");
    clock.advance(1);
    await waitFor("success with requeueAfter", () => calls.length === 3 && clock.pending === 1, POLL_FAST);
    assert.equal(ctl.queue.numRequeues("Subnet/ns/a"), 0, "success forgets the backoff");
    clock.advance(1000);
    await waitFor("requeued after 1 s", () => calls.length === 4, POLL_FAST);
    await waitFor("done", () => ctl.queue.processing().size === 0, POLL_FAST);
    assert.equal(clock.pending, 0, "a terminal error is not retried");
    assert.equal(await counter(registry, "error"), 2);
    assert.equal(await counter(registry, "requeue"), 1);
    assert.equal(await counter(registry, "terminal"), 1);
    stop.abort();
    await run;
  });
});
