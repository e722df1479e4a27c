// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { faultSetFor, latencyBetween, linkFaultsFor } from "../../src/genesis/index.js";
import { dataCenter } from "../fixtures.js";

const a = dataCenter("dc-a", { network: { latencyMs: { "dc-b": 40, "dc-a": 3 }, jitterMs: 2 } });
const b = dataCenter("dc-b", { network: { latencyMs: { "dc-a": 60 }, loss: 0.01 } });
const c = dataCenter("dc-c", {});

describe("network faults", () => {
  it("takes the larger latency of the two profiles", () => {
    assert.equal(latencyBetween(a, b), 60);
    assert.equal(latencyBetween(b, a), 60);
    assert.equal(latencyBetween(a, c), 0);
  });

  it("applies inter-DC latency on the side whose name sorts first only, intra-DC halved on both ends", () => {
    const la = linkFaultsFor(a, [a, b, c]);
    assert.deepEqual(la.map((l) => [l.dataCenters[0], l.delayMs, l.jitterMs]), [["dc-a", 2, 2], ["dc-b", 60, 2], ["dc-c", 0, 2]]);
    const lb = linkFaultsFor(b, [a, b, c]);
    assert.deepEqual(lb.map((l) => [l.dataCenters[0], l.delayMs, l.loss]), [["dc-a", 0, 0.01], ["dc-b", 0, 0.01], ["dc-c", 0, 0.01]]);
    assert.deepEqual(linkFaultsFor(c, [a, b, c]), []);
  });

  it("turns an outage into one catch-all partition", () => {
    const out = dataCenter("dc-b", { outage: true, network: { loss: 0.5 } });
    assert.deepEqual(linkFaultsFor(out, [a, out]), [{ peers: [], dataCenters: [], delayMs: 0, jitterMs: 0, loss: 0, bandwidthBps: 0, partition: true }]);
  });

  it("marks the highest indices byzantine", () => {
    const byz = { count: 2, behaviour: "InvalidShares" as const };
    assert.deepEqual(faultSetFor(4, 7, c, [c], byz).byzantine, []);
    assert.deepEqual(faultSetFor(5, 7, c, [c], byz).byzantine, ["InvalidShares"]);
    assert.deepEqual(faultSetFor(6, 7, c, [c], byz).byzantine, ["InvalidShares"]);
  });
});
