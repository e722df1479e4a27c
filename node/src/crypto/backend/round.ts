// SPDX-License-Identifier: Apache-2.0
/**
 * Round crypto: the operations a node repeats every beacon round and every consensus height (sign a share,
 * verify a beacon or certificate, recover and verify a group signature), behind one value that the node creates
 * at start and hands to the beacon engine and consensus. The noble core serves as is; another backend
 * (mcl-wasm) takes sign, verify and the fast path of recoverVerified, while the fallback that locates invalid
 * partials (RLC batch checks and bisection, batch.ts) and partialVerify stay on noble. The DKG's commitment
 * arithmetic travels with it on the same backend. Both give the same bytes and the same CryptoError codes
 * (test/crypto/backend.test.ts).
 */
import { NOBLE_COMMITMENTS, type CommitmentGroup } from "../commitments.js";
import { CryptoError } from "../errors.js";
import { assertDistinctIndices, assertIndex, assertThreshold } from "../poly.js";
import { partialSign, recoverSignature, recoverVerified, verify, type PartialSignature, type RecoverVerifiedInput, type RecoverVerifiedResult, type SecretShare } from "../tbls.js";
import type { BackendName, SchemeBackend } from "./types.js";

export interface RoundCrypto {
  /** The backend doing the work (logged at start and exported as a node_info label). */
  readonly backend: BackendName;
  /** As tbls.ts's partialSign: member share.index's partial signature on `message`. */
  readonly partialSign: (share: SecretShare, message: Uint8Array) => PartialSignature;
  /** As tbls.ts's verify: false for a wrong signature, CryptoError("malformed_point") for bad encodings. */
  readonly verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;
  /** As tbls.ts's recoverSignature: Lagrange interpolation at 0 of the first `threshold` partials, unverified. */
  readonly recover: (partials: readonly PartialSignature[], threshold: number) => Uint8Array;
  /** As tbls.ts's recoverVerified: a verified group signature and the invalid partials found on the way. */
  readonly recoverVerified: (input: RecoverVerifiedInput) => RecoverVerifiedResult;
  /** The DKG's Feldman commitment arithmetic on the same backend (the node hands it to every epoch's DKG). */
  readonly commitments: CommitmentGroup;
}

/** The noble core itself. */
export const NOBLE_ROUND_CRYPTO: RoundCrypto = { backend: "noble", partialSign, verify, recover: recoverSignature, recoverVerified, commitments: NOBLE_COMMITMENTS };

/** Round crypto on `backend`: its sign, verify and fast-path recovery; noble's recoverVerified when the fast path fails. */
export function roundCryptoOn(backend: SchemeBackend): RoundCrypto {
  if (backend.name === "noble") return NOBLE_ROUND_CRYPTO;
  return {
    backend: backend.name,
    commitments: backend.commitments,
    partialSign(share, message) {
      assertIndex(share.index);
      return { index: share.index, signature: backend.sign(share.secret, message) };
    },
    verify: (publicKey, message, signature) => backend.verify(publicKey, message, signature),
    recover: (partials, threshold) => backend.recover(partials, threshold),
    recoverVerified(input) {
      // The caller errors noble refuses before its fast path, refused here the same way.
      assertThreshold(input.threshold);
      assertDistinctIndices(input.partials.map((p) => p.index));
      try {
        const signature = backend.recover(input.partials, input.threshold);
        if (backend.verify(input.groupPublicKey, input.message, signature)) return { signature, invalid: [] };
      } catch (err) {
        if (!(err instanceof CryptoError)) throw err;
      }
      return recoverVerified(input);
    },
  };
}
