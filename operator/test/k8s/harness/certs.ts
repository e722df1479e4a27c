// SPDX-License-Identifier: Apache-2.0
/**
 * Throw-away PKI for one test control plane: a CA (ECDSA P-256, two days, like envtest's), the
 * kube-apiserver serving certificate for 127.0.0.1/localhost (plus any other names it is reached
 * by) signed by it, optional client certificates, and the ServiceAccount token signing key.
 * Keys come from node:crypto; Node cannot issue X.509 certificates, so `openssl` signs them.
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
  /** The client certificates asked for, by name. */
  readonly clients: Readonly<Record<string, { readonly certFile: string; readonly keyFile: string }>>;
}

export interface PkiOptions {
  /** More subjectAltNames of the serving certificate, e.g. `IP:10.0.0.1`, `DNS:kubernetes.default.svc`. */
  readonly serverNames?: readonly string[];
  /** Client certificates to issue: file name stem and subject, e.g. `/O=system:masters/CN=kube-apiserver-kubelet-client`. */
  readonly clients?: readonly { readonly name: string; readonly subject: string }[];
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

/** Issues `<name>.crt` for `keyFile` from the CA, with the given X.509 extensions. */
async function sign(dir: string, name: string, keyFile: string, subject: string, extensions: readonly string[], ca: { file: string; key: string }): Promise<string> {
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const cert = join(dir, `${name}.crt`);
  await openssl(["req", "-new", "-key", keyFile, "-subj", subject, "-out", csr]);
  writeFileSync(ext, extensions.join("\n") + "\n");
  await openssl(["x509", "-req", "-in", csr, "-CA", ca.file, "-CAkey", ca.key, "-CAcreateserial", "-days", "2", "-sha256", "-extfile", ext, "-out", cert]);
  return cert;
}

/** Writes the PKI into `dir`. */
export async function createPki(dir: string, options: PkiOptions = {}): Promise<Pki> {
  const caKey = join(dir, "ca.key");
  const caFile = join(dir, "ca.crt");
  const serverKeyFile = join(dir, "apiserver.key");
  const serviceAccountKeyFile = join(dir, "sa.key");
  const serviceAccountPublicKeyFile = join(dir, "sa.pub");
  writeKey(caKey);
  writeKey(serverKeyFile);
  writeKey(serviceAccountKeyFile, serviceAccountPublicKeyFile);
  await openssl([
    "req", "-x509", "-new", "-key", caKey, "-sha256", "-days", "2", "-subj", "/CN=relaylab-test-ca",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    "-out", caFile,
  ]);
  const ca = { file: caFile, key: caKey };
  const names = ["DNS:localhost", "IP:127.0.0.1", ...(options.serverNames ?? [])].join(",");
  const serverCertFile = await sign(
    dir, "apiserver", serverKeyFile, "/CN=kube-apiserver",
    ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=serverAuth", `subjectAltName=${names}`],
    ca,
  );
  const clients: Record<string, { certFile: string; keyFile: string }> = {};
  for (const client of options.clients ?? []) {
    const keyFile = join(dir, `${client.name}.key`);
    writeKey(keyFile);
    const certFile = await sign(
      dir, client.name, keyFile, client.subject,
      ["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=clientAuth"],
      ca,
    );
    clients[client.name] = { certFile, keyFile };
  }
  return { caPem: readFileSync(caFile, "utf8"), caFile, serverCertFile, serverKeyFile, serviceAccountKeyFile, serviceAccountPublicKeyFile, clients };
}
