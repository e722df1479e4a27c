// SPDX-License-Identifier: Apache-2.0
/** A Prometheus Operator PodMonitor scraping every node's /metrics (built only when monitoring.coreos.com is served). */
import { ApiObject } from "cdk8s";
import type { Chart } from "cdk8s";
import type { Subnet } from "../api/index.js";
import { LABEL_DATA_CENTER, LABEL_POD_INDEX, LABEL_SUBNET, commonLabels, nodePodContract, ownerReference, subnetMeta } from "./names.js";

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

export function addPodMonitor(chart: Chart, subnet: Subnet): ApiObject {
  const { name, namespace } = subnetMeta(subnet);
  return new ApiObject(chart, "podmonitor", {
    apiVersion: `${MONITORING_GROUP}/v1`,
    kind: "PodMonitor",
    metadata: { name, namespace, labels: commonLabels(name), ownerReferences: [ownerReference(subnet)] },
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
