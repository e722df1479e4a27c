// SPDX-License-Identifier: Apache-2.0
/** Consensus test helpers: process testnets with consensus parameters, finalized-chain reads and the safety check. */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { after, before } from "node:test";
import { Metadata } from "@grpc/grpc-js";
import { parseGenesis, type ConsensusParams } from "../../src/config/index.js";
import type { FinalizedBlock, PublicClient } from "../../src/gen/relaylab/v1/public.js";
import { unary } from "../../src/net/clients.js";
import { ProcessCluster } from "../harness/cluster.js";
import type { ProcessFixture } from "../harness/fixture.js";
import { createTestnet, type Testnet, type TestnetSpec } from "../harness/testnet.js";
import { waitFor } from "../harness/wait.js";

/** Short consensus delays for tests: a height takes a few crypto operations plus these. */
export const TEST_CONSENSUS: Partial<ConsensusParams> = { blockMakerDelayMs: 150, notaryDelayMs: 30 };

/** A test subnet whose genesis also carries `consensus` parameters. */
export async function createConsensusTestnet(spec: TestnetSpec, consensus: Partial<ConsensusParams> = TEST_CONSENSUS): Promise<Testnet> {
  const net = await createTestnet(spec);
  const input = JSON.parse(readFileSync(net.genesisFile, "utf8")) as Record<string, unknown>;
  input.consensus = consensus;
  writeFileSync(net.genesisFile, JSON.stringify(input, null, 2));
  return { ...net, genesis: parseGenesis(input) };
}

/** Like useProcessTestnet, with consensus parameters: every node runs as a process for the enclosing suite. */
export function useConsensusTestnet(spec: TestnetSpec, consensus?: Partial<ConsensusParams>): ProcessFixture {
  let net: Testnet | undefined;
  let cluster: ProcessCluster | undefined;
  before(async () => {
    net = await createConsensusTestnet(spec, consensus);
    cluster = new ProcessCluster(net);
    await cluster.startAll();
  });
  after(async () => {
    await cluster?.stopAll();
    net?.remove();
  });
  return {
    get net(): Testnet {
      if (net === undefined) throw new Error("testnet used before its before hook ran");
      return net;
    },
    get cluster(): ProcessCluster {
      if (cluster === undefined) throw new Error("cluster used before its before hook ran");
      return cluster;
    },
  };
}

const deadline = (): { deadline: number } => ({ deadline: Date.now() + 10_000 });

export function finalizedBlock(client: PublicClient, height: bigint): Promise<FinalizedBlock> {
  return unary<FinalizedBlock>((cb) => client.getFinalizedBlock({ height }, new Metadata(), deadline(), cb));
}

/** Waits until every node in `nodes` has finalized at least `height`. */
export async function waitForFinalized(cluster: ProcessCluster, height: bigint, nodes: readonly number[], timeoutMs = 600_000): Promise<void> {
  await waitFor(`finalized height ${height} on nodes ${nodes.join(",")}`, async () => {
    const statuses = await Promise.all(nodes.map((i) => cluster.status(i)));
    return statuses.every((s) => s.finalizedHeight >= height) ? true : undefined;
  }, timeoutMs, 500);
}

/** Highest finalized height among `nodes`. */
export async function maxFinalized(cluster: ProcessCluster, nodes: readonly number[]): Promise<bigint> {
  const statuses = await Promise.all(nodes.map((i) => cluster.status(i)));
  return statuses.reduce((m, s) => (s.finalizedHeight > m ? s.finalizedHeight : m), 0n);
}

/**
 * The safety property: for every height 1..upTo, all nodes that finalized a block there finalized the same one,
 * and each finalized block's parent is the block finalized one height below. Returns how many heights were compared.
 */
export async function assertAgreement(cluster: ProcessCluster, nodes: readonly number[], upTo: bigint): Promise<number> {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
  const byHeight = new Map<bigint, { hash: string; parent: string; node: number }>();
  let compared = 0;
  for (const node of nodes) {
    const client = cluster.node(node).public;
    for (let h = 1n; h <= upTo; h++) {
      const block = await finalizedBlock(client, h);
      const seen = byHeight.get(h);
      if (seen === undefined) byHeight.set(h, { hash: hex(block.hash), parent: hex(block.parent), node });
      else {
        assert.equal(hex(block.hash), seen.hash, `height ${h}: node ${node} finalized ${hex(block.hash).slice(0, 12)} but node ${seen.node} finalized ${seen.hash.slice(0, 12)}`);
        compared++;
      }
      const below = byHeight.get(h - 1n);
      if (below !== undefined) assert.equal(hex(block.parent), below.hash, `height ${h} on node ${node} does not extend the finalized block at ${h - 1n}`);
    }
  }
  return compared;
}
