// SPDX-License-Identifier: Apache-2.0
/**
 * The X25519 keys one DKG run seals its deal shares with: each member makes a fresh key pair when the run starts,
 * announces the public key in an identity-signed packet, and erases the secret once the run has ended. A recorded
 * deal therefore stays sealed even to someone who later takes every node's identity key and data directory
 * (forward secrecy), and the identity key is used for ed25519 signatures only, never as a Diffie-Hellman key.
 *
 * Pure bookkeeping, no I/O: the driver (driver.ts) sends the announcements and holds back a deal to a member whose
 * key it has not seen yet. Every deal names the two keys it is sealed between: a recipient sets aside one sealed to
 * a key it no longer holds, and holds one sealed with a dealer key it has not seen announced until it is.
 * A member announces again after a restart with a new key and a later generation (its process's start); that
 * announcement replaces the key, deals to the member are sealed again (the driver keeps their plaintext until the
 * run ends), and a stale copy of the old one, delayed or replayed by anyone, changes nothing.
 *
 * X25519 is OpenSSL's (node:crypto), not noble's: noble's first fixed-base multiplication builds its precomputed
 * table, which cost a node about 0.5 s of CPU at start-up (a CPU profile of a 16-node `relaylab up`), every start.
 */
import { createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from "node:crypto";

/** Bytes of an X25519 public or secret key. */
export const SEALING_KEY_BYTES = 32;
/** Bytes of the X25519 shared secret (an input to a KDF, not a key). */
export const AGREEMENT_BYTES = 32;

/** DER of an X25519 PKCS#8 private key and SubjectPublicKeyInfo, before the 32 raw key bytes (RFC 8410). */
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");

export class RunSealingKeys {
  readonly #secret: Uint8Array;
  #privateKey: KeyObject | undefined;
  readonly publicKey: Uint8Array;
  /** Members' announced public keys and the generation of the announcement, by node index. */
  readonly #peers = new Map<number, { readonly key: Uint8Array; readonly generation: bigint }>();
  /** X25519 secrets with each member, computed once per key. */
  readonly #agreements = new Map<number, Uint8Array>();
  #erased = false;

  /** `secret`: a fresh random key unless given (tests that must open what they record give their own). */
  constructor(secret: Uint8Array = randomBytes(SEALING_KEY_BYTES)) {
    if (secret.length !== SEALING_KEY_BYTES) throw new RangeError(`a sealing secret key must be ${SEALING_KEY_BYTES} bytes`);
    this.#secret = secret;
    const der = Buffer.concat([PKCS8_PREFIX, secret]);
    this.#privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    der.fill(0);
    this.publicKey = new Uint8Array(createPublicKey(this.#privateKey).export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length));
  }

  /**
   * Records `node`'s key announced at `generation` (its process's start). Returns "new" for a first key, "changed"
   * when a later generation replaces another (a restarted member: deals to it must be sealed again), "stale" for an
   * announcement of an earlier or the same generation (a delayed or replayed copy, which must not undo a restart's
   * new key), and "invalid" for a key of the wrong size.
   */
  announce(node: number, publicKey: Uint8Array, generation: bigint): "new" | "changed" | "stale" | "invalid" {
    if (publicKey.length !== SEALING_KEY_BYTES) return "invalid";
    const earlier = this.#peers.get(node);
    if (earlier !== undefined && generation <= earlier.generation) return "stale";
    this.#peers.set(node, { key: Uint8Array.from(publicKey), generation });
    this.#agreements.get(node)?.fill(0);
    this.#agreements.delete(node);
    return earlier === undefined ? "new" : "changed";
  }

  has(node: number): boolean {
    return this.#peers.has(node);
  }

  /** `node`'s announced public key, if any. */
  keyOf(node: number): Uint8Array | undefined {
    return this.#peers.get(node)?.key;
  }

  /**
   * The X25519 secret with `node`'s announced key. Throws (naming no key) when the key is unknown, the secret is
   * erased, or the key is of low order (noble refuses the all-zero output, which would make the secret predictable).
   */
  agreement(node: number): Uint8Array {
    if (this.#erased || this.#privateKey === undefined) throw new Error("the run's sealing key is erased");
    const known = this.#agreements.get(node);
    if (known !== undefined) return known;
    const peer = this.#peers.get(node)?.key;
    if (peer === undefined) throw new Error(`node ${node} has announced no sealing key`);
    let secret: Uint8Array;
    try {
      const publicKey = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, peer]), format: "der", type: "spki" });
      const shared = diffieHellman({ privateKey: this.#privateKey, publicKey });
      secret = Uint8Array.from(shared);
      shared.fill(0);
    } catch {
      throw new Error(`node ${node}'s sealing key is of low order`);
    }
    this.#agreements.set(node, secret);
    return secret;
  }

  /**
   * Zeroes the secret key and every agreement and drops the OpenSSL key object (freed with it when collected):
   * nothing sealed in this run can be opened with what is left.
   */
  erase(): void {
    this.#erased = true;
    this.#privateKey = undefined;
    this.#secret.fill(0);
    for (const secret of this.#agreements.values()) secret.fill(0);
    this.#agreements.clear();
  }
}
