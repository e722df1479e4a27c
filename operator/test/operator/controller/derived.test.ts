// SPDX-License-Identifier: Apache-2.0
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DerivedCache } from "../../../src/operator/controller/derived.js";

describe("DerivedCache", () => {
  it("derives again only when an input changes, per Subnet, and forgets a Subnet", () => {
    const cache = new DerivedCache<number>();
    let runs = 0;
    const derive = (n: number) => () => {
      runs++;
      return n * 2;
    };
    assert.equal(cache.get("a", { nodes: 4 }, derive(4)), 8);
    assert.equal(cache.get("a", { nodes: 4 }, derive(4)), 8);
    assert.equal(runs, 1, "same inputs: served from the cache");
    assert.equal(cache.get("b", { nodes: 4 }, derive(4)), 8);
    assert.equal(runs, 2, "another Subnet derives its own");
    assert.equal(cache.get("a", { nodes: 5 }, derive(5)), 10);
    assert.equal(runs, 3, "a changed input derives again");
    cache.forget("a");
    assert.equal(cache.get("a", { nodes: 5 }, derive(5)), 10);
    assert.equal(runs, 4, "a forgotten Subnet derives again");
  });

  it("keeps nothing when the derivation throws", () => {
    const cache = new DerivedCache<number>();
    assert.throws(() => cache.get("a", {}, () => {
      throw new Error("invalid genesis");
    }), /invalid genesis/);
    assert.equal(cache.get("a", {}, () => 1), 1);
  });
});
