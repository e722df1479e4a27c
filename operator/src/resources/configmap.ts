// SPDX-License-Identifier: Apache-2.0
/** The ConfigMap holding the Subnet's genesis document, annotated with its hash. */
import { ApiObject } from "cdk8s";
import type { Chart } from "cdk8s";
import type { Subnet } from "../api/index.js";
import { ANNOTATION_GENESIS_HASH, commonLabels, genesisConfigMapName, ownerReference, subnetMeta } from "./names.js";

export function addGenesisConfigMap(chart: Chart, subnet: Subnet, genesis: { json: string; hash: string }): ApiObject {
  const { name, namespace } = subnetMeta(subnet);
  return new ApiObject(chart, "genesis", {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: genesisConfigMapName(name),
      namespace,
      labels: commonLabels(name),
      annotations: { [ANNOTATION_GENESIS_HASH]: genesis.hash },
      ownerReferences: [ownerReference(subnet)],
    },
    data: { "genesis.json": genesis.json },
  });
}
