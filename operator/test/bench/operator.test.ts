// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "prom-client";
import { Track, apiWrites, fakeNodesPerZone, flowSchemaRequests, procMemory, reconcileErrors, reconcileLatency } from "../../bench/operator/measure.js";
import { createOperatorMetrics, observeReconcile } from "../../src/metrics/registry.js";
import { parseSamples } from "../../src/local/scrape.js";

describe("bench:operator measurements", () => {
  it("sizes the fake cluster for the busiest data center", () => {
    // 16 nodes over 3 DCs: 6/5/5, so 300 pods in the busiest zone at 100 per fake Node.
    assert.equal(fakeNodesPerZone(50, 16, 3), 3);
    assert.equal(fakeNodesPerZone(3, 4, 3), 1);
    assert.equal(fakeNodesPerZone(101, 1, 1), 2);
  });

  it("counts reconcile failures in the operator's log by controller and error", () => {
    const line = (o: object): string => JSON.stringify({ level: 40, name: "relaylab-operator", ...o });
    const log = [
      line({ controller: "subnet", key: "Subnet/bench/s000", err: "409 Conflict", retries: 1, msg: "reconcile failed; retrying with backoff" }),
      "not json: a stack trace line",
      line({ controller: "subnet", key: "Subnet/bench/s001", err: "409 Conflict", retries: 1, msg: "reconcile failed; retrying with backoff" }),
      line({ level: 50, controller: "chaos", key: "ChaosExperiment/bench/x", err: "bad spec", msg: "reconcile failed; not retrying until the object changes" }),
      line({ controller: "subnet", msg: "caches synced; controllers running" }),
    ].join("\n");
    assert.deepEqual(reconcileErrors(log), [
      { controller: "subnet", err: "409 Conflict", count: 2 },
      { controller: "chaos", err: "bad spec", count: 1 },
    ]);
  });

  it("reads VmRSS and VmHWM from /proc/<pid>/status", () => {
    const status = "Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t  262144 kB\nVmRSS:\t  131072 kB\nThreads:\t11\n";
    assert.deepEqual(procMemory(status), { rssBytes: 128 * 2 ** 20, peakRssBytes: 256 * 2 ** 20 });
    assert.throws(() => procMemory("Name:\tnode\n"), /VmRSS/);
  });

  it("takes reconcile quantiles from the operator's own histogram, per controller", async () => {
    const registry = new Registry();
    const metrics = createOperatorMetrics(registry);
    for (let i = 0; i < 90; i++) observeReconcile(metrics, "subnet", "requeue", 0.03);
    for (let i = 0; i < 10; i++) observeReconcile(metrics, "subnet", "error", 0.7);
    observeReconcile(metrics, "datacenter", "success", 20);
    const samples = parseSamples(await registry.metrics());
    const subnet = reconcileLatency(samples, "subnet");
    assert.equal(subnet.count, 100);
    // 90 in (0.025, 0.05]: the median interpolates inside that bucket, p99 inside (0.5, 1].
    assert.ok(subnet.p50 > 0.025 && subnet.p50 <= 0.05, String(subnet.p50));
    assert.ok(subnet.p99 > 0.5 && subnet.p99 <= 1, String(subnet.p99));
    assert.equal(subnet.maxAtMost, 1);
    assert.deepEqual(subnet.results, { success: 0, error: 10, requeue: 90, terminal: 0 });
    assert.ok(Math.abs(subnet.meanSeconds - 0.097) < 1e-9);
    const dc = reconcileLatency(samples, "datacenter");
    assert.equal(dc.count, 1);
    assert.equal(dc.maxAtMost, 30);
  });

  it("counts kube-apiserver writes and one flow schema's requests between two scrapes", () => {
    const before = parseSamples(
      [
        'apiserver_request_total{code="200",component="apiserver",group="apps",resource="statefulsets",scope="resource",subresource="",verb="APPLY",version="v1"} 5',
        'apiserver_request_total{code="200",component="apiserver",group="",resource="pods",scope="resource",subresource="",verb="GET",version="v1"} 50',
        'apiserver_flowcontrol_dispatched_requests_total{flow_schema="service-accounts",priority_level="workload-low"} 10',
      ].join("\n"),
    );
    const after = parseSamples(
      [
        'apiserver_request_total{code="200",component="apiserver",group="apps",resource="statefulsets",scope="resource",subresource="",verb="APPLY",version="v1"} 9',
        'apiserver_request_total{code="409",component="apiserver",group="apps",resource="statefulsets",scope="resource",subresource="",verb="APPLY",version="v1"} 1',
        'apiserver_request_total{code="200",component="apiserver",group="relaylab.dev",resource="subnets",scope="resource",subresource="status",verb="APPLY",version="v1alpha1"} 2',
        'apiserver_request_total{code="200",component="apiserver",group="",resource="pods",scope="resource",subresource="",verb="GET",version="v1"} 80',
        'apiserver_flowcontrol_dispatched_requests_total{flow_schema="service-accounts",priority_level="workload-low"} 25',
        'apiserver_flowcontrol_dispatched_requests_total{flow_schema="exempt",priority_level="exempt"} 900',
      ].join("\n"),
    );
    assert.deepEqual(apiWrites(before, after), [
      { verb: "APPLY", resource: "statefulsets.apps", count: 5 },
      { verb: "APPLY", resource: "subnets.relaylab.dev/status", count: 2 },
    ]);
    assert.equal(flowSchemaRequests(before, after, "service-accounts"), 15);
  });

  it("tracks the peak and the last value of a sampled series", () => {
    const t = new Track();
    for (const v of [3, 9, 4]) t.add(v);
    assert.deepEqual({ peak: t.peak, last: t.last, samples: t.samples }, { peak: 9, last: 4, samples: 3 });
  });
});
