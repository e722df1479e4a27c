// SPDX-License-Identifier: Apache-2.0
/**
 * What the operator's own configuration (its flags, set from the chart's values) says about every
 * Subnet's children. These are not written into the Subnets: a chart upgrade that moves the node
 * image moves every Subnet that does not pin one in spec.image.
 */
import { IDENTITY_DELIVERY_PATH } from "@relaylab/node/identity";
import { VERSION } from "../version.js";
import type { OperatorPeer } from "./networkpolicy.js";

/** The node image released with this operator. */
export const DEFAULT_NODE_IMAGE = `ghcr.io/relaylab/node:${VERSION}`;

export interface ChildrenConfig {
  /** Node image of the Subnets that set no spec.image. */
  readonly nodeImage: string;
  /** Secrets (in each Subnet's namespace) the kubelet pulls the node image with. */
  readonly imagePullSecrets: readonly string[];
  /** Build a per-Subnet PodMonitor (the operator owns node scraping, and monitoring.coreos.com is served). */
  readonly podMonitor: boolean;
  /** Extra labels on each PodMonitor, e.g. the `release` label a kube-prometheus-stack selects on. */
  readonly podMonitorLabels: Readonly<Record<string, string>>;
  /** The operator's key service as node pods reach it (its Service), path included. */
  readonly identityUrl: string;
  /** Build a per-Subnet NetworkPolicy letting only the operator (these pods) reach the control port; none when undefined. */
  readonly networkPolicy: OperatorPeer | undefined;
}

/** The key service behind the chart's Service for a release named "relaylab" in relaylab-system (the chart passes its own). */
export const DEFAULT_IDENTITY_URL = `http://relaylab-keys.relaylab-system.svc:8081${IDENTITY_DELIVERY_PATH}`;

/** The chart's operator pods for a release named "relaylab" in relaylab-system (the chart passes its own). */
export const DEFAULT_OPERATOR_PEER: OperatorPeer = { namespace: "relaylab-system", podLabels: { "app.kubernetes.io/name": "relaylab", "app.kubernetes.io/instance": "relaylab", "app.kubernetes.io/component": "operator" } };

export const DEFAULT_CHILDREN_CONFIG: ChildrenConfig = {
  nodeImage: DEFAULT_NODE_IMAGE,
  imagePullSecrets: [],
  podMonitor: true,
  podMonitorLabels: {},
  identityUrl: DEFAULT_IDENTITY_URL,
  networkPolicy: DEFAULT_OPERATOR_PEER,
};
