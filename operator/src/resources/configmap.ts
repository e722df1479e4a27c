// SPDX-License-Identifier: Apache-2.0
/**
 * The ConfigMap holding the Subnet's genesis document, annotated with its hash, and the public key
 * of the Subnet's key service, with which node pods seal their identity key requests, and of its
 * control key, whose signatures the nodes' Control API requires.
 */
import type { Chart } from "cdk8s";
import type { Subnet } from "../api/index.js";
import { KubeConfigMap } from "./imports/k8s.js";
import { ANNOTATION_GENESIS_HASH, CONTROL_PUBLIC_KEY, IDENTITY_SERVICE_PUBLIC_KEY, childMetadata, genesisConfigMapName, subnetMeta } from "./names.js";

export function addGenesisConfigMap(chart: Chart, subnet: Subnet, genesis: { json: string; hash: string }, publicKeys: { service: string; control: string }): KubeConfigMap {
  const metadata = childMetadata(subnet, genesisConfigMapName(subnetMeta(subnet).name));
  return new KubeConfigMap(chart, "genesis", {
    metadata: { ...metadata, annotations: { [ANNOTATION_GENESIS_HASH]: genesis.hash } },
    data: { "genesis.json": genesis.json, [IDENTITY_SERVICE_PUBLIC_KEY]: publicKeys.service, [CONTROL_PUBLIC_KEY]: publicKeys.control },
  });
}
