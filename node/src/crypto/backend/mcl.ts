// SPDX-License-Identifier: Apache-2.0
/**
 * Optional backend on mcl-wasm (herumi/mcl compiled to WebAssembly), configured for exactly the scheme of
 * scheme.ts: ZCash/IETF point serialization (`setETHserialization`), RFC 9380 hash-to-curve (`IRTF` map-to mode)
 * with SIGNATURE_DST as the G1 DST, and subgroup checks on every decoded key and signature. Outputs are the same
 * bytes as the noble core's (test/crypto/backend.test.ts cross-checks them).
 *
 * mcl keeps this configuration in process-global state: the first createMclBackend() call sets it, and nothing
 * else in the process may use mcl-wasm with another curve or DST.
 */
import { createRequire } from "node:module";
import * as mcl from "mcl-wasm";
import type { CommitmentGroup, CommitmentPoint } from "../commitments.js";
import { CryptoError } from "../errors.js";
import { assertSecret, encodeG2 } from "../points.js";
import { assertDistinctIndices, assertIndex, assertThreshold } from "../poly.js";
import { Fr, G2, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, SIGNATURE_DST } from "../scheme.js";
import type { PartialSignature } from "../tbls.js";
import type { SchemeBackend } from "./types.js";

/** The parts of mcl-wasm's Emscripten module used to set the G1 DST (mcl-wasm exports no wrapper for it). */
interface MclModule {
  _malloc(size: number): number;
  _free(pointer: number): void;
  _mclBnG1_setDst(pointer: number, length: number): number;
  HEAP8: Int8Array;
}

const COMPRESSED = 0x80;
const INFINITY = 0x40;

let ready: Promise<SchemeBackend> | undefined;

/** Initialises mcl-wasm for the scheme (once per process) and returns the backend. */
export function createMclBackend(): Promise<SchemeBackend> {
  ready ??= initialise();
  return ready;
}

async function initialise(): Promise<SchemeBackend> {
  await mcl.init(mcl.BLS12_381);
  mcl.setETHserialization(true);
  mcl.setMapToMode(mcl.IRTF);
  setG1Dst(SIGNATURE_DST);
  mcl.verifyOrderG1(true);
  mcl.verifyOrderG2(true);
  const generator = decodeG2(encodeG2(G2.BASE), "G2 generator");
  const precomputed = new mcl.PrecomputedG2(mcl.neg(generator));
  return {
    name: "mcl-wasm",
    sign(secret, message) {
      assertSecret(secret);
      return mcl.mul(mcl.hashAndMapToG1(message), scalar(secret)).serialize();
    },
    verify(publicKey, message, signature) {
      const key = decodeG2(publicKey, "public key");
      const sig = decodeG1(signature, "signature");
      // e(H(m), pk) · e(σ, −g2) = 1, sharing one final exponentiation; −g2's line coefficients are precomputed.
      return mcl.finalExp(mcl.precomputedMillerLoop2mixed(mcl.hashAndMapToG1(message), key, sig, precomputed)).isOne();
    },
    recover,
    commitments: commitmentGroup(generator),
  };
}

/** The DKG's G2 arithmetic on mcl, with noble's checks (commitments.ts); points are mcl.G2 behind the opaque type. */
function commitmentGroup(generator: mcl.G2): CommitmentGroup {
  const opaque = (p: mcl.G2): CommitmentPoint => p as unknown as CommitmentPoint;
  const native = (p: CommitmentPoint): mcl.G2 => p as unknown as mcl.G2;
  const evaluate = (commitments: readonly CommitmentPoint[], index: number): mcl.G2 => {
    assertIndex(index);
    // Horner's rule with the small integer index, as poly.ts does: t−1 short multiplications.
    const x = scalar(BigInt(index));
    let acc = new mcl.G2();
    for (let j = commitments.length - 1; j >= 0; j--) {
      const a = commitments[j];
      if (a !== undefined) acc = mcl.add(mcl.mul(acc, x), native(a));
    }
    return acc;
  };
  return {
    zero: opaque(new mcl.G2()),
    commit: (polynomial) => polynomial.map((a) => opaque(mcl.mul(generator, scalar(a)))),
    decodeOnCurve(bytes, what) {
      mcl.verifyOrderG2(false);
      try {
        return opaque(decodeG2(bytes, what));
      } finally {
        mcl.verifyOrderG2(true);
      }
    },
    encode: (point) => native(point).serialize(),
    add: (a, b) => opaque(mcl.add(native(a), native(b))),
    inSubgroup: (point) => native(point).isValidOrder(),
    evaluate: (commitments, index) => opaque(evaluate(commitments, index)),
    verifyShare(commitments, index, share) {
      if (share <= 0n || share >= Fr.ORDER) return false;
      return mcl.mul(generator, scalar(share)).isEqual(evaluate(commitments, index));
    },
  };
}

function recover(partials: readonly PartialSignature[], threshold: number): Uint8Array {
  assertThreshold(threshold);
  if (partials.length < threshold) {
    throw new CryptoError("not_enough_shares", `need ${threshold} partial signatures to recover, got ${partials.length}`);
  }
  const chosen = partials.slice(0, threshold);
  assertDistinctIndices(chosen.map((p) => p.index));
  const ids = chosen.map((p) => {
    const id = new mcl.Fr();
    id.setInt(p.index);
    return id;
  });
  // As in the noble core: decode the partials on the curve only, and check the result's subgroup once.
  mcl.verifyOrderG1(false);
  let points: mcl.G1[];
  try {
    points = chosen.map((p) => decodeG1(p.signature, `partial signature of member ${p.index}`));
  } finally {
    mcl.verifyOrderG1(true);
  }
  const signature = mcl.recoverG1(ids, points);
  if (signature.isZero() || !signature.isValidOrder()) {
    throw new CryptoError("malformed_point", "a partial signature is on the curve but outside the G1 subgroup (or the partials cancel out)");
  }
  return signature.serialize();
}

function scalar(secret: bigint): mcl.Fr {
  const fr = new mcl.Fr();
  fr.setStr(secret.toString(16), 16);
  return fr;
}

function decodeG1(bytes: Uint8Array, what: string): mcl.G1 {
  checkFlags(bytes, SIGNATURE_BYTES, what);
  const point = new mcl.G1();
  deserialize(() => point.deserialize(bytes), what, "G1");
  return point;
}

function decodeG2(bytes: Uint8Array, what: string): mcl.G2 {
  checkFlags(bytes, PUBLIC_KEY_BYTES, what);
  const point = new mcl.G2();
  deserialize(() => point.deserialize(bytes), what, "G2");
  return point;
}

/** The checks mcl does not make: exact length, compressed form, and no identity point (never legitimate here). */
function checkFlags(bytes: Uint8Array, length: number, what: string): void {
  if (bytes.length !== length) throw new CryptoError("malformed_point", `${what} must be ${length} bytes, got ${bytes.length}`);
  const flags = bytes[0] ?? 0;
  if ((flags & COMPRESSED) === 0) throw new CryptoError("malformed_point", `${what} is not in compressed form (flag bit 0x80 unset)`);
  if ((flags & INFINITY) !== 0) throw new CryptoError("malformed_point", `${what} is the point at infinity`);
}

function deserialize(run: () => void, what: string, group: string): void {
  try {
    run();
  } catch {
    throw new CryptoError("malformed_point", `${what} is not a valid compressed ${group} point (off the curve, non-canonical or outside the subgroup)`);
  }
}

function setG1Dst(dst: string): void {
  const mod = (createRequire(import.meta.url)("mcl-wasm/dist/mcl.js") as { mod: MclModule }).mod;
  const bytes = new TextEncoder().encode(dst);
  const pointer = mod._malloc(bytes.length);
  try {
    mod.HEAP8.set(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length), pointer);
    if (mod._mclBnG1_setDst(pointer, bytes.length) !== 0) throw new Error(`mcl-wasm refused the G1 DST ${dst}`);
  } finally {
    mod._free(pointer);
  }
}
