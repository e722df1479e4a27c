// SPDX-License-Identifier: Apache-2.0
/**
 * The Secret with the nodes' identity secret keys (`node-<index>.key`, 64 hex characters each) and
 * the key service's and the control key's secret keys. Only the operator reads it: node pods fetch
 * their own key from the key service.
 * The builder only renders keys it is given; generating them once and keeping them across
 * reconciles is the controller's job (operator/controller/identity.ts). Nothing here logs a key.
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
