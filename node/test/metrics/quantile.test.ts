// SPDX-License-Identifier: Apache-2.0
// The one quantile definition: numpy's default (type 7) on samples, PromQL's histogram_quantile on buckets.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { histogramQuantile, median, quantile, quantileOf, summarize } from "../../src/metrics/quantile.js";

describe("quantile of a sample", () => {
  it("interpolates between closest ranks as numpy.quantile does", () => {
    // numpy.quantile([1, 2, 3, 4], [0, 0.25, 0.5, 0.9, 1]) = [1, 1.75, 2.5, 3.7, 4]
    const s = [1, 2, 3, 4];
    assert.deepEqual([0, 0.25, 0.5, 0.9, 1].map((q) => Math.round(quantile(s, q) * 1e9) / 1e9), [1, 1.75, 2.5, 3.7, 4]);
  });

  it("sorts an unsorted sample, and gives 0 for an empty one", () => {
    assert.equal(quantileOf([9, 1, 5], 0.5), 5);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([]), 0);
    assert.deepEqual(summarize([]), { p50: 0, p90: 0, p99: 0, max: 0 });
    assert.deepEqual(summarize([3, 1, 2]), { p50: 2, p90: 2.8, p99: 2.98, max: 3 });
  });
});

describe("quantile of a histogram", () => {
  it("interpolates inside the bucket and never beyond the last finite bound", () => {
    const h = { buckets: [{ le: 0.1, count: 10 }, { le: 0.5, count: 30 }, { le: Number.POSITIVE_INFINITY, count: 40 }] };
    assert.equal(histogramQuantile(0.25, h), 0.1);
    assert.ok(Math.abs(histogramQuantile(0.5, h) - 0.3) < 1e-12);
    assert.equal(histogramQuantile(0.99, h), 0.5);
    assert.equal(histogramQuantile(0.5, { buckets: [] }), 0);
  });
});
