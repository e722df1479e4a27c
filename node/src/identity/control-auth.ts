// SPDX-License-Identifier: Apache-2.0
/**
 * Authentication of Control API calls (SetFaults, GetFaults, Crash): whoever holds a testnet's
 * control key (the operator, or the local runner) signs each call, and a node obeys only calls
 * signed for it, fresh and never seen before (pure: the caller gives the time).
 *
 *   header    = "v1." ‖ unix ms ‖ "." ‖ nonce (16 bytes hex) ‖ "." ‖ ed25519 signature (hex)
 *   signed    = CONTROL_DOMAIN-tagged (node index ‖ method path ‖ unix ms ‖ nonce ‖ SHA-256(request bytes))
 *
 * Binding the node index stops a call captured on its way to one node from working on another;
 * the request digest stops a captured signature from carrying another fault set; the time window
 * and the nonce cache stop replays. Fault sets are not secret, so the calls need no encryption.
 */
import { randomBytes } from "node:crypto";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, hexToBytes } from "@noble/hashes/utils.js";
import { generateIdentity, signWithIdentity, verifyIdentitySignature } from "./index.js";

/** gRPC metadata key carrying the signature. */
export const CONTROL_AUTH_HEADER = "x-relaylab-control-auth";
export const CONTROL_DOMAIN = "relaylab/control/v1";
/** How far a call's time may be from the node's: covers clock skew and a slow call. */
export const CONTROL_WINDOW_MS = 30_000;
/** Nonces remembered at most; a flood of valid calls beyond it is refused rather than remembered. */
const MAX_NONCES = 100_000;

export type ControlAuthFailure = "missing" | "malformed" | "stale" | "replayed" | "bad_signature";

export class ControlAuthError extends Error {
  override readonly name = "ControlAuthError";
  constructor(
    readonly reason: ControlAuthFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface ControlCall {
  /** The node the call is for. */
  readonly node: number;
  /** The gRPC method path, e.g. "/relaylab.v1.Control/SetFaults". */
  readonly method: string;
  /** The request as serialized on the wire. */
  readonly request: Uint8Array;
}

/** A fresh control key pair (ed25519), hex. */
export function generateControlKey(): { secretKey: string; publicKey: string } {
  return generateIdentity();
}

/** The header value authorizing `call`. */
export function signControlCall(secretKey: Uint8Array, call: ControlCall, nowMs: number, nonce: Uint8Array = randomBytes(16)): string {
  return `v1.${nowMs}.${bytesToHex(nonce)}.${bytesToHex(signWithIdentity(secretKey, CONTROL_DOMAIN, message(call, nowMs, nonce)))}`;
}

/** A node's check of the calls made to it. */
export class ControlAuthenticator {
  readonly #publicKey: Uint8Array;
  readonly #node: number;
  readonly #seen = new Map<string, number>();

  constructor(publicKeyHex: string, node: number) {
    this.#publicKey = hexToBytes(publicKeyHex.trim().toLowerCase());
    if (this.#publicKey.length !== 32) throw new Error("the control public key must be 32 bytes (64 hex)");
    this.#node = node;
  }

  /** Throws ControlAuthError unless `header` authorizes this call to this node at `nowMs`. */
  check(method: string, request: Uint8Array, header: string | undefined, nowMs: number): void {
    if (header === undefined) throw new ControlAuthError("missing", `no ${CONTROL_AUTH_HEADER}: the control API takes only calls signed with the testnet's control key`);
    const m = /^v1\.(\d{1,15})\.([0-9a-f]{32})\.([0-9a-f]{128})$/.exec(header);
    if (m?.[1] === undefined || m[2] === undefined || m[3] === undefined) throw new ControlAuthError("malformed", `${CONTROL_AUTH_HEADER} is not v1.<ms>.<nonce>.<signature>`);
    const at = Number(m[1]);
    if (Math.abs(nowMs - at) > CONTROL_WINDOW_MS) throw new ControlAuthError("stale", `the call was signed ${Math.round((nowMs - at) / 1000)} s from now; allowed ±${CONTROL_WINDOW_MS / 1000} s`);
    const nonce = hexToBytes(m[2]);
    if (!verifyIdentitySignature(this.#publicKey, CONTROL_DOMAIN, message({ node: this.#node, method, request }, at, nonce), hexToBytes(m[3]))) {
      throw new ControlAuthError("bad_signature", "the signature is not the control key's for this call to this node");
    }
    for (const [n, expires] of this.#seen) if (expires < nowMs) this.#seen.delete(n);
    if (this.#seen.has(m[2])) throw new ControlAuthError("replayed", "this call was already made");
    if (this.#seen.size >= MAX_NONCES) throw new ControlAuthError("replayed", "too many calls in the window to remember them all");
    this.#seen.set(m[2], at + CONTROL_WINDOW_MS);
  }
}

function message(call: ControlCall, atMs: number, nonce: Uint8Array): Uint8Array {
  const method = new TextEncoder().encode(call.method);
  const head = new Uint8Array(12);
  const view = new DataView(head.buffer);
  view.setUint32(0, call.node);
  view.setBigUint64(4, BigInt(atMs));
  return concatBytes(head, Uint8Array.of(method.length), method, nonce, sha256(call.request));
}
