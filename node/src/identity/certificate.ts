// SPDX-License-Identifier: Apache-2.0
/**
 * A node's TLS certificate: X.509, self-signed by the node's ed25519 identity key, whose public key is that
 * identity key. Genesis carries one per node, so a client pins the exact certificate of the node it dials
 * (net/tls.ts, identity/pinning.ts) and the TLS handshake itself proves the server holds the identity key that
 * genesis names: there is no CA to trust or guard.
 *
 * The certificate is a pure function of the key and the name (ed25519 signatures are deterministic and the
 * validity is fixed), so the operator builds the same genesis, byte for byte, from the same keys. It never
 * expires: it lives exactly as long as the network whose genesis names it.
 *
 * Only the runner, the operator and tests issue certificates; nodes only check them (pinning.ts), so the node
 * program does not carry the ASN.1 encoder. DER is written by @peculiar/asn1-x509 rather than by hand: X.509
 * encoding is a known source of subtle bugs.
 */
import { createHash } from "node:crypto";
import { AsnConvert } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, Certificate, Name, RelativeDistinguishedName, SubjectPublicKeyInfo, TBSCertificate, Validity, Version } from "@peculiar/asn1-x509";
import { publicKeyOf, signEd25519 } from "./ed25519.js";
import { parseKeyHex } from "./index.js";

const ED25519_OID = "1.3.101.112";
const COMMON_NAME_OID = "2.5.4.3";
/** RFC 5280 §4.1.2.5: 99991231235959Z means "no well-defined expiration date". */
const NOT_BEFORE = new Date(Date.UTC(2000, 0, 1));
const NOT_AFTER = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));

/** The certificate genesis gives node `index` of `subnet`, issued from its identity secret key (64 hex characters). */
export function nodeCertificate(secretKeyHex: string, subnet: string, index: number): string {
  return identityCertificate(parseKeyHex(secretKeyHex, "identity secret key"), `${subnet}/node-${index}`);
}

/** The PEM certificate of the identity key `seed`, named `commonName` (e.g. "subnet-a/node-3"). */
export function identityCertificate(seed: Uint8Array, commonName: string): string {
  const publicKey = publicKeyOf(seed);
  const name = new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: COMMON_NAME_OID, value: new AttributeValue({ utf8String: commonName }) })])]);
  const algorithm = new AlgorithmIdentifier({ algorithm: ED25519_OID });
  const tbs = new TBSCertificate({
    version: Version.v3,
    // Unique per key: 16 bytes of its hash, the top bits set to 01 so the DER integer is positive and minimal.
    serialNumber: toArrayBuffer(serialOf(publicKey)),
    signature: algorithm,
    issuer: name,
    subject: name,
    validity: new Validity({ notBefore: NOT_BEFORE, notAfter: NOT_AFTER }),
    subjectPublicKeyInfo: new SubjectPublicKeyInfo({ algorithm, subjectPublicKey: toArrayBuffer(publicKey) }),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const certificate = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm, signatureValue: toArrayBuffer(signEd25519(seed, tbsDer)) });
  const der = Buffer.from(AsnConvert.serialize(certificate));
  return `-----BEGIN CERTIFICATE-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;
}

function serialOf(publicKey: Uint8Array): Uint8Array {
  const serial = new Uint8Array(createHash("sha256").update(publicKey).digest().subarray(0, 16));
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40;
  return serial;
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
