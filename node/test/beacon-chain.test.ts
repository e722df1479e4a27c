// SPDX-License-Identifier: Apache-2.0
// The pure chain rules (node/src/beacon/chain.ts) and group drawing, against independent computations.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { previousOfFirstRound, roundMessage, selectGroup, verifyBeacon } from "../src/beacon/chain.js";
import { drawGroups } from "../src/beacon/groups.js";
import { fanOutOrder, pickAggregators } from "../src/beacon/engine.js";
import { dealShares, partialSign, recoverSignature } from "../src/crypto/index.js";

const sha256 = (...parts: Uint8Array[]): Buffer => createHash("sha256").update(Buffer.concat(parts)).digest();
const SEED = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

test("B(0) is sha256 of the seed bytes and the round message is sha256(be64(r) || B(r-1))", () => {
  const b0 = previousOfFirstRound(SEED);
  assert.deepEqual(Buffer.from(b0), sha256(Buffer.from(SEED, "hex")));
  const be = Buffer.alloc(8);
  be.writeBigUInt64BE(0x0102030405060708n);
  assert.deepEqual(Buffer.from(roundMessage(0x0102030405060708n, b0)), sha256(be, b0));
});

test("selectGroup takes the first 8 bytes of sha256(previous) big-endian modulo the count", () => {
  const previous = Buffer.from("beacon");
  const head = sha256(previous).readBigUInt64BE(0);
  for (const count of [1, 2, 3, 7, 1000]) assert.equal(selectGroup(previous, count), Number(head % BigInt(count)));
  assert.throws(() => selectGroup(previous, 0), RangeError);
});

test("verifyBeacon accepts the group signature and rejects other rounds, other keys and garbage", () => {
  const { groupPublicKey, secretShares } = dealShares(3, 5);
  const other = dealShares(3, 5).groupPublicKey;
  const previous = previousOfFirstRound(SEED);
  const message = roundMessage(1n, previous);
  const signature = recoverSignature(secretShares.slice(0, 3).map((s) => partialSign(s, message)), 3);
  const beacon = { round: 1n, signature, previousSignature: previous };
  assert.equal(verifyBeacon(beacon, groupPublicKey), true);
  assert.equal(verifyBeacon({ ...beacon, round: 2n }, groupPublicKey), false);
  assert.equal(verifyBeacon(beacon, other), false);
  assert.equal(verifyBeacon({ ...beacon, signature: new Uint8Array(48).fill(7) }, groupPublicKey), false);
});

test("groups are drawn deterministically, without repeated members, and differ by epoch", () => {
  const a = drawGroups(SEED, 0n, 20, 5, 7);
  assert.deepEqual(a, drawGroups(SEED, 0n, 20, 5, 7));
  assert.notDeepEqual(a, drawGroups(SEED, 1n, 20, 5, 7));
  for (const g of a) {
    assert.equal(g.length, 7);
    assert.equal(new Set(g).size, 7);
    for (const m of g) assert.ok(m >= 0 && m < 20);
  }
  assert.throws(() => drawGroups(SEED, 0n, 3, 1, 4), RangeError);
});

test("aggregators are distinct members chosen by the previous beacon", () => {
  const members = [4, 9, 1, 7, 3, 12, 0];
  const chosen = pickAggregators(Buffer.from("x"), members);
  assert.equal(chosen.length, 3);
  assert.equal(new Set(chosen).size, 3);
  for (const c of chosen) assert.ok(members.includes(c));
  assert.deepEqual(pickAggregators(Buffer.from("x"), members), chosen);
  assert.deepEqual(pickAggregators(Buffer.from("y"), [5, 6]).sort(), [5, 6]);
});

test("aggregators are found for every beacon, whatever it is", () => {
  // A sampler that retries positions until enough distinct members turn up loops forever on "beacon-13919" with a
  // group of 4, and every member of the group would hang on that round. 2,000 more seeds per group size.
  const enc = new TextEncoder();
  for (const size of [1, 2, 3, 4, 5, 8, 16]) {
    const members = Array.from({ length: size }, (_, i) => 10 + i);
    for (const seed of ["beacon-13919", ...Array.from({ length: 2000 }, (_, n) => `seed-${n}`)]) {
      const chosen = pickAggregators(enc.encode(seed), members);
      assert.equal(chosen.length, Math.min(3, size), `${seed} on ${size} members`);
      assert.equal(new Set(chosen).size, chosen.length);
    }
  }
});

test("the fan-out order lists every member once, aggregators first", () => {
  const members = [4, 9, 1, 7, 3, 12, 0];
  const order = fanOutOrder(Buffer.from("x"), members);
  assert.deepEqual([...order].sort((a, b) => a - b), [...members].sort((a, b) => a - b));
  assert.deepEqual(order.slice(0, 3), pickAggregators(Buffer.from("x"), members));
  assert.deepEqual(fanOutOrder(Buffer.from("x"), members), order);
});
