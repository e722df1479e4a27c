// SPDX-License-Identifier: Apache-2.0
// Nodes start at different moments: what a node sends a peer that is not listening yet waits for it (up to the
// backlog limit) instead of being lost until the next retransmission. Once the peer has been reached, a peer that
// goes away fails the stream at once: nothing is held for it, as nothing would be on a real wire.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { Registry } from "prom-client";
import { systemClock } from "../../src/clock.js";
import { FaultController } from "../../src/faults/controller.js";
import type { Envelope } from "../../src/gen/relaylab/v1/protocol.js";
import { parseKeyHex } from "../../src/identity/index.js";
import { silentLogger } from "../../src/log.js";
import { createMetrics } from "../../src/metrics/registry.js";
import { Transport } from "../../src/net/transport.js";
import { createTestnet } from "../harness/testnet.js";
import { waitFor } from "../harness/wait.js";

const net = await createTestnet({ nodes: 2, groups: 1, size: 2 });
after(() => net.remove());

function transport(self: number): Transport {
  const log = silentLogger();
  const metrics = createMetrics(new Registry());
  const faults = new FaultController((n) => net.genesis.nodes[n]?.dataCenter, systemClock, log, metrics);
  return new Transport({ self, genesis: net.genesis, identitySecret: parseKeyHex(net.identities[self]?.secretKey ?? "", "identity"), clock: systemClock, faults, log, metrics });
}

/** Node 1 listening on its genesis address; resolves with the server and the bodies it received. */
async function listen(): Promise<{ server: grpc.Server; received: number[]; receiver: Transport }> {
  const receiver = transport(1);
  const received: number[] = [];
  receiver.onEnvelope((from, envelope) => {
    if (from === 0 && envelope.dkg !== undefined) received.push(envelope.dkg.body[0] ?? -1);
  });
  const server = new grpc.Server();
  receiver.register(server, { syncChain: (call: grpc.ServerWritableStream<unknown, unknown>) => call.end() });
  await new Promise<void>((resolve, reject) => server.bindAsync(net.genesis.nodes[1]?.address ?? "", grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  return { server, received, receiver };
}

const packet = (n: number): Envelope => ({ dkg: { body: Uint8Array.of(n), signature: new Uint8Array(64) } });

test("packets sent before the peer listens reach it once it does; after it went away, nothing waits for it", async () => {
  const sender = transport(0);
  try {
    for (let n = 1; n <= 3; n++) sender.send(1, packet(n));
    const first = await listen();
    await waitFor("the packets sent before node 1 listened", () => (first.received.length === 3 ? true : undefined));
    assert.deepEqual(first.received, [1, 2, 3]);

    // Node 1 goes away after it was reached: a packet sent once the sender has seen it go is lost, not held.
    first.receiver.close();
    first.server.forceShutdown();
    const channel = sender.clientFor(1).getChannel();
    await waitFor("the sender to see node 1 gone", () => (channel.getConnectivityState(false) !== grpc.connectivityState.READY ? true : undefined));
    sender.send(1, packet(9));
    const second = await listen();
    try {
      // As the protocols do, the sender repeats itself until the new connection carries a packet.
      await waitFor("a packet sent after node 1 came back", () => {
        sender.send(1, packet(4));
        return second.received.includes(4) ? true : undefined;
      });
      assert.ok(!second.received.includes(9), "a packet sent while node 1 was gone was held for it");
    } finally {
      second.receiver.close();
      second.server.forceShutdown();
    }
  } finally {
    sender.close();
  }
});
