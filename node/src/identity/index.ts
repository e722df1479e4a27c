// SPDX-License-Identifier: Apache-2.0
/**
 * Node identity: an ed25519 key pair that authenticates every non-BLS message a node sends
 * (DKG packets, block proposals). Keys travel as lowercase hex: the secret is the 32-byte seed.
 */
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { publicKeyOf, randomSeed, signEd25519, verifyEd25519 } from "./ed25519.js";

export interface Identity {
  readonly secretKey: string;
  readonly publicKey: string;
}

/** Makes a fresh identity from the system's CSPRNG. */
export function generateIdentity(): Identity {
  const seed = randomSeed();
  return { secretKey: bytesToHex(seed), publicKey: bytesToHex(publicKeyOf(seed)) };
}

/** The public key that belongs to a secret key given as 64 hex characters. */
export function identityPublicKey(secretKeyHex: string): string {
  return bytesToHex(publicKeyOf(parseKeyHex(secretKeyHex, "identity secret key")));
}

/** Signs `message` under a domain-separation tag, so a signature for one purpose is useless for another. */
export function signWithIdentity(secretKey: Uint8Array, domain: string, message: Uint8Array): Uint8Array {
  return signEd25519(secretKey, withDomain(domain, message));
}

/** Verifies an identity signature; false for any malformed input rather than an exception. */
export function verifyIdentitySignature(publicKey: Uint8Array, domain: string, message: Uint8Array, signature: Uint8Array): boolean {
  return verifyEd25519(publicKey, withDomain(domain, message), signature);
}

/** Decodes a 32-byte key from hex, with an error that names the key and never echoes its value. */
export function parseKeyHex(hex: string, what: string): Uint8Array {
  const trimmed = hex.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(trimmed)) throw new Error(`${what} must be 64 hex characters (32 bytes)`);
  return hexToBytes(trimmed.toLowerCase());
}

function withDomain(domain: string, message: Uint8Array): Uint8Array {
  const tag = new TextEncoder().encode(`relaylab/${domain}/`);
  const out = new Uint8Array(tag.length + message.length);
  out.set(tag);
  out.set(message, tag.length);
  return out;
}

export { DeliveryError, IDENTITY_DELIVERY_PATH, IDENTITY_TOKEN_AUDIENCE, generateServiceKey, openIdentityRequest, requestIdentity, servicePublicKey } from "./delivery.js";
export type { IdentityRequest, IdentityResponse, ServiceKeyPair } from "./delivery.js";
export { CONTROL_AUTH_HEADER, ControlAuthError, ControlAuthenticator, generateControlKey, signControlCall } from "./control-auth.js";
export { certificateDer, certificateProblems, identityTlsKey } from "./pinning.js";
