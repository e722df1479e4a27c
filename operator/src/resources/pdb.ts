// SPDX-License-Identifier: Apache-2.0
/**
 * PodDisruptionBudget: voluntary disruptions may take down at most groupSize − threshold nodes at
 * once, the number of members any one group can lose and still sign, but at least one, so a drain
 * of a cluster node never hangs on a testnet (spec.disruptionBudget.maxUnavailable overrides).
 * A pod that is not ready may always be evicted: it is not signing anyway.
 */
import type { Chart } from "cdk8s";
import type { Subnet } from "../api/index.js";
import { resolveSubnetSpec } from "../api/index.js";
import { IntOrString, KubePodDisruptionBudget } from "./imports/k8s.js";
import { LABEL_SUBNET, childMetadata, subnetMeta } from "./names.js";

export function addDisruptionBudget(chart: Chart, subnet: Subnet): KubePodDisruptionBudget {
  const { name } = subnetMeta(subnet);
  const spec = resolveSubnetSpec(subnet.spec);
  return new KubePodDisruptionBudget(chart, "pdb", {
    metadata: childMetadata(subnet, name),
    spec: {
      maxUnavailable: IntOrString.fromNumber(spec.disruptionBudget?.maxUnavailable ?? Math.max(1, spec.groupSize - spec.threshold)),
      unhealthyPodEvictionPolicy: "AlwaysAllow",
      selector: { matchLabels: { [LABEL_SUBNET]: name } },
    },
  });
}
