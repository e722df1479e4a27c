// SPDX-License-Identifier: Apache-2.0
/**
 * The beacon chain's pure rules: B(0) = sha256(seed); round r is signed by the group that B(r−1)
 * selects, over sha256(be64(r) ‖ B(r−1)). Everything here is deterministic and free of I/O, so
 * every node (and any outside verifier) reaches the same answer.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { hexToBytes } from "@noble/hashes/utils.js";
import { CryptoError, publicKeyOf, sign, verify } from "../crypto/index.js";

/** B(0): the value that round 1 chains from, sha256 of the genesis seed bytes. */
export function previousOfFirstRound(seedHex: string): Uint8Array {
  return sha256(hexToBytes(seedHex));
}

/** The message a group signs for `round`: sha256(be64(round) ‖ previous). */
export function roundMessage(round: bigint, previous: Uint8Array): Uint8Array {
  const input = new Uint8Array(8 + previous.length);
  new DataView(input.buffer).setBigUint64(0, round, false);
  input.set(previous, 8);
  return sha256(input);
}

/** Index of the group that signs the round after `previous`: first 8 bytes of sha256(previous), big-endian, mod count. */
export function selectGroup(previous: Uint8Array, registeredCount: number): number {
  if (!Number.isInteger(registeredCount) || registeredCount < 1) throw new RangeError(`registeredCount must be a positive integer, got ${registeredCount}`);
  const digest = sha256(previous);
  const head = new DataView(digest.buffer, digest.byteOffset, 8).getBigUint64(0, false);
  return Number(head % BigInt(registeredCount));
}

/** A beacon value as far as verification is concerned. */
export interface BeaconLike {
  readonly round: bigint;
  readonly signature: Uint8Array;
  readonly previousSignature: Uint8Array;
}

/** A BLS verification with the contract of the crypto core's verify (a node passes its round crypto's). */
export type VerifyFn = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

/**
 * True when `beacon.signature` is the group's BLS signature on its round message; false for malformed bytes too.
 * Outside verifiers keep the noble core's verify; a node passes the verify of the round crypto it was started with.
 */
export function verifyBeacon(beacon: BeaconLike, groupPublicKey: Uint8Array, verifyWith: VerifyFn = verify): boolean {
  try {
    return verifyWith(groupPublicKey, roundMessage(beacon.round, beacon.previousSignature), beacon.signature);
  } catch (err) {
    if (err instanceof CryptoError) return false;
    throw err;
  }
}

/**
 * Verifies one signature made here with a fixed key, so that a fresh process's first real beacon does not also pay
 * for the curve code's first run: in a new process noble's first verification takes about 0.1 s on an idle core
 * (JIT and lazily built tables) and several times that while a starting testnet keeps every core busy, against
 * 26 ms for the next one. A watcher calls it while it waits for round 1.
 */
export function warmUpVerify(verifyWith: VerifyFn = verify): void {
  const message = roundMessage(1n, new Uint8Array(32));
  verifyWith(publicKeyOf(1n), message, sign(1n, message));
}
