// SPDX-License-Identifier: Apache-2.0
// The catch-up rule on its own: skip to the (f+1)-th highest attempt shown by the members of one candidate group
// of the attempt the node is at.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AttemptClaims } from "../../src/dkg/catch-up.js";

// Groups of 4 with t = 3 (f = 1); attempt a's candidates are [a, a+1, a+2, a+3] and [a+4, …, a+7] (mod 10).
const candidatesOf = (a: number): number[][] => [0, 4].map((o) => [0, 1, 2, 3].map((i) => (a + o + i) % 10));
const claims = (): AttemptClaims => new AttemptClaims({ threshold: 3, candidatesOf });

describe("AttemptClaims", () => {
  it("needs f + 1 members of one candidate group of the current attempt", () => {
    const c = claims();
    c.record(0, 5);
    assert.equal(c.target(0), undefined, "one member (f) was enough");
    c.record(4, 5);
    assert.equal(c.target(0), undefined, "members of two different candidates were enough");
    c.record(9, 5);
    assert.equal(c.target(0), undefined, "a non-member counted");
    c.record(1, 5);
    assert.equal(c.target(0), 5, "two members of candidate [0, 1, 2, 3] were not enough");
  });

  it("counts members of the current attempt's groups, not of the claimed attempt's", () => {
    const c = claims();
    // 8 and 9 share candidate [6, 7, 8, 9] of attempt 6, but no candidate of attempt 0 ([0..3], [4..7]).
    c.record(8, 6);
    c.record(9, 6);
    assert.equal(c.target(0), undefined, "members of the claimed attempt's group were counted");
    assert.equal(c.target(3), 6, "members of [7, 8, 9, 0], a group of attempt 3, were not counted");
  });

  it("skips to the (f+1)-th highest attempt shown in a group, never past what an honest member shows", () => {
    const c = claims();
    c.record(0, 9);
    c.record(1, 3);
    c.record(2, 4);
    assert.equal(c.target(0), 4);
    assert.equal(c.target(4), undefined, "nothing above 4 vouched for by two members");
  });

  it("counts a sender once, at the highest attempt it showed", () => {
    const c = claims();
    c.record(0, 7);
    assert.equal(c.raises(0, 7), false);
    assert.equal(c.raises(0, 3), false, "a lower attempt is worth a signature check");
    c.record(0, 3);
    c.record(0, 8);
    assert.equal(c.size, 1);
  });

  it("uses a budget of 0 below a majority threshold, as the driver does", () => {
    const c = new AttemptClaims({ threshold: 2, candidatesOf });
    c.record(2, 2);
    assert.equal(c.target(0), 2);
  });

  it("forgets what it no longer needs", () => {
    const c = claims();
    c.record(1, 1);
    c.record(9, 9);
    c.forgetUpTo(1);
    assert.equal(c.size, 1);
    assert.equal(c.raises(1, 1), true);
  });
});
