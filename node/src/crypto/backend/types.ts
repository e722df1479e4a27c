// SPDX-License-Identifier: Apache-2.0
/**
 * The scheme interface a BLS12-381 implementation must provide to stand in for the noble core: the three
 * operations that dominate a round (sign a share, verify a beacon, recover the group signature by Lagrange
 * interpolation + G1 multi-scalar multiplication). Every backend uses the same scheme (scheme.ts: signatures in
 * G1 under SIGNATURE_DST, keys in G2) and the same strict ZCash encodings, so their outputs are identical bytes.
 * A backend also carries the G2 arithmetic of the DKG's Feldman commitments (commitments.ts).
 */
import type { CommitmentGroup } from "../commitments.js";
import type { PartialSignature } from "../tbls.js";

/** Every backend name, for flag parsing and the node_info metric label. */
export const BACKEND_NAMES = ["noble", "mcl-wasm"] as const;

/** Names of the available backends. */
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface SchemeBackend {
  readonly name: BackendName;
  /** The 48-byte signature secret·H(message). */
  sign(secret: bigint, message: Uint8Array): Uint8Array;
  /** True iff `signature` signs `message` under the 96-byte `publicKey`; CryptoError("malformed_point") for bad encodings. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** Group signature interpolated from the first `threshold` partials (no verification), 48 bytes. */
  recover(partials: readonly PartialSignature[], threshold: number): Uint8Array;
  /** The DKG's G2 arithmetic on this backend. */
  readonly commitments: CommitmentGroup;
}
