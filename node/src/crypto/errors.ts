// SPDX-License-Identifier: Apache-2.0
/**
 * The crypto core's one error type. Every failure caused by caller input (bad encodings, bad indices, too few
 * shares) surfaces as a CryptoError with a stable `code`, never as a library stack trace, and its message never
 * contains secret values (scalars, shares).
 */

/** Why a crypto operation refused its input. */
export type CryptoErrorCode =
  | "malformed_point"
  | "malformed_scalar"
  | "invalid_index"
  | "duplicate_index"
  | "not_enough_shares"
  | "invalid_argument";

/** An input the crypto core cannot use; `code` is machine-readable, the message says what to fix. */
export class CryptoError extends Error {
  override readonly name = "CryptoError";
  readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Fewer than t of the given partials verify; `invalid` lists every index found invalid (all were checked). */
export class NotEnoughValidSharesError extends CryptoError {
  constructor(
    message: string,
    readonly invalid: readonly number[],
  ) {
    super("not_enough_shares", message);
  }
}
