// SPDX-License-Identifier: Apache-2.0
/**
 * The Secret with the nodes' identity secret keys (`node-<index>.key`, 64 hex characters each) and
 * the key service's secret key (IDENTITY_SERVICE_KEY). Only the operator reads it: node pods fetch
 * their own key from the key service.
 * The builder only renders keys it is given; generating them once and keeping them across
 * reconciles is the controller's job (operator/controller/identity.ts). Nothing here logs a key.
 */
import type { Chart } from "cdk8s";
import type { Subnet } from "../api/index.js";
import { KubeSecret } from "./imports/k8s.js";
import { IDENTITY_SERVICE_KEY, childMetadata, identityKeyName, identitySecretName, subnetMeta } from "./names.js";

const base64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");

/** `secretKeys` maps node index to its identity secret key (hex); `serviceKey` is the key service's (hex). */
export function addIdentitySecret(chart: Chart, subnet: Subnet, secretKeys: ReadonlyMap<number, string>, serviceKey: string): KubeSecret {
  const nodes = [...secretKeys].sort(([a], [b]) => a - b).map(([i, key]): [string, string] => [identityKeyName(i), base64(key)]);
  const data: Record<string, string> = Object.fromEntries([...nodes, [IDENTITY_SERVICE_KEY, base64(serviceKey)]]);
  return new KubeSecret(chart, "identity", {
    metadata: childMetadata(subnet, identitySecretName(subnetMeta(subnet).name)),
    type: "Opaque",
    data,
  });
}
