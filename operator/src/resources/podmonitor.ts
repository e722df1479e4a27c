// SPDX-License-Identifier: Apache-2.0
/** A Prometheus Operator PodMonitor scraping every node's /metrics (built only when monitoring.coreos.com is served). */
import { ApiObject } from "cdk8s";
import type { Chart } from "cdk8s";
import type { Subnet } from "../api/index.js";
import { LABEL_DATA_CENTER, LABEL_SUBNET, commonLabels, ownerReference, subnetMeta } from "./names.js";

export const MONITORING_GROUP = "monitoring.coreos.com";

export function addPodMonitor(chart: Chart, subnet: Subnet): ApiObject {
  const { name, namespace } = subnetMeta(subnet);
  return new ApiObject(chart, "podmonitor", {
    apiVersion: `${MONITORING_GROUP}/v1`,
    kind: "PodMonitor",
    metadata: { name, namespace, labels: commonLabels(name), ownerReferences: [ownerReference(subnet)] },
    spec: {
      selector: { matchLabels: { [LABEL_SUBNET]: name } },
      podMetricsEndpoints: [{ port: "metrics", path: "/metrics", interval: "15s" }],
      // Dashboards group by these; copy them from pod labels onto every series.
      podTargetLabels: [LABEL_SUBNET, LABEL_DATA_CENTER],
    },
  });
}
