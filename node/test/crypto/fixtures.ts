// SPDX-License-Identifier: Apache-2.0
// Shared test fixtures: trusted-dealer sharings (memoised: dealing costs G2 multiplications), partials, and
// points that are on the curve but outside the G1 subgroup (which noble cannot encode, so they are built by hand).
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { numberToBytesBE } from "@noble/curves/utils.js";
import { dealShares, partialSign, type DealtShares, type PartialSignature } from "../../src/crypto/index.js";

const dealt = new Map<string, DealtShares>();

/** One fixed random sharing per (threshold, members) for the whole test process. */
export function sharing(threshold: number, members: number): DealtShares {
  const key = `${threshold}/${members}`;
  let value = dealt.get(key);
  if (value === undefined) {
    value = dealShares(threshold, members);
    dealt.set(key, value);
  }
  return value;
}

/** Every member's partial signature on `message`, member i at position i-1. */
export function allPartials(shares: DealtShares, message: Uint8Array): PartialSignature[] {
  return shares.secretShares.map((s) => partialSign(s, message));
}

/** The key-share lookup recoverVerified needs. */
export function keyShareLookup(shares: DealtShares): (index: number) => Uint8Array {
  return (index) => {
    const key = shares.publicKeyShares[index - 1];
    if (key === undefined) throw new Error(`no member ${index}`);
    return key;
  };
}

/** A compressed encoding of a point on E(Fp) that is not in the prime-order subgroup G1. */
export function nonSubgroupG1(start = 1n): Uint8Array {
  const Fp = bls12_381.fields.Fp;
  for (let x = start; ; x++) {
    let y: bigint;
    try {
      y = Fp.sqrt(Fp.add(Fp.pow(x, 3n), 4n));
    } catch {
      continue;
    }
    const point = bls12_381.G1.Point.fromAffine({ x, y });
    if (point.isTorsionFree()) continue;
    const bytes = numberToBytesBE(x, 48);
    bytes[0] = (bytes[0] ?? 0) | 0x80 | (y * 2n > Fp.ORDER ? 0x20 : 0);
    return bytes;
  }
}

/** Encodes text as UTF-8 bytes. */
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
