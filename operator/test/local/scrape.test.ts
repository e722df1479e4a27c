// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Counter, Histogram, Registry } from "prom-client";
import { histogramQuantile } from "@relaylab/node/quantile";
import { histogram, mergeHistograms, parseSamples, total } from "../../src/local/scrape.js";

describe("reading prom-client's exposition", () => {
  it("recovers histograms, quantiles and counters", async () => {
    const registry = new Registry();
    const h = new Histogram({ name: "x_bytes", help: "x", buckets: [100, 200, 400], labelNames: ["kind"] as const, registers: [registry] });
    const c = new Counter({ name: "y_total", help: "y", labelNames: ["result"] as const, registers: [registry] });
    for (let i = 0; i < 10; i++) h.observe({ kind: "a" }, 150);
    for (let i = 0; i < 10; i++) h.observe({ kind: "b" }, 300);
    c.inc({ result: "valid" }, 5);
    c.inc({ result: 'in"valid' }, 2);
    const samples = parseSamples(await registry.metrics());
    const hist = histogram(samples, "x_bytes");
    assert.equal(hist.count, 20);
    assert.equal(hist.sum, 4500);
    assert.deepEqual(hist.buckets.map((b) => b.count), [0, 10, 20, 20]);
    // Half the mass is in (100, 200], half in (200, 400]: the median sits at the bucket edge.
    assert.equal(histogramQuantile(0.5, hist), 200);
    assert.equal(histogramQuantile(0.75, hist), 300);
    assert.equal(total(samples, "y_total"), 7);
    assert.ok(samples.some((s) => s.labels.result === 'in"valid'));
    const merged = mergeHistograms([hist, hist]);
    assert.equal(merged.count, 40);
    assert.deepEqual(merged.buckets.map((b) => b.count), [0, 20, 40, 40]);
  });

  it("returns zero quantiles for an empty histogram", () => {
    assert.equal(histogramQuantile(0.99, { buckets: [] }), 0);
  });
});
