// SPDX-License-Identifier: Apache-2.0
/**
 * The Secret with the nodes' identity secret keys (`node-<index>.key`, 64 hex characters each) and
 * the key service's and the control key's secret keys. Only the operator reads it: node pods fetch
 * their own key from the key service.
 * The builder only renders keys it is given, and the decoders read them back; generating them once and keeping
 * them across reconciles is the controller's job (operator/controller/identity.ts). Nothing here logs a key.
 */
import type { Chart } from "cdk8s";
import type { Subnet } from "../api/index.js";
import { KubeSecret } from "./imports/k8s.js";
import { CONTROL_KEY, IDENTITY_SERVICE_KEY, childMetadata, identityKeyName, identitySecretName, subnetMeta } from "./names.js";

/** The Subnet's own keys, kept beside the node keys: the key service's (X25519) and the control key (ed25519), hex. */
export interface SubnetKeys {
  readonly service: string;
  readonly control: string;
}

const base64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");
/** A stored key as the decoders accept it: 64 lowercase hex characters. */
const HEX_KEY = /^[0-9a-f]{64}$/;
const fromBase64 = (b64: string): string => Buffer.from(b64, "base64").toString("utf8").trim();
/** identityKeyName's pattern, with the node index captured. */
const NODE_KEY_NAME = new RegExp(`^${identityKeyName("(\\d+)").replaceAll(".", "\\.")}$`);
const SUBNET_KEY_NAMES: Readonly<Record<keyof SubnetKeys, string>> = { service: IDENTITY_SERVICE_KEY, control: CONTROL_KEY };

/** `secretKeys` maps node index to its identity secret key (hex); `subnetKeys` are the key service's and the control key (hex). */
export function addIdentitySecret(chart: Chart, subnet: Subnet, secretKeys: ReadonlyMap<number, string>, subnetKeys: SubnetKeys): KubeSecret {
  const nodes = [...secretKeys].sort(([a], [b]) => a - b).map(([i, key]): [string, string] => [identityKeyName(i), base64(key)]);
  const data: Record<string, string> = Object.fromEntries([...nodes, [IDENTITY_SERVICE_KEY, base64(subnetKeys.service)], [CONTROL_KEY, base64(subnetKeys.control)]]);
  return new KubeSecret(chart, "identity", {
    metadata: childMetadata(subnet, identitySecretName(subnetMeta(subnet).name)),
    type: "Opaque",
    data,
  });
}

/** Secret keys by node index, decoded from the Secret's base64 `data`. Malformed entries are ignored (and then regenerated). */
export function decodeIdentitySecret(data: Readonly<Record<string, string>> | undefined): Map<number, string> {
  const keys = new Map<number, string>();
  for (const [name, b64] of Object.entries(data ?? {})) {
    const index = NODE_KEY_NAME.exec(name)?.[1];
    const hex = fromBase64(b64);
    if (index !== undefined && HEX_KEY.test(hex)) keys.set(Number(index), hex);
  }
  return keys;
}

/** The Subnet keys present and well-formed in the Secret's base64 `data`. */
export function decodeSubnetKeys(data: Readonly<Record<string, string>> | undefined): Partial<SubnetKeys> {
  const keys: { -readonly [K in keyof SubnetKeys]?: string } = {};
  for (const [field, name] of Object.entries(SUBNET_KEY_NAMES) as [keyof SubnetKeys, string][]) {
    const b64 = data?.[name];
    const hex = b64 === undefined ? undefined : fromBase64(b64);
    if (hex !== undefined && HEX_KEY.test(hex)) keys[field] = hex;
  }
  return keys;
}
