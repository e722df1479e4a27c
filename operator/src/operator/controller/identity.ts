// SPDX-License-Identifier: Apache-2.0
/**
 * Node identity keys kept in the Subnet's Secret: generated once per node index, never
 * regenerated, never logged. Keys of indices above the current node count are kept too, so
 * scaling down and up again gives a node its old identity back. The same Secret holds the Subnet's
 * key service key (key-service.ts), with which node pods fetch their own key: no pod mounts it,
 * and its control key, which signs the operator's Control API calls to the nodes.
 */
import { generateControlKey, generateIdentity, generateServiceKey, identityPublicKey } from "@relaylab/node/identity";
import { CONTROL_KEY, IDENTITY_SERVICE_KEY, identityKeyName, type SubnetKeys } from "../../resources/index.js";

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

const SUBNET_KEY_NAMES: Readonly<Record<keyof SubnetKeys, string>> = { service: IDENTITY_SERVICE_KEY, control: CONTROL_KEY };

/** The Subnet keys present and well-formed in a Secret's base64 `data`. */
export function decodeSubnetKeys(data: Readonly<Record<string, string>> | undefined): Partial<SubnetKeys> {
  const keys: { -readonly [K in keyof SubnetKeys]?: string } = {};
  for (const [field, name] of Object.entries(SUBNET_KEY_NAMES) as [keyof SubnetKeys, string][]) {
    const b64 = data?.[name];
    const hex = b64 === undefined ? undefined : Buffer.from(b64, "base64").toString("utf8").trim();
    if (hex !== undefined && /^[0-9a-f]{64}$/.test(hex)) keys[field] = hex;
  }
  return keys;
}

/** The stored Subnet keys, with a fresh one for each missing (generated once, like the node keys). */
export function ensureSubnetKeys(existing: Partial<SubnetKeys>): { keys: SubnetKeys; generated: number } {
  const service = existing.service ?? generateServiceKey().secretKey;
  const control = existing.control ?? generateControlKey().secretKey;
  return { keys: { service, control }, generated: (existing.service === undefined ? 1 : 0) + (existing.control === undefined ? 1 : 0) };
}
