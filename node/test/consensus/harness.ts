// SPDX-License-Identifier: Apache-2.0
/** Consensus test helpers: process testnets with consensus parameters, finalized-chain reads and the safety check. */
import assert from "node:assert/strict";
import type { ConsensusParams } from "../../src/config/index.js";
import type { NodeClient } from "../../src/client/index.js";
import type { FinalizedBlock } from "../../src/gen/relaylab/v1/public.js";
import type { ProcessCluster } from "../harness/cluster.js";
import { useProcessTestnet, type ProcessFixture } from "../harness/fixture.js";
import type { TestnetSpec } from "../harness/testnet.js";
import { waitFor } from "../harness/wait.js";

/** Short consensus delays for tests: a height takes a few crypto operations plus these. */
export const TEST_CONSENSUS: Partial<ConsensusParams> = { blockMakerDelayMs: 150, notaryDelayMs: 30 };

/** A process testnet (useProcessTestnet) whose genesis carries consensus parameters, TEST_CONSENSUS by default. */
export function useConsensusTestnet(spec: TestnetSpec, consensus: Partial<ConsensusParams> = TEST_CONSENSUS): ProcessFixture {
  return useProcessTestnet({ ...spec, consensus });
}

export function finalizedBlock(client: NodeClient, height: bigint): Promise<FinalizedBlock> {
  return client.finalizedBlock(height);
}

/** Waits until every node in `nodes` has finalized at least `height`. */
export async function waitForFinalized(cluster: ProcessCluster, height: bigint, nodes: readonly number[], timeoutMs = 600_000): Promise<void> {
  await waitFor(`finalized height ${height} on nodes ${nodes.join(",")}`, async () => {
    const statuses = await Promise.all(nodes.map((i) => cluster.status(i)));
    return statuses.every((s) => s.finalizedHeight >= height) ? true : undefined;
  }, { timeoutMs, intervalMs: 500 });
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
    const client = cluster.node(node).client;
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
