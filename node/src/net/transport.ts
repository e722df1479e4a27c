// SPDX-License-Identifier: Apache-2.0
/**
 * Node-to-node transport: one long-lived Exchange client stream to each peer, opened on demand and
 * re-opened after failures, over TLS pinned to the peer's genesis certificate (tls.ts), whose first message is
 * an identity-signed Hello (hello.ts). The receiver opens each stream with a random challenge in its response
 * headers, which the Hello must sign, so a Hello opens one stream only. The sender holds its envelopes until the
 * challenge arrives. Fault injection is applied here in both directions. Inbound bytes are decoded defensively: oversized,
 * malformed or unauthenticated input is dropped and counted, never thrown.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import type { Clock } from "../clock.js";
import type { Genesis } from "../config/index.js";
import type { FaultController } from "../faults/controller.js";
import { Envelope, ExchangeSummary, Hello, ProtocolService } from "../gen/relaylab/v1/protocol.js";
import { verifyIdentitySignature } from "../identity/index.js";
import { hexToBytes } from "@noble/hashes/utils.js";
import type { Logger } from "../log.js";
import type { DropReason, P2PMessageKind } from "../metrics/names.js";
import type { Metrics } from "../metrics/registry.js";
import { envelopeKind } from "./envelope.js";
import { challengeOf, HELLO_CHALLENGE_BYTES, HELLO_CHALLENGE_HEADER, helloDomain, signedHello } from "./hello.js";
import { pinnedChannel } from "./tls.js";
import { MAX_ENVELOPE_BYTES, wireBytes } from "./framing.js";

/** How far a Hello's timestamp may be from our clock before it is refused as stale. */
const HELLO_WINDOW_MS = 5 * 60_000;
/** Bytes buffered on one outbound stream beyond which new messages are dropped (a slow or dead peer). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** Channel options shared by every peer client: reconnect fast, since peers restart in tests and chaos runs. */
export const PEER_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.initial_reconnect_backoff_ms": 200,
  "grpc.max_reconnect_backoff_ms": 2000,
  "grpc.max_receive_message_length": 16 * 1024 * 1024,
  "grpc.keepalive_time_ms": 30_000,
};

/** Receives authenticated, fault-filtered envelopes; `wire` is the estimated bytes on the wire. */
export type EnvelopeHandler = (from: number, envelope: Envelope, wire: number) => void;

export interface TransportOptions {
  readonly self: number;
  readonly genesis: Genesis;
  readonly identitySecret: Uint8Array;
  readonly clock: Clock;
  readonly faults: FaultController;
  readonly log: Logger;
  readonly metrics: Metrics | null;
  /** Bytes buffered on one outbound stream beyond which new messages are dropped. @default MAX_BUFFERED_BYTES */
  readonly maxBufferedBytes?: number;
}

interface PeerLink {
  readonly client: grpc.Client;
  stream: grpc.ClientWritableStream<Uint8Array> | undefined;
  /** Envelopes written before the peer's challenge came and the Hello went out, in order. */
  held: Uint8Array[] | undefined;
  heldBytes: number;
}

/** Raw-bytes variant of Protocol.Exchange: the handler sees each message's size and decodes it itself. */
const rawExchange = {
  ...ProtocolService.exchange,
  requestSerialize: (value: Uint8Array): Buffer => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
  requestDeserialize: (value: Buffer): Buffer => value,
};

export class Transport {
  private readonly peers = new Map<number, PeerLink>();
  private readonly identityKeys: Uint8Array[];
  /** Links are TLS (genesis gives every node a certificate, or none): wire sizes count the record overhead. */
  readonly tls: boolean;
  private handler: EnvelopeHandler = () => undefined;
  private closed = false;

  constructor(private readonly opts: TransportOptions) {
    this.identityKeys = opts.genesis.nodes.map((n) => hexToBytes(n.identityKey));
    this.tls = opts.genesis.nodes[0]?.certificate !== undefined;
  }

  /** Sets who receives inbound envelopes (the node's dispatcher). */
  onEnvelope(handler: EnvelopeHandler): void {
    this.handler = handler;
  }

  /** Registers the Exchange handler (and `extra` Protocol handlers) on a server. */
  register(server: grpc.Server, extra: Pick<grpc.UntypedServiceImplementation, "syncChain">): void {
    server.addService({ exchange: rawExchange, syncChain: ProtocolService.syncChain }, { exchange: this.serveExchange, ...extra });
  }

  /** Sends `envelope` to node `to` (never throws; failures and faults just lose the message). */
  send(to: number, envelope: Envelope): number {
    if (this.closed || to === this.opts.self || to < 0 || to >= this.opts.genesis.nodes.length) return 0;
    const bytes = Envelope.encode(envelope).finish();
    const wire = wireBytes(bytes.length, this.tls);
    if (this.opts.faults.paused()) return 0;
    const decision = this.opts.faults.decide(to, "sent", wire);
    if (decision.drop) return 0;
    if (decision.delayMs > 0) this.opts.clock.setTimeout(() => this.write(to, bytes, envelopeKind(envelope), wire), decision.delayMs);
    else this.write(to, bytes, envelopeKind(envelope), wire);
    return wire;
  }

  /** A client for `peer`'s Protocol service on the shared channel (for SyncChain). */
  clientFor(peer: number): grpc.Client {
    return this.link(peer).client;
  }

  close(): void {
    this.closed = true;
    for (const link of this.peers.values()) {
      link.stream?.end();
      link.client.close();
    }
    this.peers.clear();
  }

  private write(to: number, bytes: Uint8Array, kind: P2PMessageKind, wire: number): void {
    if (this.closed) return;
    const link = this.link(to);
    const stream = link.stream ?? this.open(to, link);
    const limit = this.opts.maxBufferedBytes ?? MAX_BUFFERED_BYTES;
    if (stream.writableLength + link.heldBytes > limit) return this.drop("send_backlog");
    if (link.held !== undefined) {
      link.held.push(bytes);
      link.heldBytes += bytes.length;
    } else {
      stream.write(bytes);
    }
    this.opts.metrics?.p2pBytes.inc({ direction: "sent", message: kind }, wire);
  }

  private link(peer: number): PeerLink {
    let link = this.peers.get(peer);
    if (link === undefined) {
      const node = this.opts.genesis.nodes[peer];
      const channel = pinnedChannel(node?.certificate);
      link = { client: new grpc.Client(node?.address ?? "", channel.credentials, { ...PEER_CHANNEL_OPTIONS, ...channel.options }), stream: undefined, held: undefined, heldBytes: 0 };
      this.peers.set(peer, link);
    }
    return link;
  }

  private open(to: number, link: PeerLink): grpc.ClientWritableStream<Uint8Array> {
    const stream = link.client.makeClientStreamRequest<Uint8Array, ExchangeSummary>(
      rawExchange.path,
      rawExchange.requestSerialize,
      (b: Buffer) => ExchangeSummary.decode(b),
      (err) => {
        if (link.stream === stream) {
          link.stream = undefined;
          link.held = undefined;
          link.heldBytes = 0;
        }
        if (err && !this.closed) this.opts.log.debug({ event: "peer_stream_closed", peer: to, code: err.code }, "peer stream closed");
      },
    );
    stream.on("error", () => undefined);
    link.stream = stream;
    link.held = [];
    link.heldBytes = 0;
    // The peer's response headers carry its challenge; the Hello, then what was held, go out once they come.
    stream.on("metadata", (metadata: grpc.Metadata) => {
      if (link.stream !== stream || link.held === undefined) return;
      const fields = { subnet: this.opts.genesis.subnet, from: this.opts.self, to, challenge: challengeOf(metadata), timeMs: this.opts.clock.wallNow() };
      stream.write(signedHello(fields, this.opts.identitySecret));
      for (const bytes of link.held) stream.write(bytes);
      link.held = undefined;
      link.heldBytes = 0;
    });
    return stream;
  }

  private drop(reason: DropReason): void {
    this.opts.metrics?.messagesDropped.inc({ reason });
  }

  /** Exchange handler: authenticate the Hello, then filter and dispatch every envelope. */
  private readonly serveExchange = (call: grpc.ServerReadableStream<Buffer, ExchangeSummary>, callback: grpc.sendUnaryData<ExchangeSummary>): void => {
    const challenge = randomBytes(HELLO_CHALLENGE_BYTES);
    const headers = new grpc.Metadata();
    headers.set(HELLO_CHALLENGE_HEADER, challenge);
    call.sendMetadata(headers);
    let from: number | undefined;
    let received = 0n;
    let finished = false;
    const finish = (err: grpc.ServiceError | null): void => {
      if (finished) return;
      finished = true;
      if (err) callback(err);
      else callback(null, { received });
    };
    call.on("data", (raw: Buffer) => {
      if (finished) return;
      if (raw.length > MAX_ENVELOPE_BYTES) return this.drop("oversized");
      let envelope: Envelope;
      try {
        envelope = Envelope.decode(raw);
      } catch {
        return this.drop("malformed");
      }
      if (from === undefined) {
        const hello = envelope.hello;
        if (hello === undefined) return this.drop("unknown_sender");
        const problem = this.checkHello(hello, challenge);
        if (problem !== undefined) {
          this.drop(problem);
          finish({ name: "Error", message: `hello refused: ${problem}`, code: grpc.status.UNAUTHENTICATED, details: problem, metadata: new grpc.Metadata() });
          return;
        }
        from = hello.from;
        return;
      }
      if (envelope.hello !== undefined) return;
      const wire = wireBytes(raw.length, this.tls);
      const kind = envelopeKind(envelope);
      this.opts.metrics?.p2pBytes.inc({ direction: "received", message: kind }, wire);
      if (this.opts.faults.paused()) return this.drop("fault");
      const decision = this.opts.faults.decide(from, "received", wire);
      if (decision.drop) return this.drop("fault");
      received++;
      const sender = from;
      if (decision.delayMs > 0) this.opts.clock.setTimeout(() => this.deliver(sender, envelope, wire), decision.delayMs);
      else this.deliver(sender, envelope, wire);
    });
    call.on("end", () => finish(null));
    call.on("error", () => (finished = true));
  };

  private deliver(from: number, envelope: Envelope, wire: number): void {
    if (this.closed) return;
    try {
      this.handler(from, envelope, wire);
    } catch (err) {
      // Peer input must never crash the node: a handler bug shows up in logs and drop counts instead.
      this.drop("malformed");
      this.opts.log.error({ event: "handler_error", peer: from, err }, "envelope handler threw");
    }
  }

  private checkHello(hello: Hello, challenge: Uint8Array): DropReason | undefined {
    const key = this.identityKeys[hello.from];
    if (key === undefined || hello.from === this.opts.self) return "unknown_sender";
    if (hello.to !== this.opts.self) return "unknown_sender";
    if (Math.abs(Number(hello.timeMs) - this.opts.clock.wallNow()) > HELLO_WINDOW_MS) return "bad_signature";
    // A Hello signed for another stream's challenge is a replay (or a peer of an older version).
    if (!timingSafeEqualBytes(hello.challenge, challenge)) return "bad_signature";
    const unsigned = Hello.encode({ ...hello, signature: new Uint8Array() }).finish();
    return verifyIdentitySignature(key, helloDomain(this.opts.genesis.subnet), unsigned, hello.signature) ? undefined : "bad_signature";
  }
}

function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
