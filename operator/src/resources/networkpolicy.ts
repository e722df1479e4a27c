// SPDX-License-Identifier: Apache-2.0
/**
 * One NetworkPolicy per Subnet: its node pods' peer port (the node protocol and the public API)
 * accepts only the Subnet's own node pods, the operator (it reads node status there) and pods that
 * declare themselves clients (LABEL_CLIENT, e.g. a load generator); the control port accepts only
 * the operator; the metrics port anyone, since scrapers live wherever the monitoring stack does
 * and the figures are public. A node pod of another Subnet matches none of these peers.
 *
 * On a CNI that enforces NetworkPolicy this is the network half of the control API's protection;
 * the other half, which holds on any CNI, is that a node obeys only calls signed with its
 * Subnet's control key.
 */
import type { Chart } from "cdk8s";
import type { Subnet } from "../api/index.js";
import type { KubeObject } from "../operator/runtime/kube.js";
import { IntOrString, KubeNetworkPolicy, type NetworkPolicyPeer } from "./imports/k8s.js";
import { LABEL_SUBNET, childMetadata, nodePodContract, subnetMeta } from "./names.js";

/** A pod carrying `relaylab.dev/client: "true"` in any namespace may reach every node's peer port (public API). */
export const LABEL_CLIENT = "relaylab.dev/client";

/** Where the operator's pods run, so that the policies let them in. */
export interface OperatorPeer {
  readonly namespace: string;
  /** Labels of the operator's pods; none selects every pod of its namespace. */
  readonly podLabels: Readonly<Record<string, string>>;
}

/**
 * The Subnet's NetworkPolicy as a bare reference, for deleting it when policies are turned off.
 * It carries the Subnet's own name, as addNetworkPolicy builds it: the operator claims that name
 * (server-side apply with force) whenever policies are on.
 */
export function networkPolicyRef(subnet: Subnet): KubeObject {
  const { name, namespace } = subnetMeta(subnet);
  return { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, namespace } };
}

export function addNetworkPolicy(chart: Chart, subnet: Subnet, operator: OperatorPeer): KubeNetworkPolicy {
  const { name } = subnetMeta(subnet);
  const contract = nodePodContract();
  const nodeSelector = { matchLabels: { ...contract.selector, [LABEL_SUBNET]: name } };
  const ownNodes: NetworkPolicyPeer = { podSelector: nodeSelector };
  const operatorPods: NetworkPolicyPeer = {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": operator.namespace } },
    podSelector: { matchLabels: { ...operator.podLabels } },
  };
  const clients: NetworkPolicyPeer = { namespaceSelector: {}, podSelector: { matchLabels: { [LABEL_CLIENT]: "true" } } };
  const port = (p: string) => [{ port: IntOrString.fromString(p), protocol: "TCP" }];
  return new KubeNetworkPolicy(chart, "networkpolicy", {
    metadata: childMetadata(subnet, name),
    spec: {
      podSelector: nodeSelector,
      policyTypes: ["Ingress"],
      ingress: [
        { ports: port(contract.ports.peer), from: [ownNodes, operatorPods, clients] },
        { ports: port(contract.ports.control), from: [operatorPods] },
        { ports: port(contract.ports.metrics) },
      ],
    },
  });
}
