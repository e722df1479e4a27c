// SPDX-License-Identifier: Apache-2.0
/**
 * Labels of the scrape targets beside the nodes' own: the local runner's file_sd targets and the
 * chart's PodMonitor put subnet, data_center and node on every node target, and the Prometheus
 * Operator adds the pod's namespace. Subnets of one name in two namespaces are two subnets; local
 * targets have no namespace and group under the empty one (which `=~".*"` matches).
 */
import { LABELS } from "@relaylab/node/metrics-names";

export const NAMESPACE = "namespace";
/** Every per-subnet aggregation, in dashboards and alerts, keeps both labels. */
export const BY_SUBNET = [NAMESPACE, LABELS.subnet] as const;
