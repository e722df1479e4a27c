// SPDX-License-Identifier: Apache-2.0
/**
 * Deterministic names, labels and ports of a Subnet's children. One place, because the genesis
 * addresses, the Service, the StatefulSets and the status reader must all agree on them.
 */
import { API_VERSION, SUBNET_KIND } from "../api/index.js";
import type { OwnerReference, Subnet } from "../api/index.js";
import type { ObjectMeta } from "./imports/k8s.js";

export const LABEL_SUBNET = "relaylab.dev/subnet";
export const LABEL_DATA_CENTER = "relaylab.dev/data-center";
/** Set by the StatefulSet controller on every pod (Kubernetes ≥ 1.28): the pod's ordinal. */
export const LABEL_POD_INDEX = "apps.kubernetes.io/pod-index";
/**
 * Prefix of the group-membership labels the operator puts on node pods once the DKG registered
 * the groups: `group.relaylab.dev/<group index>: member`, so Chaos Mesh or Litmus selectors can
 * target "the members of group 0".
 */
export const GROUP_LABEL_PREFIX = "group.relaylab.dev/";
export const GROUP_LABEL_VALUE = "member";
export const groupLabel = (group: number): string => `${GROUP_LABEL_PREFIX}${group}`;
/** Annotation carrying the sha256 of the genesis a pod template was built for: a new genesis rolls the pods. */
export const ANNOTATION_GENESIS_HASH = "relaylab.dev/genesis-hash";

/** Container ports by name: the keys are the port names every node pod and the peers Service carry. */
export const PORTS = { peer: 7000, control: 7001, metrics: 9100 } as const;
export type PortName = keyof typeof PORTS;
/** Every named port, for the container and the Service. */
export const namedPorts = (): { name: PortName; port: number }[] => (Object.keys(PORTS) as PortName[]).map((name) => ({ name, port: PORTS[name] }));

/** The label every relaylab node pod carries, whatever its Subnet. */
const NODE_POD_SELECTOR = { "app.kubernetes.io/name": "relaylab-node" } as const;

/**
 * What tools outside the operator may rely on in every node pod: the chart's PodMonitor and
 * NetworkPolicies are rendered from this (`npm run gen`), never from hand-copied values.
 */
export function nodePodContract(): {
  selector: Record<string, string>;
  labels: { subnet: string; dataCenter: string; node: string };
  ports: Record<PortName, PortName>;
} {
  return {
    selector: { ...NODE_POD_SELECTOR },
    labels: { subnet: LABEL_SUBNET, dataCenter: LABEL_DATA_CENTER, node: LABEL_POD_INDEX },
    ports: { peer: "peer", control: "control", metrics: "metrics" },
  };
}

/** Where the container finds its inputs, and the node flags that point at them. */
export const PATHS = {
  genesis: "/etc/relaylab/genesis.json",
  /** The key service's public key, from the genesis ConfigMap. */
  identityServiceKey: "/etc/relaylab/identity-service.pub",
  /** The control public key, from the genesis ConfigMap. */
  controlKey: "/etc/relaylab/control.pub",
  /** The pod's projected service-account token for the key service. */
  identityToken: "/var/run/secrets/relaylab.dev/identity/token",
  data: "/data",
} as const;

/** Key of the key service's X25519 secret key in the identity Secret. */
export const IDENTITY_SERVICE_KEY = "identity-service.key";
/** Key of the key service's public key in the genesis ConfigMap. */
export const IDENTITY_SERVICE_PUBLIC_KEY = "identity-service.pub";
/** Key of the control key (ed25519 secret, hex) in the identity Secret, and of its public half in the genesis ConfigMap. */
export const CONTROL_KEY = "control.key";
export const CONTROL_PUBLIC_KEY = "control.pub";

/** Key of node `index`'s identity secret in the identity Secret (a number, or an env reference in args). */
export const identityKeyName = (index: number | string): string => `node-${index}.key`;

export const statefulSetName = (subnet: string, dataCenter: string): string => `${subnet}-${dataCenter}`;
export const peersServiceName = (subnet: string): string => `${subnet}-peers`;
/** The DNS domain every node host of a Subnet ends with (its headless Service's). */
export const subnetDomain = (subnet: string, namespace: string): string => `${peersServiceName(subnet)}.${namespace}.svc`;
/**
 * Whether `address` (host:port) is a node host of `domain`: one DNS label (`<statefulset>-<index>`)
 * followed by exactly that domain. A suffix match would also claim hosts of a Subnet whose domain
 * merely ends with this one.
 */
export function inDomain(address: string, domain: string): boolean {
  const host = address.slice(0, address.lastIndexOf(":"));
  const dot = host.indexOf(".");
  return dot > 0 && host.slice(dot + 1) === domain;
}
export const genesisConfigMapName = (subnet: string): string => `${subnet}-genesis`;
export const identitySecretName = (subnet: string): string => `${subnet}-identity`;
/** The ConfigMap a ChaosExperiment's verdict goes to: record.json, junit.xml and summary.json. */
export const chaosResultsConfigMapName = (experiment: string): string => `${experiment}-chaos-results`;

/** DNS name of node `index` (pod `<statefulset>-<index>` behind the headless Service). */
export function nodeHost(subnet: string, namespace: string, dataCenter: string, index: number): string {
  return `${statefulSetName(subnet, dataCenter)}-${index}.${subnetDomain(subnet, namespace)}`;
}

const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
const MANAGED_BY = "relaylab-operator";
/** Selects the operator's children (its informers watch these only). */
export const MANAGED_BY_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;

/** Labels every child carries. */
export function commonLabels(subnet: string): Record<string, string> {
  return {
    ...NODE_POD_SELECTOR,
    "app.kubernetes.io/instance": subnet,
    "app.kubernetes.io/part-of": "relaylab",
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [LABEL_SUBNET]: subnet,
  };
}

/** The controller owner reference to the Subnet (garbage collection and owner mapping). */
export function ownerReference(subnet: Subnet): OwnerReference {
  const { name, uid } = subnet.metadata;
  if (name === undefined || uid === undefined) throw new Error("the Subnet needs metadata.name and metadata.uid to own children; read it from the API server");
  return { apiVersion: API_VERSION, kind: SUBNET_KIND, name, uid, controller: true, blockOwnerDeletion: true };
}

/** Metadata of the child `childName`: the Subnet's namespace, labels (common ones by default) and controller reference. */
export function childMetadata(subnet: Subnet, childName: string, labels: Record<string, string> = commonLabels(subnetMeta(subnet).name)): ObjectMeta {
  return { name: childName, namespace: subnetMeta(subnet).namespace, labels, ownerReferences: [ownerReference(subnet)] };
}

export function subnetMeta(subnet: Subnet): { name: string; namespace: string } {
  const { name, namespace } = subnet.metadata;
  if (name === undefined || namespace === undefined) throw new Error("the Subnet needs metadata.name and metadata.namespace");
  return { name, namespace };
}
