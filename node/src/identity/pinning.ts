// SPDX-License-Identifier: Apache-2.0
/**
 * Checking the certificates genesis pins (issued by identity/certificate.ts) and turning the identity key into
 * the TLS server key. node:crypto only: the node program checks certificates but never issues them.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";

/** RFC 8410 SPKI prefix of a raw ed25519 public key. */
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
/** RFC 8410 PKCS#8 prefix of a raw ed25519 seed. */
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/**
 * What is wrong with `pem` as the certificate of the node whose identity key is `identityKeyHex`: unreadable,
 * not ed25519, a different key, or not signed by that key. Empty when it is right.
 */
export function certificateProblems(pem: string, identityKeyHex: string): string[] {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (err) {
    return [`is not a PEM X.509 certificate (${(err as Error).message})`];
  }
  const spki = cert.publicKey.export({ format: "der", type: "spki" });
  if (cert.publicKey.asymmetricKeyType !== "ed25519" || !spki.subarray(0, SPKI_PREFIX.length).equals(SPKI_PREFIX)) {
    return [`holds a ${cert.publicKey.asymmetricKeyType ?? "unknown"} key; it must hold the node's ed25519 identity key`];
  }
  if (spki.subarray(SPKI_PREFIX.length).toString("hex") !== identityKeyHex) {
    return ["holds a key other than the node's identityKey; issue it from the node's own identity key"];
  }
  if (!cert.verify(cert.publicKey)) return ["is not signed by the node's identity key"];
  return [];
}

/** The identity key `seed` as the PKCS#8 PEM a TLS server is given next to its certificate. */
export function identityTlsKey(seed: Uint8Array): string {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" }).export({ format: "pem", type: "pkcs8" }).toString();
}

/** The DER bytes of a PEM certificate, as a peer's TLS handshake presents them. */
export function certificateDer(pem: string): Buffer {
  return new X509Certificate(pem).raw;
}

