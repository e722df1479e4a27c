// SPDX-License-Identifier: Apache-2.0
// Ingress over the Public API: accepted messages are finalized (and every node says so), the size limit and a full
// pool give clear gRPC errors, and the ingress counters exist for every result from the start.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { status, type ServiceError } from "@grpc/grpc-js";
import { describe, test } from "node:test";
import type { FaultSet } from "../../src/gen/relaylab/v1/control.js";
import type { NodeClient } from "../../src/client/index.js";
import { MessageState, type MessageStatus, type SubmitMessageResponse } from "../../src/gen/relaylab/v1/public.js";
import { INGRESS_RESULTS, NODE_METRICS } from "../../src/metrics/names.js";
import { sample, scrape } from "../harness/metrics.js";
import { waitFor } from "../harness/wait.js";
import { finalizedBlock, TEST_CONSENSUS, useConsensusTestnet, waitForFinalized } from "./harness.js";

const MAX_MESSAGE = 1024;
const POOL = 20;
const NONE: FaultSet = { links: [], byzantine: [], selectivePeers: [], pauseMs: 0 };

const submit = (client: NodeClient, payload: Uint8Array): Promise<SubmitMessageResponse> => client.submitMessage(payload);
const statusOf = (client: NodeClient, id: Uint8Array): Promise<MessageStatus> => client.messageStatus(id);
const payloadOf = (text: string): Uint8Array => new TextEncoder().encode(`${text} ${Math.random()}`);

async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error("the call succeeded but should have been refused");
}

describe("ingress messages", () => {
  const fx = useConsensusTestnet({ nodes: 4, groups: 1, size: 4, threshold: 3, timings: { minRoundPeriodMs: 150 } }, { ...TEST_CONSENSUS, maxMessageBytes: MAX_MESSAGE, mempoolCapacity: POOL });
  const client = (i: number): NodeClient => fx.cluster.node(i).client;
  const waitFinal = (node: number, id: Uint8Array): Promise<MessageStatus> =>
    waitFor(`message ${Buffer.from(id).toString("hex").slice(0, 12)} finalized on node ${node}`, async () => {
      const s = await statusOf(client(node), id);
      return s.state === MessageState.MESSAGE_STATE_FINALIZED ? s : undefined;
    }, { timeoutMs: 300_000, intervalMs: 250 });

  test("every ingress result is exported from the start", async () => {
    const text = await scrape(fx.cluster.node(0).addresses.metrics);
    for (const result of INGRESS_RESULTS) assert.ok(text.includes(`${NODE_METRICS.ingressMessages}{result="${result}"} 0`), `no ${result} series at start`);
  });

  test("an accepted message is finalized in one block that every node agrees on", async () => {
    const payload = payloadOf("hello");
    const { id } = await submit(client(1), payload);
    assert.deepEqual(Buffer.from(id), createHash("sha256").update(payload).digest());
    const statuses = await Promise.all(fx.cluster.running().map((i) => waitFinal(i, id)));
    const heights = new Set(statuses.map((s) => s.height));
    assert.equal(heights.size, 1, `nodes disagree on the height: ${[...heights].join(",")}`);
    const [height] = heights;
    assert.ok(height !== undefined);
    const block = await finalizedBlock(client(0), height);
    assert.ok(block.messageIds.some((m) => Buffer.from(m).equals(Buffer.from(id))), "the finalized block does not list the message");
    const text = await scrape(fx.cluster.node(1).addresses.metrics);
    assert.ok(sample(text, NODE_METRICS.ingressMessages, { result: "accepted" }) >= 1);
    assert.ok(sample(text, `${NODE_METRICS.ingressLatency}_count`) >= 1, "no submit-to-finalized latency observed");
  });

  test("a message above the size limit, or an empty one, is refused with INVALID_ARGUMENT", async () => {
    const big = await rejection(submit(client(0), new Uint8Array(MAX_MESSAGE + 1)));
    assert.equal(big.code, status.INVALID_ARGUMENT);
    assert.match(big.details, /1025 bytes; the limit is 1024 bytes/);
    const empty = await rejection(submit(client(0), new Uint8Array()));
    assert.equal(empty.code, status.INVALID_ARGUMENT);
    const text = await scrape(fx.cluster.node(0).addresses.metrics);
    assert.equal(sample(text, NODE_METRICS.ingressMessages, { result: "rejected_size" }), 1);
    assert.equal(sample(text, NODE_METRICS.ingressMessages, { result: "rejected_invalid" }), 1);
  });

  test("a full pool refuses with RESOURCE_EXHAUSTED, and its messages are finalized once it drains", async () => {
    const X = 3;
    const setFaults = (set: FaultSet): Promise<FaultSet> => fx.cluster.node(X).client.setFaults(set);
    // Cut off, the node finalizes nothing, so its pool cannot drain while we fill it.
    await setFaults({ ...NONE, links: [{ peers: [], dataCenters: [], delayMs: 0, jitterMs: 0, loss: 0, bandwidthBps: 0n, partition: true }] });
    const ids: Uint8Array[] = [];
    for (let i = 0; i < POOL; i++) ids.push((await submit(client(X), payloadOf(`fill ${i}`))).id);
    const full = await rejection(submit(client(X), payloadOf("one too many")));
    assert.equal(full.code, status.RESOURCE_EXHAUSTED);
    assert.match(full.details, /slow down/);
    assert.equal(sample(await scrape(fx.cluster.node(X).addresses.metrics), NODE_METRICS.ingressMessages, { result: "rejected_full" }), 1);
    assert.equal((await statusOf(client(X), ids[0] ?? new Uint8Array(32))).state, MessageState.MESSAGE_STATE_PENDING);
    await setFaults(NONE);
    for (const id of ids) await waitFinal(0, id);
    await waitForFinalized(fx.cluster, (await fx.cluster.status(0)).finalizedHeight, [X]);
    for (const id of ids) await waitFinal(X, id);
  });
});
