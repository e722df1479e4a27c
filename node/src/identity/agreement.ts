// SPDX-License-Identifier: Apache-2.0
/**
 * Static-static key agreement between two node identities: X25519 (RFC 7748) on the Montgomery forms of their
 * ed25519 keys. Every node's ed25519 identity key is already in the genesis, so two nodes can derive a pairwise
 * secret without a handshake or a second key per node (libsodium's crypto_sign_ed25519_*_to_curve25519 idea).
 * The raw output is not a key: callers run it through a KDF with their own domain and context.
 */
import { ed25519, x25519 } from "@noble/curves/ed25519.js";

/** Bytes of the X25519 shared secret. */
export const AGREEMENT_BYTES = 32;

/**
 * The X25519 secret shared by the holder of `identitySecret` (a 32-byte ed25519 seed) and the node whose ed25519
 * public key is `peerIdentityKey`. Symmetric: either side computes the same value from its own secret.
 * Throws (naming neither key's value) when the peer key is not an ed25519 point or is of low order: a low-order
 * key would make the secret predictable (noble rejects the all-zero output).
 */
export function identityAgreement(identitySecret: Uint8Array, peerIdentityKey: Uint8Array): Uint8Array {
  if (identitySecret.length !== 32) throw new Error("identity secret key must be 32 bytes");
  let peer: Uint8Array;
  try {
    peer = ed25519.utils.toMontgomery(peerIdentityKey);
  } catch {
    throw new Error("peer identity key is not an ed25519 public key");
  }
  try {
    return x25519.getSharedSecret(ed25519.utils.toMontgomerySecret(identitySecret), peer);
  } catch {
    throw new Error("peer identity key is of low order");
  }
}
