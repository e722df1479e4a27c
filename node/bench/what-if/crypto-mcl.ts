// SPDX-License-Identifier: Apache-2.0
/**
 * What-if crypto for the beacon engine and consensus: the crypto core's exports with sign, verify and the fast
 * path of recoverVerified done by the mcl-wasm backend (the fallback stays noble's). Loaded in place of
 * src/crypto/index.ts for imports from src/beacon/ and src/consensus/ by use-mcl.ts; a measurement tool, not a
 * node option.
 */
import { createMclBackend } from "../../src/crypto/backend/index.js";
import { CryptoError, recoverVerified as nobleRecoverVerified, type PartialSignature, type RecoverVerifiedInput, type RecoverVerifiedResult, type SecretShare } from "../../src/crypto/index.js";

export * from "../../src/crypto/index.js";

const mcl = await createMclBackend();

/** {@link import("../../src/crypto/index.js").verify} on mcl-wasm. */
export function verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return mcl.verify(publicKey, message, signature);
}

/** {@link import("../../src/crypto/index.js").partialSign} on mcl-wasm. */
export function partialSign(share: SecretShare, message: Uint8Array): PartialSignature {
  return { index: share.index, signature: mcl.sign(share.secret, message) };
}

/** Fast path on mcl-wasm (interpolate the first t, verify once); anything else goes to noble's recoverVerified. */
export function recoverVerified(input: RecoverVerifiedInput): RecoverVerifiedResult {
  try {
    const signature = mcl.recover(input.partials, input.threshold);
    if (mcl.verify(input.groupPublicKey, input.message, signature)) return { signature, invalid: [] };
  } catch (err) {
    if (!(err instanceof CryptoError)) throw err;
  }
  return nobleRecoverVerified(input);
}
