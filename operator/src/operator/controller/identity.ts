// SPDX-License-Identifier: Apache-2.0
/**
 * Node identity keys kept in the Subnet's Secret: generated once per node index, never
 * regenerated, never logged. Keys of indices above the current node count are kept too, so
 * scaling down and up again gives a node its old identity back. The same Secret holds the Subnet's
 * key service key (key-service.ts), with which node pods fetch their own key: no pod mounts it.
 */
import { generateIdentity, generateServiceKey, identityPublicKey } from "@relaylab/node/identity";
import { IDENTITY_SERVICE_KEY, identityKeyName } from "../../resources/index.js";

const KEY_NAME = /^node-(\d+)\.key$/;

/** Secret keys by node index, decoded from a Secret's base64 `data`. Malformed entries are ignored (and then regenerated). */
export function decodeIdentitySecret(data: Readonly<Record<string, string>> | undefined): Map<number, string> {
  const keys = new Map<number, string>();
  for (const [name, b64] of Object.entries(data ?? {})) {
    const m = KEY_NAME.exec(name);
    if (m?.[1] === undefined) continue;
    const hex = Buffer.from(b64, "base64").toString("utf8").trim();
    if (/^[0-9a-f]{64}$/.test(hex)) keys.set(Number(m[1]), hex);
  }
  return keys;
}

/** Adds a fresh key for every index in 0…nodes−1 that has none; returns the full map and how many were generated. */
export function ensureIdentityKeys(existing: ReadonlyMap<number, string>, nodes: number, generate: () => string = () => generateIdentity().secretKey): { keys: Map<number, string>; generated: number } {
  const keys = new Map(existing);
  let generated = 0;
  for (let i = 0; i < nodes; i++) {
    if (!keys.has(i)) {
      keys.set(i, generate());
      generated++;
    }
  }
  return { keys, generated };
}

/** Public keys for indices 0…nodes−1, in order (for the genesis document). */
export function publicKeys(secrets: ReadonlyMap<number, string>, nodes: number): string[] {
  return Array.from({ length: nodes }, (_, i) => {
    const secret = secrets.get(i);
    if (secret === undefined) throw new Error(`no identity key for node ${i} (${identityKeyName(i)}); ensureIdentityKeys first`);
    return identityPublicKey(secret);
  });
}

/** The key service's X25519 secret key from a Secret's base64 `data`, if present and well-formed. */
export function decodeServiceKey(data: Readonly<Record<string, string>> | undefined): string | undefined {
  const b64 = data?.[IDENTITY_SERVICE_KEY];
  const hex = b64 === undefined ? undefined : Buffer.from(b64, "base64").toString("utf8").trim();
  return hex !== undefined && /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/** The stored key service key, or a fresh one (generated once, like the node keys). */
export function ensureServiceKey(existing: string | undefined, generate: () => string = () => generateServiceKey().secretKey): { key: string; generated: boolean } {
  return existing !== undefined ? { key: existing, generated: false } : { key: generate(), generated: true };
}
