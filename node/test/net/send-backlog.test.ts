// SPDX-License-Identifier: Apache-2.0
// A peer that accepts connections but never reads (hung, or its link saturated) must not make the
// sender buffer without bound: past the per-stream limit, messages are dropped and counted.
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { after, test } from "node:test";
import { Registry } from "prom-client";
import { systemClock } from "../../src/clock.js";
import { FaultController } from "../../src/faults/controller.js";
import { Envelope } from "../../src/gen/relaylab/v1/protocol.js";
import { NODE_METRICS } from "../../src/metrics/names.js";
import { createMetrics } from "../../src/metrics/registry.js";
import { Transport } from "../../src/net/transport.js";
import { parseKeyHex } from "../../src/identity/index.js";
import { silentLogger } from "../../src/log.js";
import { sample } from "../harness/metrics.js";
import { createTestnet } from "../harness/testnet.js";
import { waitFor } from "../harness/wait.js";

const net = await createTestnet({ nodes: 2, groups: 1, size: 2 });
const sockets: Socket[] = [];
// Node 1's address: a TCP server that accepts and stays silent, so no HTTP/2 stream ever opens.
const silent = createServer((socket) => sockets.push(socket));
await new Promise<void>((resolve) => silent.listen(Number(net.genesis.nodes[1]?.address.split(":")[1]), "127.0.0.1", resolve));
after(() => {
  for (const s of sockets) s.destroy();
  silent.close();
  net.remove();
});

test("messages to a peer whose stream is backed up are dropped as send_backlog and counted", async () => {
  const registry = new Registry();
  const metrics = createMetrics(registry);
  const log = silentLogger();
  const faults = new FaultController((n) => net.genesis.nodes[n]?.dataCenter, systemClock, log, metrics);
  const transport = new Transport({ self: 0, genesis: net.genesis, identitySecret: parseKeyHex(net.identities[0]?.secretKey ?? "", "identity"), clock: systemClock, faults, log, metrics, maxBufferedBytes: 1024 });
  try {
    const envelope: Envelope = { dkg: { body: new Uint8Array(512), signature: new Uint8Array(64) } };
    const backlog = async (): Promise<number> => sample(await registry.metrics(), NODE_METRICS.messagesDropped, { reason: "send_backlog" });
    assert.equal(await backlog(), 0);
    // Each send is ~600 B on the wire: the first few fill the 1 KiB the stream may buffer.
    const dropped = await waitFor("sends to the silent peer to be dropped", async () => {
      for (let i = 0; i < 10; i++) transport.send(1, envelope);
      const n = await backlog();
      return n > 0 ? n : undefined;
    });
    assert.ok(dropped > 0);
  } finally {
    transport.close();
  }
});
