// SPDX-License-Identifier: Apache-2.0
/**
 * relaylab's threshold-BLS crypto core (pure: no I/O; depends only on @noble/curves and @noble/hashes).
 * Scheme and encodings: scheme.ts, points.ts. Sharing: poly.ts, sharing.ts. Threshold signatures: tbls.ts with
 * batch verification in batch.ts. Key generation: dkg.ts. Errors: errors.ts.
 */
export { CryptoError, NotEnoughValidSharesError, type CryptoErrorCode } from "./errors.js";
export { MAX_INDEX, PUBLIC_KEY_BYTES, SCALAR_BYTES, SIGNATURE_BYTES, SIGNATURE_DST } from "./scheme.js";
export {
  generateSecretKey,
  partialSign,
  partialVerify,
  publicKeyOf,
  recoverSignature,
  recoverVerified,
  sign,
  verify,
  verifyPartialsBatch,
  type PartialSignature,
  type RecoverVerifiedInput,
  type RecoverVerifiedResult,
  type SecretShare,
} from "./tbls.js";
export { dealShares, publicKeyShare, type DealtShares } from "./sharing.js";
export { NOBLE_COMMITMENTS, type CommitmentGroup, type CommitmentPoint } from "./commitments.js";
export { commitmentStatement, Dkg, type DkgConfig, type DkgMessage, type DkgPhase, type DkgResult, type DkgSigner } from "./dkg.js";
