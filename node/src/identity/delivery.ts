// SPDX-License-Identifier: Apache-2.0
/**
 * Delivery of a node's identity key from the operator's key service to the one pod that runs that
 * node (pure: no I/O besides the CSPRNG).
 *
 * On Kubernetes the operator keeps a Subnet's identity keys in a Secret that no node pod mounts,
 * together with an X25519 key pair of the Subnet's key service whose public half is published
 * beside the genesis. A node pod asks for its key with its pod-bound service-account token; the
 * operator's TokenReview names the pod, so a pod only ever receives the key of the node it runs.
 *
 *   request  = index, ephemeral public key e, sealed token = nonce ‖ ChaCha20-Poly1305(k_request, token)
 *   response = sealed key = nonce ‖ ChaCha20-Poly1305(k_response, identity secret key)
 *   k_dir    = HKDF-SHA256(ikm = X25519(e, service key), salt = DELIVERY_DOMAIN,
 *                          info = DELIVERY_DOMAIN ‖ dir ‖ e ‖ service public key ‖ subnet ‖ index)
 *
 * This is Noise's NK pattern cut to one round trip: the node knows the service's static key in
 * advance, so only the key service can read the token (a token seen on the wire would otherwise be
 * replayable for this pod's key), and only the key service can produce a response that opens. A
 * fresh ephemeral key per request gives the node's side forward secrecy. The node still checks the
 * key it receives against its entry in the genesis.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { x25519 } from "@noble/curves/ed25519.js";
import { bytesToHex, concatBytes, hexToBytes } from "@noble/hashes/utils.js";

/** Domain of the key derivation; a new delivery format takes a new version. */
export const DELIVERY_DOMAIN = "relaylab/identity-delivery/v1";
/** The audience of the service-account token a node pod presents (its projected token volume). */
export const IDENTITY_TOKEN_AUDIENCE = "relaylab.dev/identity";
/** The key service's HTTP path. */
export const IDENTITY_DELIVERY_PATH = "/v1/identity";

const CIPHER = "chacha20-poly1305";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const HEX32 = /^[0-9a-f]{64}$/;
const domainBytes = new TextEncoder().encode(DELIVERY_DOMAIN);

/** Why a delivery message was refused; messages never contain a token or key material. */
export type DeliveryErrorCode = "malformed" | "unauthenticated";

export class DeliveryError extends Error {
  override readonly name = "DeliveryError";
  readonly code: DeliveryErrorCode;

  constructor(code: DeliveryErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** What a node pod sends (JSON). `subnet` is "namespace/name"; byte fields are lowercase hex. */
export interface IdentityRequest {
  readonly subnet: string;
  readonly index: number;
  readonly ephemeral: string;
  readonly token: string;
}

/** What the key service answers (JSON). */
export interface IdentityResponse {
  readonly key: string;
}

export interface ServiceKeyPair {
  /** X25519 secret key, 64 hex. */
  readonly secretKey: string;
  /** X25519 public key, 64 hex. */
  readonly publicKey: string;
}

/** A fresh key pair for a Subnet's key service. */
export function generateServiceKey(): ServiceKeyPair {
  const { secretKey, publicKey } = x25519.keygen();
  return { secretKey: bytesToHex(secretKey), publicKey: bytesToHex(publicKey) };
}

/** The public key of a key service secret key (64 hex). */
export function servicePublicKey(secretKeyHex: string): string {
  return bytesToHex(x25519.getPublicKey(key32(secretKeyHex, "key service secret key")));
}

/**
 * The node's side: a request for node `index` of `subnet`, and how to open the answer to it.
 * `open` throws DeliveryError when the answer does not come from the holder of the service key.
 */
export function requestIdentity(servicePublicKeyHex: string, subnet: string, index: number, token: string): { request: IdentityRequest; open(response: unknown): string } {
  const service = key32(servicePublicKeyHex, "key service public key");
  const { secretKey: ephemeralSecret, publicKey: ephemeral } = x25519.keygen();
  const keys = directionKeys(x25519.getSharedSecret(ephemeralSecret, service), ephemeral, service, subnet, index);
  const request: IdentityRequest = { subnet, index, ephemeral: bytesToHex(ephemeral), token: bytesToHex(seal(keys.request, new TextEncoder().encode(token))) };
  return {
    request,
    open(response: unknown): string {
      const sealed = hexField(response, "key");
      const secret = bytesToHex(unseal(keys.response, sealed));
      if (!HEX32.test(secret)) throw new DeliveryError("malformed", "the delivered identity key is not 32 bytes");
      return secret;
    },
  };
}

/**
 * The key service's side: checks the request's shape and opens its token. The caller authenticates
 * the token (TokenReview), checks it names the pod of node `index`, and answers with `answer(key)`.
 */
export function openIdentityRequest(serviceSecretHex: string, body: unknown): { subnet: string; index: number; token: string; answer(identitySecretHex: string): IdentityResponse } {
  if (typeof body !== "object" || body === null) throw new DeliveryError("malformed", "the request is not a JSON object");
  const { subnet, index } = body as Record<string, unknown>;
  if (typeof subnet !== "string" || !/^[a-z0-9.-]+\/[a-z0-9.-]+$/.test(subnet)) throw new DeliveryError("malformed", "subnet must be namespace/name");
  if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 0) throw new DeliveryError("malformed", "index must be a node index (an integer, 0 or more)");
  const ephemeral = hexField(body, "ephemeral");
  if (ephemeral.length !== 32) throw new DeliveryError("malformed", "ephemeral must be a 32-byte X25519 public key");
  const serviceSecret = key32(serviceSecretHex, "key service secret key");
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(serviceSecret, ephemeral);
  } catch {
    throw new DeliveryError("malformed", "ephemeral is a low-order point");
  }
  const keys = directionKeys(shared, ephemeral, x25519.getPublicKey(serviceSecret), subnet, index);
  const token = new TextDecoder("utf-8", { fatal: true }).decode(unseal(keys.request, hexField(body, "token")));
  return { subnet, index, token, answer: (identitySecretHex) => ({ key: bytesToHex(seal(keys.response, key32(identitySecretHex, "identity secret key"))) }) };
}

function directionKeys(shared: Uint8Array, ephemeral: Uint8Array, service: Uint8Array, subnet: string, index: number): { request: Uint8Array; response: Uint8Array } {
  const subnetBytes = new TextEncoder().encode(subnet);
  const derive = (direction: number): Uint8Array =>
    new Uint8Array(hkdfSync("sha256", shared, domainBytes, concatBytes(domainBytes, Uint8Array.of(direction), ephemeral, service, u32(subnetBytes.length), subnetBytes, u32(index)), KEY_BYTES));
  return { request: derive(1), response: derive(2) };
}

function seal(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES });
  const ciphertext = concatBytes(cipher.update(plaintext), cipher.final());
  return concatBytes(nonce, ciphertext, cipher.getAuthTag());
}

function unseal(key: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new DeliveryError("malformed", "a sealed field is too short");
  const decipher = createDecipheriv(CIPHER, key, sealed.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const plaintext = decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    plaintext.fill(0); // never hand out unauthenticated plaintext
    throw new DeliveryError("unauthenticated", "a sealed field does not open: another key service, another request, or tampered bytes");
  }
  return new Uint8Array(plaintext);
}

function hexField(body: unknown, field: string): Uint8Array {
  const value = typeof body === "object" && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  if (typeof value !== "string" || !/^(?:[0-9a-f]{2})+$/.test(value) || value.length > 16_384) throw new DeliveryError("malformed", `${field} must be lowercase hex`);
  return hexToBytes(value);
}

function key32(hex: string, what: string): Uint8Array {
  const trimmed = hex.trim().toLowerCase();
  if (!HEX32.test(trimmed)) throw new DeliveryError("malformed", `${what} must be 64 hex characters`);
  return hexToBytes(trimmed);
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}
