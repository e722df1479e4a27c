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

type G2Point = ReturnType<typeof bls12_381.G2.Point.fromAffine>;

/** G2's cofactor h2 (draft-irtf-cfrg-pairing-friendly-curves); 13² divides it. */
const G2_COFACTOR = 0x5d543a95414e7f1091d50792876a202cd91de4547085abaa68a205b2e5a7ddfa628f1cb4d9e82ef21537e293a6691ae1616ec6e786f0c70cf1c38e31c7238e5n;

/** A point of order 13 on the G2 curve (outside the prime-order subgroup): [h2·r/169]·P for a curve point P. */
export function order13G2(): G2Point {
  const { Point } = bls12_381.G2;
  const Fp2 = Point.Fp;
  for (let c0 = 1n; ; c0++) {
    const x = Fp2.create({ c0, c1: 1n });
    let y;
    try {
      y = Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(x), x), Fp2.create({ c0: 4n, c1: 4n })));
    } catch {
      continue;
    }
    const torsion = timesBig(Point.fromAffine({ x, y }), (G2_COFACTOR * Point.Fn.ORDER) / 169n);
    if (!torsion.is0()) return torsion;
  }
}

/** Compressed encoding of any G2 curve point (noble refuses points outside the subgroup). */
export function encodeG2Unchecked(point: G2Point): Uint8Array {
  const p = bls12_381.fields.Fp.ORDER;
  const { x, y } = point.toAffine();
  const bytes = new Uint8Array(96);
  bytes.set(numberToBytesBE(x.c1, 48), 0);
  bytes.set(numberToBytesBE(x.c0, 48), 48);
  const decider = y.c1 !== 0n ? y.c1 : y.c0;
  bytes[0] = (bytes[0] ?? 0) | 0x80 | (decider * 2n > p ? 0x20 : 0);
  return bytes;
}

function timesBig(point: G2Point, k: bigint): G2Point {
  let acc = bls12_381.G2.Point.ZERO;
  for (const bit of k.toString(2)) {
    acc = acc.double();
    if (bit === "1") acc = acc.add(point);
  }
  return acc;
}
