// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PlacementError, placeNodes, shareDataCenters } from "../../src/genesis/index.js";
import { dataCenter, subnet } from "../fixtures.js";

const dcs = [dataCenter("dc-a", {}, { tier: "eu" }), dataCenter("dc-b", {}, { tier: "eu" }), dataCenter("dc-c", {}, { tier: "us" })];

describe("placeNodes", () => {
  it("spreads evenly in the order the names are given, one contiguous range per data center", () => {
    const sn = subnet("s", { nodes: 16, dataCenters: { names: ["dc-c", "dc-a", "dc-b"] } });
    assert.deepEqual(shareDataCenters(sn, dcs), [
      { dataCenter: "dc-c", firstIndex: 0, nodes: 6 },
      { dataCenter: "dc-a", firstIndex: 6, nodes: 5 },
      { dataCenter: "dc-b", firstIndex: 11, nodes: 5 },
    ]);
    const p = placeNodes(sn, dcs);
    assert.equal(p.length, 16);
    assert.deepEqual(p.map((x) => x.index), Array.from({ length: 16 }, (_, i) => i));
    assert.equal(p[5]?.dataCenter, "dc-c");
    assert.equal(p[6]?.dataCenter, "dc-a");
  });

  it("honours maxPerDataCenter and capacity left by other subnets", () => {
    const small = [dataCenter("dc-a", { capacity: { maxNodes: 10 } }), dataCenter("dc-b"), dataCenter("dc-c")];
    const sn = subnet("s", { nodes: 9, dataCenters: { names: ["dc-a", "dc-b", "dc-c"] }, placement: { maxPerDataCenter: 4 } });
    const shares = shareDataCenters(sn, small, { usedElsewhere: { "dc-a": 9 } });
    assert.deepEqual(shares.map((s) => [s.dataCenter, s.nodes]), [["dc-a", 1], ["dc-b", 4], ["dc-c", 4]]);
  });

  it("packs data centers in order with spread Pack", () => {
    const packed = [dataCenter("dc-a", { capacity: { maxNodes: 5 } }), dataCenter("dc-b")];
    const sn = subnet("s", { nodes: 7, dataCenters: { names: ["dc-a", "dc-b"] }, placement: { spread: "Pack" } });
    assert.deepEqual(shareDataCenters(sn, packed).map((s) => s.nodes), [5, 2]);
  });

  it("selects by label selector, sorted by name", () => {
    const sn = subnet("s", { nodes: 4, dataCenters: { selector: { matchExpressions: [{ key: "tier", operator: "In", values: ["eu"] }] } } });
    assert.deepEqual(shareDataCenters(sn, [...dcs].reverse()).map((s) => s.dataCenter), ["dc-a", "dc-b"]);
  });

  it("says what to change when the data centers are too small", () => {
    const sn = subnet("s", { nodes: 9, dataCenters: { names: ["dc-a", "dc-b"] }, placement: { maxPerDataCenter: 4 } });
    assert.throws(() => placeNodes(sn, dcs), (e: unknown) => e instanceof PlacementError && /cannot place 9 nodes.*at most 8.*raise placement.maxPerDataCenter/.test(e.message));
  });

  it("places nothing new on a data center being deleted", () => {
    const going = [dataCenter("dc-a", {}, { tier: "eu" }), { ...dataCenter("dc-b", {}, { tier: "eu" }), metadata: { name: "dc-b", labels: { tier: "eu" }, deletionTimestamp: "2026-01-01T00:00:00Z" } }];
    assert.deepEqual(shareDataCenters(subnet("s", { nodes: 4, dataCenters: { selector: { matchLabels: { tier: "eu" } } } }), going).map((s) => s.dataCenter), ["dc-a"]);
    assert.throws(() => placeNodes(subnet("s", { nodes: 4, dataCenters: { names: ["dc-a", "dc-b"] } }), going), /DataCenter "dc-b" is being deleted; remove it from spec.dataCenters.names/);
  });

  it("names a missing data center, and an empty selector match", () => {
    assert.throws(() => placeNodes(subnet("s", { dataCenters: { names: ["dc-a", "nope"] } }), dcs), /"nope" but no such DataCenter exists/);
    assert.throws(() => placeNodes(subnet("s", { dataCenters: { selector: { matchLabels: { tier: "mars" } } } }), dcs), /matches no DataCenter/);
  });
});
