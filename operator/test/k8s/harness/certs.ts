// SPDX-License-Identifier: Apache-2.0
/**
 * Throw-away PKI for one test control plane: a CA (ECDSA P-256, two days, like envtest's), the
 * kube-apiserver serving certificate for 127.0.0.1/localhost signed by it, and the
 * ServiceAccount token signing key. Keys come from node:crypto; Node cannot issue X.509
 * certificates, so `openssl` signs them.
 */
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Pki {
  /** PEM of the CA certificate: what clients trust. */
  readonly caPem: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** PKCS#8 PEM file of the key that signs ServiceAccount tokens. */
  readonly serviceAccountKeyFile: string;
  /** Its public half (SPKI PEM), which verifies them: kube-apiserver reads only public keys there. */
  readonly serviceAccountPublicKeyFile: string;
}

/** Writes a new P-256 private key to `file` (and its public key to `publicFile`, if given). */
function writeKey(file: string, publicFile?: string): void {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  writeFileSync(file, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  if (publicFile !== undefined) writeFileSync(publicFile, publicKey.export({ type: "spki", format: "pem" }));
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run("openssl", args);
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? "";
    throw new Error(`openssl ${args[0] ?? ""} failed (is openssl 3 installed?): ${stderr || String(e)}`, { cause: e });
  }
}

/** Writes the PKI into `dir`. */
export async function createPki(dir: string): Promise<Pki> {
  const caKey = join(dir, "ca.key");
  const caFile = join(dir, "ca.crt");
  const serverKeyFile = join(dir, "apiserver.key");
  const serverCsr = join(dir, "apiserver.csr");
  const serverCertFile = join(dir, "apiserver.crt");
  const serviceAccountKeyFile = join(dir, "sa.key");
  const serviceAccountPublicKeyFile = join(dir, "sa.pub");
  const extFile = join(dir, "apiserver.ext");
  writeKey(caKey);
  writeKey(serverKeyFile);
  writeKey(serviceAccountKeyFile, serviceAccountPublicKeyFile);
  await openssl([
    "req", "-x509", "-new", "-key", caKey, "-sha256", "-days", "2", "-subj", "/CN=relaylab-test-ca",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    "-out", caFile,
  ]);
  await openssl(["req", "-new", "-key", serverKeyFile, "-subj", "/CN=kube-apiserver", "-out", serverCsr]);
  writeFileSync(
    extFile,
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=serverAuth",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ].join("\n") + "\n",
  );
  await openssl([
    "x509", "-req", "-in", serverCsr, "-CA", caFile, "-CAkey", caKey, "-CAcreateserial",
    "-days", "2", "-sha256", "-extfile", extFile, "-out", serverCertFile,
  ]);
  return { caPem: readFileSync(caFile, "utf8"), caFile, serverCertFile, serverKeyFile, serviceAccountKeyFile, serviceAccountPublicKeyFile };
}
