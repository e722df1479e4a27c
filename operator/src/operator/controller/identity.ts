// SPDX-License-Identifier: Apache-2.0
/**
 * Node identity keys kept in the Subnet's Secret: generated once per node index, never
 * regenerated, never logged. Keys of indices above the current node count are kept too, so
 * scaling down and up again gives a node its old identity back. The same Secret holds the Subnet's
 * key service key (key-service.ts), with which node pods fetch their own key: no pod mounts it,
 * and its control key, which signs the operator's Control API calls to the nodes. The Secret's format, both ways,
 * is resources/secret.ts's.
 */
import { generateControlKey, generateIdentity, generateServiceKey } from "@relaylab/node/identity";
import { identityKeyName, type SubnetKeys } from "../../resources/index.js";

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

/** Secret keys for indices 0…nodes−1, in order (genesis is built from them: public keys and certificates). */
export function secretKeys(secrets: ReadonlyMap<number, string>, nodes: number): string[] {
  return Array.from({ length: nodes }, (_, i) => {
    const secret = secrets.get(i);
    if (secret === undefined) throw new Error(`no identity key for node ${i} (${identityKeyName(i)}); ensureIdentityKeys first`);
    return secret;
  });
}

/** The stored Subnet keys, with a fresh one for each missing (generated once, like the node keys). */
export function ensureSubnetKeys(existing: Partial<SubnetKeys>): { keys: SubnetKeys; generated: number } {
  const service = existing.service ?? generateServiceKey().secretKey;
  const control = existing.control ?? generateControlKey().secretKey;
  return { keys: { service, control }, generated: (existing.service === undefined ? 1 : 0) + (existing.control === undefined ? 1 : 0) };
}
