// SPDX-License-Identifier: Apache-2.0
// The ingress pool is bounded by payload bytes as well as by count (genesis consensus.mempoolCapacityBytes).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GenesisError, parseGenesis, type GenesisInput } from "../src/config/index.js";
import { Mempool, messageId } from "../src/ingress/mempool.js";

const payload = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

describe("Mempool", () => {
  it("refuses a message that would pass the byte bound, and takes again once blocks drain it", () => {
    const pool = new Mempool(100, 1000);
    const a = payload(600, 1);
    const b = payload(500, 2);
    const c = payload(400, 3);
    assert.equal(pool.add(messageId(a), a), "added");
    assert.equal(pool.add(messageId(b), b), "full", "1100 bytes held in a 1000-byte pool");
    assert.equal(pool.add(messageId(c), c), "added");
    assert.equal(pool.bytes, 1000);
    assert.equal(pool.add(messageId(a), a), "duplicate");
    pool.remove([messageId(a), messageId(a), "not held"]);
    assert.equal(pool.bytes, 400);
    assert.equal(pool.add(messageId(b), b), "added");
    assert.equal(pool.bytes, 900);
  });

  it("still refuses by count", () => {
    const pool = new Mempool(2, 1 << 20);
    for (const [i, result] of (["added", "added", "full"] as const).entries()) assert.equal(pool.add(String(i), payload(1, i)), result);
  });
});

describe("genesis consensus.mempoolCapacityBytes", () => {
  const base = (consensus: GenesisInput["consensus"]): GenesisInput => ({
    version: 1,
    subnet: "test",
    seed: "0".repeat(64),
    nodes: [{ index: 0, address: "127.0.0.1:7000", identityKey: "1".repeat(64), dataCenter: "dc-a" }],
    groups: { count: 1, size: 1 },
    consensus,
  });

  it("defaults to 64 MiB", () => {
    assert.equal(parseGenesis(base({})).consensus.mempoolCapacityBytes, 64 * 1024 * 1024);
  });

  it("must hold at least one message of the largest size", () => {
    assert.throws(() => parseGenesis(base({ maxMessageBytes: 4096, mempoolCapacityBytes: 1000 })), (err: unknown) => {
      assert.ok(err instanceof GenesisError);
      assert.match(err.message, /consensus\.mempoolCapacityBytes: is 1000 but one message may be 4096 bytes/);
      return true;
    });
  });
});
