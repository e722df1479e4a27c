// SPDX-License-Identifier: Apache-2.0
/**
 * An Exchange stream opened by hand: how an outside process knocks on a node's peer port (the chaos
 * engine's impostor step, tests). The node answers every stream with a Hello challenge; `build` makes the
 * messages to write from it.
 */
import * as grpc from "@grpc/grpc-js";
import { ExchangeSummary, ProtocolService } from "../gen/relaylab/v1/protocol.js";
import { challengeOf } from "../net/hello.js";
import { pinnedChannel } from "../net/tls.js";

/**
 * Opens an Exchange stream to the node at `address` (TLS pinned to `certificate`, plaintext without one), writes
 * the encoded envelopes `build` makes of the stream's challenge, and resolves with the call's final status:
 * UNAUTHENTICATED when the node refused the Hello.
 */
export async function probeExchange(address: string, certificate: string | undefined, build: (challenge: Uint8Array) => Uint8Array[], deadlineMs = 20_000): Promise<grpc.StatusObject> {
  const pinned = pinnedChannel(certificate);
  const client = new grpc.Client(address, pinned.credentials, pinned.options);
  try {
    return await new Promise<grpc.StatusObject>((resolve) => {
      const stream = client.makeClientStreamRequest<Uint8Array, ExchangeSummary>(
        ProtocolService.exchange.path,
        (b) => Buffer.from(b),
        (b: Buffer) => ExchangeSummary.decode(b),
        new grpc.Metadata(),
        { deadline: Date.now() + deadlineMs },
        () => undefined,
      );
      stream.on("error", () => undefined);
      stream.on("status", resolve);
      stream.on("metadata", (headers: grpc.Metadata) => {
        for (const m of build(challengeOf(headers))) stream.write(m);
        stream.end();
      });
    });
  } finally {
    client.close();
  }
}
