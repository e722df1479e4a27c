// SPDX-License-Identifier: Apache-2.0
/** A Prometheus Operator PodMonitor scraping every node's /metrics (built only when monitoring.coreos.com is served). */
import type { Chart } from "cdk8s";
import type { Subnet } from "../api/index.js";
import { PodMonitor } from "./imports/monitoring.coreos.com.js";
import { LABEL_DATA_CENTER, LABEL_POD_INDEX, LABEL_SUBNET, childMetadata, commonLabels, nodePodContract, subnetMeta } from "./names.js";

export const MONITORING_GROUP = "monitoring.coreos.com";

/** Prometheus's name for a pod label in Kubernetes service discovery. */
function podLabelMeta(label: string): string {
  return `__meta_kubernetes_pod_label_${label.replace(/[^a-zA-Z0-9_]/g, "_")}`;
}

/**
 * Dashboards and alerts filter on plain `subnet`, `data_center` and `node` target labels (the
 * same ones the local runner's file_sd targets carry), so every series gets them here.
 */
const TARGET_LABELS: readonly [string, string][] = [
  [LABEL_SUBNET, "subnet"],
  [LABEL_DATA_CENTER, "data_center"],
  [LABEL_POD_INDEX, "node"],
];

export function addPodMonitor(chart: Chart, subnet: Subnet, extraLabels: Readonly<Record<string, string>>): PodMonitor {
  const { name } = subnetMeta(subnet);
  return new PodMonitor(chart, "podmonitor", {
    // Extra labels first: the operator's own labels (owner, subnet) cannot be overridden.
    metadata: childMetadata(subnet, name, { ...extraLabels, ...commonLabels(name) }),
    spec: {
      selector: { matchLabels: { [LABEL_SUBNET]: name } },
      podMetricsEndpoints: [
        {
          port: nodePodContract().ports.metrics,
          path: "/metrics",
          interval: "15s",
          relabelings: TARGET_LABELS.map(([label, target]) => ({ sourceLabels: [podLabelMeta(label)], targetLabel: target })),
        },
      ],
    },
  });
}
