// SPDX-License-Identifier: Apache-2.0
/**
 * TLS on every gRPC port a node serves, pinned to genesis.
 *
 * A node serves with its genesis certificate, whose key is its ed25519 identity key (identity/certificate.ts).
 * A client trusts exactly the certificate genesis gives for the node it dials and nothing else: no CA, no
 * hostname (pods and processes are dialled by address, and an address proves nothing). A client that completes
 * the handshake therefore talks to the holder of that node's identity key, over an encrypted, integrity-checked
 * channel, and a path attacker can neither read, alter nor relay it.
 *
 * Clients are not asked for certificates: a peer proves who it is inside the channel, by a Hello that signs the
 * server's per-stream challenge (transport.ts); the CLI and the operator are not nodes, and prove control calls
 * with the control key (identity/control-auth.ts). With the server pinned, the Hello cannot be relayed: a node
 * signs only challenges that came over a channel to the node it named.
 *
 * A genesis with no certificates (unit tests, hand-written documents) serves plaintext h2c, and the node warns.
 */
import * as grpc from "@grpc/grpc-js";
import type { PeerCertificate } from "node:tls";
import { certificateDer, identityTlsKey } from "../identity/pinning.js";

/**
 * The name a client sends (SNI) and checks against instead of the address: the certificate is checked by its
 * bytes, and an IP address as SNI is against RFC 6066 (and makes node:tls warn).
 */
const TLS_SERVER_NAME = "relaylab-node";

/** Credentials a node's gRPC servers listen with: its certificate and identity key, or plaintext without one. */
export function serverCredentials(certificate: string | undefined, identitySecret: Uint8Array): grpc.ServerCredentials {
  if (certificate === undefined) return grpc.ServerCredentials.createInsecure();
  // Client certificates are not asked for, so the roots are never used; the node's own certificate stands in for
  // them (null would load the system's whole CA store into every server's TLS context).
  const pem = Buffer.from(certificate);
  return grpc.ServerCredentials.createSsl(pem, [{ private_key: Buffer.from(identityTlsKey(identitySecret)), cert_chain: pem }], false);
}

/** What a client channel to a node needs: credentials that trust only `certificate`, and the options that go with them. */
export interface PinnedChannel {
  readonly credentials: grpc.ChannelCredentials;
  readonly options: grpc.ChannelOptions;
}

/** A channel to the node whose genesis certificate is `certificate` (plaintext when it has none). */
export function pinnedChannel(certificate: string | undefined): PinnedChannel {
  if (certificate === undefined) return { credentials: grpc.credentials.createInsecure(), options: {} };
  const pinned = certificateDer(certificate);
  // The chain check (the certificate is its own root) proves the server holds the key; this proves it is the
  // one certificate genesis names for this node, not another node's.
  const checkServerIdentity = (_host: string, peer: PeerCertificate): Error | undefined =>
    peer.raw.equals(pinned) ? undefined : new Error("the node presented a certificate other than the one genesis gives for it");
  return {
    credentials: grpc.credentials.createSsl(Buffer.from(certificate), null, null, { checkServerIdentity }),
    options: { "grpc.ssl_target_name_override": TLS_SERVER_NAME },
  };
}
