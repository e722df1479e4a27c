// SPDX-License-Identifier: Apache-2.0
/**
 * TLS on the links, pinned to genesis (net/tls.ts), against a path attacker: a relay in front of node 0 that
 * records every byte its peers send it, and then alters them. The same relay in front of a plaintext testnet
 * reads the gRPC traffic, so the recording check is one that can fail.
 */
import assert from "node:assert/strict";
import { createServer, connect, type Server, type Socket } from "node:net";
import { describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { parseGenesis, type GenesisInput } from "../../src/config/index.js";
import { nodeCertificate } from "../../src/identity/certificate.js";
import { generateIdentity } from "../../src/identity/index.js";
import { NODE_METRICS } from "../../src/metrics/names.js";
import { pinnedChannel } from "../../src/net/tls.js";
import { ProcessCluster } from "../harness/cluster.js";
import { sample, scrape } from "../harness/metrics.js";
import { freePorts } from "../harness/ports.js";
import { createTestnet } from "../harness/testnet.js";
import { waitFor } from "../harness/wait.js";

/** Forwards `listen` to `target`, keeping what the dialling side sends; `tamper` flips a byte of every later chunk. */
class Relay {
  readonly sent: Buffer[] = [];
  tamper = false;
  tampered = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  constructor(target: number) {
    this.#server = createServer((inbound) => {
      const outbound = connect(target, "127.0.0.1");
      for (const s of [inbound, outbound]) {
        this.#sockets.add(s);
        s.on("error", () => undefined);
        s.on("close", () => {
          this.#sockets.delete(s);
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.on("data", (chunk: Buffer) => {
        this.sent.push(Buffer.from(chunk));
        if (this.tamper && chunk.length > 8) {
          chunk[chunk.length - 4] = (chunk[chunk.length - 4] ?? 0) ^ 0x01;
          this.tampered++;
        }
        outbound.write(chunk);
      });
      outbound.on("data", (chunk: Buffer) => inbound.write(chunk));
    });
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(port, "127.0.0.1", () => resolve());
    });
  }

  bytes(): Buffer {
    return Buffer.concat(this.sent);
  }

  close(): void {
    for (const s of this.#sockets) s.destroy();
    this.#server.close();
  }
}

/** A 3-node testnet whose node 0 is dialled through a relay: genesis names the relay's port, node 0 listens on another. */
async function relayedTestnet(plaintext: boolean): Promise<{ cluster: ProcessCluster; relay: Relay; stop: () => Promise<void> }> {
  const net = await createTestnet({ nodes: 3, groups: 1, size: 3, threshold: 2, plaintext });
  const [real] = await freePorts(1);
  const relay = new Relay(real ?? 0);
  await relay.listen(Number(net.genesis.nodes[0]?.address.split(":")[1]));
  const cluster = new ProcessCluster(net, { args: (i) => (i === 0 ? ["--listen", `127.0.0.1:${real}`] : []) });
  await cluster.startAll();
  return {
    cluster,
    relay,
    stop: async () => {
      await cluster.stopAll();
      relay.close();
      net.remove();
    },
  };
}

/** Every HTTP/2 connection opens with it (RFC 9113 §3.4); header names and paths are HPACK-coded, so no use. */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

describe("TLS links pinned to genesis", () => {
  it("genesis refuses a certificate of another key, an unreadable one, and a mix of TLS and plaintext nodes", () => {
    const ids = [generateIdentity(), generateIdentity(), generateIdentity()];
    const input = (certificates: (string | undefined)[]): GenesisInput => ({
      version: 1,
      subnet: "t",
      seed: "0".repeat(64),
      nodes: ids.map((id, index) => ({ index, address: `127.0.0.1:${7000 + index}`, identityKey: id.publicKey, dataCenter: "dc", ...(certificates[index] === undefined ? {} : { certificate: certificates[index] }) })),
      groups: { count: 1, size: 3 },
    });
    const own = ids.map((id, i) => nodeCertificate(id.secretKey, "t", i));
    assert.equal(parseGenesis(input(own)).nodes[2]?.certificate, own[2]);
    assert.equal(parseGenesis(input([])).nodes[0]?.certificate, undefined);
    assert.throws(() => parseGenesis(input([own[0], own[0], own[2]])), /nodes\[1\]\.certificate: holds a key other than the node's identityKey/);
    assert.throws(() => parseGenesis(input([own[0], "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", own[2]])), /nodes\[1\]\.certificate: is not a PEM X\.509 certificate/);
    assert.throws(() => parseGenesis(input([own[0], undefined, own[2]])), /nodes\[1\]\.certificate: is missing while 2 other nodes have one/);
  });

  it("a path attacker reads no traffic, and what it alters is refused before any message is decoded", async () => {
    // The control: the same relay in front of a plaintext testnet sees the gRPC calls.
    const plain = await relayedTestnet(true);
    try {
      await plain.cluster.waitForRound(2n);
      const seen = plain.relay.bytes();
      assert.ok(seen.includes(H2_PREFACE), "the relay sees plaintext HTTP/2 on a plaintext testnet");
    } finally {
      await plain.stop();
    }

    const tls = await relayedTestnet(false);
    try {
      await tls.cluster.waitForRound(2n);
      const seen = tls.relay.bytes();
      assert.ok(seen.length > 1000, `the relay carried the peers' traffic (${seen.length} bytes)`);
      assert.equal(seen[0], 0x16, "the first byte a peer sends is a TLS handshake record");
      assert.ok(!seen.includes(H2_PREFACE), "no HTTP/2 crosses in the clear");

      // Altered records fail TLS's integrity check: node 0 drops the connection, and no altered byte reaches
      // the protocol (no envelope is counted malformed or badly signed).
      const metrics = tls.cluster.node(0).addresses.metrics;
      const dropped = async (reason: string): Promise<number> => sample(await scrape(metrics), NODE_METRICS.messagesDropped, { reason });
      tls.relay.tamper = true;
      const round = (await tls.cluster.node(0).client.status()).round;
      await waitFor("the relay to alter traffic for three more rounds", async () => tls.relay.tampered >= 20 && (await tls.cluster.node(0).client.status()).round >= round + 3n, { timeoutMs: 120_000 });
      assert.equal(await dropped("malformed"), 0);
      assert.equal(await dropped("bad_signature"), 0);
    } finally {
      await tls.stop();
    }
  });

  it("a client pinned to one node's certificate refuses every other node, and a plaintext client is refused", async () => {
    const net = await createTestnet({ nodes: 3, groups: 1, size: 3, threshold: 2 });
    const cluster = new ProcessCluster(net);
    const clients: grpc.Client[] = [];
    try {
      const node = await cluster.start(0);
      const call = (pinned: { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions }): Promise<grpc.ServiceError | null> => {
        const client = new grpc.Client(node.addresses.grpc, pinned.credentials, pinned.options);
        clients.push(client);
        return new Promise((resolve) => client.makeUnaryRequest("/relaylab.v1.Public/Status", (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), { deadline: Date.now() + 20_000 }, (err) => resolve(err)));
      };
      assert.equal(await call(pinnedChannel(net.genesis.nodes[0]?.certificate)), null, "the node's own certificate");
      const other = await call(pinnedChannel(net.genesis.nodes[1]?.certificate));
      assert.equal(other?.code, grpc.status.UNAVAILABLE, "pinned to node 1's certificate");
      const plaintext = await call(pinnedChannel(undefined));
      assert.equal(plaintext?.code, grpc.status.UNAVAILABLE, "plaintext h2c");
    } finally {
      for (const c of clients) c.close();
      await cluster.stopAll();
      net.remove();
    }
  });
});
