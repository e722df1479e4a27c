// SPDX-License-Identifier: Apache-2.0
/**
 * PodDisruptionBudget: voluntary disruptions may take down at most groupSize − threshold nodes at
 * once, the number of members any one group can lose and still sign.
 */
import { ApiObject } from "cdk8s";
import type { Chart } from "cdk8s";
import type { Subnet } from "../api/index.js";
import { resolveSubnetSpec } from "../api/index.js";
import { LABEL_SUBNET, commonLabels, ownerReference, subnetMeta } from "./names.js";

export function addDisruptionBudget(chart: Chart, subnet: Subnet): ApiObject {
  const { name, namespace } = subnetMeta(subnet);
  const spec = resolveSubnetSpec(subnet.spec);
  return new ApiObject(chart, "pdb", {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name, namespace, labels: commonLabels(name), ownerReferences: [ownerReference(subnet)] },
    spec: { maxUnavailable: Math.max(0, spec.groupSize - spec.threshold), selector: { matchLabels: { [LABEL_SUBNET]: name } } },
  });
}
