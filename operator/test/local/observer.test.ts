// SPDX-License-Identifier: Apache-2.0
// The observer against fake nodes serving the Public API: finalized-block streams feed the finality
// ledger, a reopened stream resumes after the last height it delivered, and a fork is reported.
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { type FinalizedBlock, NodeStatus, PublicService, type PublicServer } from "@relaylab/node/gen/relaylab/v1/public";
import type { Violation } from "../../src/local/ledger.js";
import { TestnetObserver } from "../../src/local/observer.js";

const DEADLINE_MS = 20_000;

function block(height: bigint, variant = Number(height)): FinalizedBlock {
  return { height, hash: new Uint8Array(32).fill(variant), parent: new Uint8Array(32), maker: 0, rank: 0, messageIds: [], payloadBytes: 0n, finalizedAtMs: 0n };
}

/**
 * A node that finalized `chain` (by height). Its first WatchFinalized stream ends after `cutAfter`
 * blocks, as a restarting node's would; every stream is served from the height the watcher asks for.
 */
function fakeNode(chain: readonly FinalizedBlock[], cutAfter: number) {
  const asked: bigint[] = [];
  const impl: Pick<PublicServer, "status" | "watchBeacons" | "watchFinalized"> = {
    status: (_call, callback) => callback(null, NodeStatus.fromPartial({ subnet: "s" })),
    // No beacons: this test is about finality. The stream stays open until the observer cancels it.
    watchBeacons: () => undefined,
    watchFinalized: (call) => {
      asked.push(call.request.fromHeight);
      const from = chain.filter((b) => b.height >= call.request.fromHeight);
      const first = asked.length === 1;
      for (const b of first ? from.slice(0, cutAfter) : from) call.write(b);
      if (first) call.end();
    },
  };
  const server = new grpc.Server();
  server.addService(PublicService, impl);
  const address = new Promise<string>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(`127.0.0.1:${port}`))));
  return { server, address, asked };
}

describe("testnet observer: finalized chains", () => {
  const honest = [1n, 2n, 3n, 4n].map((h) => block(h));
  const forked = [block(1n), block(2n), block(3n, 0xee), block(4n, 0xef)];
  const nodes = [fakeNode(honest, 2), fakeNode(forked, 4)];
  let observer: TestnetObserver | undefined;
  after(() => {
    observer?.stop();
    for (const n of nodes) n.server.forceShutdown();
  });

  it("compares every node's finalized blocks, resumes a cut stream after its last height and reports the fork", async () => {
    const addresses = await Promise.all(nodes.map((n) => n.address));
    observer = new TestnetObserver(addresses.map((grpcAddress, index) => ({ index, dataCenter: "dc", grpc: grpcAddress, control: grpcAddress, metrics: "" })), "11".repeat(32), { statusIntervalMs: 60_000 });
    const violations: Violation[] = [];
    observer.on("violation", (v) => violations.push(v));
    const twoForks = new Promise<void>((resolve) => {
      observer?.on("violation", () => {
        if (violations.length === 2) resolve();
      });
    });
    const timeout = AbortSignal.timeout(DEADLINE_MS);
    observer.start();
    await Promise.race([twoForks, once(timeout, "abort").then(() => assert.fail(`violations so far: ${JSON.stringify(violations)}`))]);
    assert.deepEqual(violations.map((v) => [v.kind, v.round]).sort(), [["finalized_fork", 3], ["finalized_fork", 4]]);
    assert.deepEqual(observer.violations, observer.finality.violations);
    // Forks at heights 3 and 4 need node 0's blocks there: its stream ended after height 2 and was reopened from height 3.
    assert.deepEqual(nodes[0]?.asked, [1n, 3n]);
    assert.deepEqual([...(observer.finality.height(2)?.nodes ?? [])].sort(), [0, 1]);
    assert.equal(observer.finality.checkedHeights, 4);
  });
});
