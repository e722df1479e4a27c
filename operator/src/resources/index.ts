// SPDX-License-Identifier: Apache-2.0
/**
 * Desired children of a Subnet, built purely with cdk8s: the same inputs give the same objects,
 * which the controller then server-side applies. Golden tests pin the output.
 */
import { App, Chart } from "cdk8s";
import type { DataCenter, Subnet } from "../api/index.js";
import type { DataCenterShare } from "../genesis/index.js";
import type { KubeObject } from "../operator/runtime/kube.js";
import { identityPublicKey, servicePublicKey } from "@relaylab/node/identity";
import { addGenesisConfigMap } from "./configmap.js";
import type { ChildrenConfig } from "./operator-config.js";
import { addDisruptionBudget } from "./pdb.js";
import { addPodMonitor } from "./podmonitor.js";
import { addNetworkPolicy } from "./networkpolicy.js";
import { addIdentitySecret, type SubnetKeys } from "./secret.js";
import { addPeersService } from "./service.js";
import { addStatefulSet } from "./statefulset.js";

export * from "./names.js";
export { MONITORING_GROUP } from "./podmonitor.js";
export { DEFAULT_CHILDREN_CONFIG, DEFAULT_IDENTITY_URL, DEFAULT_NODE_IMAGE, DEFAULT_OPERATOR_PEER, type ChildrenConfig } from "./operator-config.js";
export { LABEL_CLIENT, networkPolicyRef, type OperatorPeer } from "./networkpolicy.js";
export { nodeArgs, nodeDataDir } from "./statefulset.js";
export { decodeIdentitySecret, decodeSubnetKeys, type SubnetKeys } from "./secret.js";

export interface SubnetChildrenInput {
  subnet: Subnet;
  shares: readonly DataCenterShare[];
  /** Every DataCenter named in `shares`, by name. */
  dataCenters: ReadonlyMap<string, DataCenter>;
  genesis: { json: string; hash: string };
  /** Identity secret keys by node index (hex); kept across reconciles by the caller. */
  identitySecrets: ReadonlyMap<number, string>;
  /** The Subnet's key service and control keys; kept across reconciles by the caller. */
  subnetKeys: SubnetKeys;
  /** The operator's configuration: node image, pull secrets, PodMonitor, NetworkPolicy. */
  config: ChildrenConfig;
}

/** Every child object of a Subnet, in apply order: identity keys, genesis, Service, NetworkPolicy, workloads. */
export function desiredChildren(input: SubnetChildrenInput): KubeObject[] {
  // Never synthesized to disk: the App only hosts the chart whose toJson() we apply.
  const chart = new Chart(new App(), "subnet", { disableResourceNameHashes: true });
  addIdentitySecret(chart, input.subnet, input.identitySecrets, input.subnetKeys);
  addGenesisConfigMap(chart, input.subnet, input.genesis, { service: servicePublicKey(input.subnetKeys.service), control: identityPublicKey(input.subnetKeys.control) });
  addPeersService(chart, input.subnet);
  // Before the pods: on an enforcing CNI no node pod is ever reachable without it.
  if (input.config.networkPolicy !== undefined) addNetworkPolicy(chart, input.subnet, input.config.networkPolicy);
  for (const share of input.shares) {
    const dc = input.dataCenters.get(share.dataCenter);
    if (dc === undefined) throw new Error(`DataCenter "${share.dataCenter}" is placed but was not given to desiredChildren`);
    addStatefulSet(chart, input.subnet, share, dc, input.genesis.hash, input.config);
  }
  addDisruptionBudget(chart, input.subnet);
  if (input.config.podMonitor) addPodMonitor(chart, input.subnet, input.config.podMonitorLabels);
  return chart.toJson() as KubeObject[];
}
