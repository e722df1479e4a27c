// SPDX-License-Identifier: Apache-2.0
/**
 * Sealing of a DKG deal's share to its recipient (pure: no I/O besides the CSPRNG for the nonce).
 *
 * DkgPackets are signed but not encrypted, and members relay them (echo broadcast): the links' TLS (net/tls.ts)
 * keeps the path out, but every relaying node reads what it relays, so a share in the clear would let one faulty
 * node collect t shares of every member and rebuild the group secret. So a deal carries
 *
 *   sealed = nonce (12) ‖ ChaCha20-Poly1305(key, nonce, share (32), aad) ‖ tag (16)   = 60 bytes
 *
 * - key = HKDF-SHA256(ikm = X25519 of the dealer's and the recipient's sealing keys for this run (sealing-keys.ts:
 *   fresh per run, announced signed, erased when the run ends, so a recorded deal cannot be opened later even with
 *   every identity key), salt = SEAL_DOMAIN, info = SEAL_DOMAIN ‖ subnet ‖ epoch ‖ group ‖ dealer node ‖ recipient
 *   node): the secret is the same for both directions of a pair, so the info makes each direction its own key;
 * - aad = dealer member index ‖ recipient member index ‖ SHA-256 of the deal's commitments: a sealed share cannot
 *   be moved into another deal (other commitments) even of the same pair;
 * - the nonce is random: a key seals at most a handful of shares (the deal and its re-sends on a complaint), so
 *   96 random bits are far from colliding.
 * Integrity against the path is already given by the dealer's identity signature over the packet; the AEAD tag
 * additionally makes a share sealed under another key or context fail loudly instead of decrypting to garbage.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes } from "@noble/hashes/utils.js";
import { SCALAR_BYTES } from "../crypto/index.js";
import { AGREEMENT_BYTES } from "./sealing-keys.js";

/** Domain of the key derivation; a new sealing format takes a new version. */
export const SEAL_DOMAIN = "relaylab/dkg-share/v2";
export const SEAL_NONCE_BYTES = 12;
export const SEAL_TAG_BYTES = 16;
/** Size of a sealed share on the wire. */
export const SEALED_SHARE_BYTES = SEAL_NONCE_BYTES + SCALAR_BYTES + SEAL_TAG_BYTES;

const CIPHER = "chacha20-poly1305";
const KEY_BYTES = 32;
const domainBytes = new TextEncoder().encode(SEAL_DOMAIN);

/** Why a sealed share was refused. */
export type SealErrorCode = "malformed_sealed_share" | "unauthenticated" | "invalid_argument";

/** A share that cannot be sealed or opened; the message never contains key material or share bytes. */
export class SealError extends Error {
  override readonly name = "SealError";
  readonly code: SealErrorCode;

  constructor(code: SealErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Everything a sealed share is bound to. */
export interface ShareSealContext {
  readonly subnet: string;
  readonly epoch: bigint;
  /** Candidate group index of the DKG run. */
  readonly group: number;
  /** Node indices of the dealer and the recipient (bound into the key). */
  readonly dealerNode: number;
  readonly recipientNode: number;
  /** The deal itself: 1-based member indices and the commitments it carries. */
  readonly from: number;
  readonly to: number;
  readonly commitments: readonly Uint8Array[];
}

/** Seals a 32-byte share under the pairwise `agreement` (RunSealingKeys.agreement) for this context. */
export function sealShare(agreement: Uint8Array, context: ShareSealContext, share: Uint8Array, nonce: Uint8Array = randomBytes(SEAL_NONCE_BYTES)): Uint8Array {
  if (share.length !== SCALAR_BYTES) throw new SealError("invalid_argument", `a share must be ${SCALAR_BYTES} bytes`);
  if (nonce.length !== SEAL_NONCE_BYTES) throw new SealError("invalid_argument", `a nonce must be ${SEAL_NONCE_BYTES} bytes`);
  const cipher = createCipheriv(CIPHER, shareKey(agreement, context), nonce, { authTagLength: SEAL_TAG_BYTES });
  cipher.setAAD(associatedData(context), { plaintextLength: share.length });
  const ciphertext = concatBytes(cipher.update(share), cipher.final());
  return concatBytes(nonce, ciphertext, cipher.getAuthTag());
}

/**
 * Opens a sealed share; throws SealError "malformed_sealed_share" for a wrong length and "unauthenticated" when the
 * tag does not verify (tampered bytes, another key, another context or deal: indistinguishable by design).
 */
export function openShare(agreement: Uint8Array, context: ShareSealContext, sealed: Uint8Array): Uint8Array {
  if (sealed.length !== SEALED_SHARE_BYTES) throw new SealError("malformed_sealed_share", `a sealed share must be ${SEALED_SHARE_BYTES} bytes, got ${sealed.length}`);
  const nonce = sealed.subarray(0, SEAL_NONCE_BYTES);
  const ciphertext = sealed.subarray(SEAL_NONCE_BYTES, SEAL_NONCE_BYTES + SCALAR_BYTES);
  const decipher = createDecipheriv(CIPHER, shareKey(agreement, context), nonce, { authTagLength: SEAL_TAG_BYTES });
  decipher.setAAD(associatedData(context), { plaintextLength: SCALAR_BYTES });
  decipher.setAuthTag(sealed.subarray(SEAL_NONCE_BYTES + SCALAR_BYTES));
  const share = decipher.update(ciphertext);
  try {
    decipher.final();
  } catch {
    share.fill(0); // never hand out unauthenticated plaintext
    throw new SealError("unauthenticated", "sealed share does not open: wrong key, wrong deal or tampered bytes");
  }
  return new Uint8Array(share);
}

function shareKey(agreement: Uint8Array, context: ShareSealContext): Uint8Array {
  if (agreement.length !== AGREEMENT_BYTES) throw new SealError("invalid_argument", `a key agreement must be ${AGREEMENT_BYTES} bytes`);
  return new Uint8Array(hkdfSync("sha256", agreement, domainBytes, keyInfo(context), KEY_BYTES));
}

/** SEAL_DOMAIN ‖ len(subnet) ‖ subnet ‖ epoch ‖ group ‖ dealer node ‖ recipient node (fixed-width big-endian). */
function keyInfo(context: ShareSealContext): Uint8Array {
  const subnet = new TextEncoder().encode(context.subnet);
  return concatBytes(domainBytes, u32(subnet.length), subnet, u64(context.epoch), u32(context.group), u32(context.dealerNode), u32(context.recipientNode));
}

/** from ‖ to ‖ SHA-256(len(c) ‖ c for each commitment, in order). */
function associatedData(context: ShareSealContext): Uint8Array {
  const commitments = context.commitments.flatMap((c) => [u32(c.length), c]);
  return concatBytes(u32(context.from), u32(context.to), sha256(concatBytes(...commitments)));
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function u64(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
}
