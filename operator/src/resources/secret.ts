// SPDX-License-Identifier: Apache-2.0
/**
 * The Secret with the nodes' identity secret keys (`node-<index>.key`, 64 hex characters each).
 * The builder only renders keys it is given; generating them once and keeping them across
 * reconciles is the controller's job (operator/controller/identity.ts). Nothing here logs a key.
 */
import type { Chart } from "cdk8s";
import type { Subnet } from "../api/index.js";
import { KubeSecret } from "./imports/k8s.js";
import { childMetadata, identityKeyName, identitySecretName, subnetMeta } from "./names.js";

/** `secretKeys` maps node index to its identity secret key (hex). */
export function addIdentitySecret(chart: Chart, subnet: Subnet, secretKeys: ReadonlyMap<number, string>): KubeSecret {
  const data = Object.fromEntries([...secretKeys].sort(([a], [b]) => a - b).map(([i, key]) => [identityKeyName(i), Buffer.from(key, "utf8").toString("base64")]));
  return new KubeSecret(chart, "identity", {
    metadata: childMetadata(subnet, identitySecretName(subnetMeta(subnet).name)),
    type: "Opaque",
    data,
  });
}
