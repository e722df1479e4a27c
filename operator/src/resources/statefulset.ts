// SPDX-License-Identifier: Apache-2.0
/**
 * One StatefulSet per (Subnet, DataCenter). Its ordinals start at the data center's first node
 * index (spec.ordinals.start), so a pod's ordinal *is* its node index: the container reads it from
 * the `apps.kubernetes.io/pod-index` label through the downward API and passes it as --index.
 */
import { basename, dirname } from "node:path/posix";
import { IDENTITY_TOKEN_AUDIENCE } from "@relaylab/node/identity";
import type { Chart } from "cdk8s";
import type { DataCenter, Subnet, SubnetSpec } from "../api/index.js";
import { DEFAULT_TOPOLOGY_LABELS, resolveSubnetSpec } from "../api/index.js";
import type { DataCenterShare } from "../genesis/index.js";
import { IntOrString, KubeStatefulSet, Quantity } from "./imports/k8s.js";
import type { PodSpec, ResourceRequirements, SecurityContext } from "./imports/k8s.js";
import {
  ANNOTATION_GENESIS_HASH,
  LABEL_DATA_CENTER,
  LABEL_POD_INDEX,
  LABEL_SUBNET,
  PATHS,
  PORTS,
  childMetadata,
  commonLabels,
  genesisConfigMapName,
  CONTROL_PUBLIC_KEY,
  IDENTITY_SERVICE_PUBLIC_KEY,
  namedPorts,
  peersServiceName,
  statefulSetName,
  subnetMeta,
} from "./names.js";
import type { PortName } from "./names.js";
import type { ChildrenConfig } from "./operator-config.js";

const INDEX_ENV = "RELAYLAB_NODE_INDEX";
const METRICS_PORT = IntOrString.fromString("metrics" satisfies PortName);
/** The node writes nothing to /tmp itself; the limit bounds what a library might. */
const TMP_SIZE_LIMIT = "64Mi";
/** Non-root user of the node image (distroless "nonroot"). */
const NODE_UID = 65532;

const restricted: SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

/**
 * The node's data directory for one genesis: a folder of the data volume named by the genesis hash.
 * The node refuses a data dir bound to another genesis, and on a persistent volume a genesis change
 * (a new network) would otherwise meet the old network's chain; this way it starts on clean data.
 */
export const nodeDataDir = (genesisHash: string): string => `${PATHS.data}/genesis-${genesisHash.slice(0, 16)}`;

/** Lifetime of the key service token; the kubelet rotates it, and a node reads it only at start. */
const IDENTITY_TOKEN_SECONDS = 600;

/**
 * The node's command line; flags match the node's entry point (@relaylab/node/main). The node
 * fetches its identity key from the operator's key service (`identityUrl`) with its pod-bound token.
 */
export function nodeArgs(genesisHash: string, subnet: { namespace: string; name: string }, identityUrl: string): string[] {
  return [
    "--genesis",
    PATHS.genesis,
    "--index",
    `$(${INDEX_ENV})`,
    "--data-dir",
    nodeDataDir(genesisHash),
    "--identity-from",
    identityUrl,
    "--identity-service-key",
    PATHS.identityServiceKey,
    "--identity-subnet",
    `${subnet.namespace}/${subnet.name}`,
    "--identity-token-file",
    PATHS.identityToken,
    "--listen",
    `0.0.0.0:${PORTS.peer}`,
    "--metrics-listen",
    `0.0.0.0:${PORTS.metrics}`,
    "--control-listen",
    `0.0.0.0:${PORTS.control}`,
    "--control-key",
    PATHS.controlKey,
  ];
}

/** The API's quantities are plain strings or numbers; the typed constructs take `Quantity`. */
function quantities(values: Readonly<Record<string, string | number>> | undefined): Record<string, Quantity> | undefined {
  return values === undefined ? undefined : Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "number" ? Quantity.fromNumber(v) : Quantity.fromString(v)]));
}

/** `T` without its unset fields: the API's optional fields may hold `undefined`, the constructs' may not. */
type Defined<T> = { [K in keyof T]?: Exclude<T[K], undefined> };
function defined<T extends object>(value: T): Defined<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Defined<T>;
}

function resourceRequirements(resources: NonNullable<SubnetSpec["resources"]>): ResourceRequirements {
  const requests = quantities(resources.requests);
  const limits = quantities(resources.limits);
  return { ...(requests !== undefined ? { requests } : {}), ...(limits !== undefined ? { limits } : {}) };
}

/** nodeSelector, tolerations and topology spread of the data center's pods. */
function placementOf(dc: DataCenter, selector: Record<string, string>): Pick<PodSpec, "nodeSelector" | "tolerations" | "topologySpreadConstraints"> {
  const placement = dc.spec.placement ?? {};
  const spreadOver = placement.topologyLabels ?? DEFAULT_TOPOLOGY_LABELS;
  return {
    ...(placement.nodeSelector !== undefined ? { nodeSelector: placement.nodeSelector } : {}),
    ...(placement.tolerations !== undefined ? { tolerations: placement.tolerations.map(defined) } : {}),
    ...(spreadOver.length > 0
      ? {
          topologySpreadConstraints: spreadOver.map((topologyKey) => ({
            maxSkew: 1,
            topologyKey,
            whenUnsatisfiable: "ScheduleAnyway",
            labelSelector: { matchLabels: selector },
          })),
        }
      : {}),
  };
}

export function addStatefulSet(chart: Chart, subnet: Subnet, share: DataCenterShare, dc: DataCenter, genesisHash: string, config: ChildrenConfig): KubeStatefulSet {
  const { name, namespace } = subnetMeta(subnet);
  const spec = resolveSubnetSpec(subnet.spec);
  const selector = { [LABEL_SUBNET]: name, [LABEL_DATA_CENTER]: share.dataCenter };
  const labels = { ...commonLabels(name), [LABEL_DATA_CENTER]: share.dataCenter };
  const storage = spec.storage.size !== undefined ? { ...spec.storage, size: spec.storage.size } : undefined;
  return new KubeStatefulSet(chart, `sts-${share.dataCenter}`, {
    metadata: childMetadata(subnet, statefulSetName(name, share.dataCenter), labels),
    spec: {
      replicas: share.nodes,
      ordinals: { start: share.firstIndex },
      serviceName: peersServiceName(name),
      // Every member must be up for the groups' DKG; start them together.
      podManagementPolicy: "Parallel",
      // An explicit partition: with `rollingUpdate` left out, the StatefulSet controller recreates a
      // deleted pod whose ordinal is below start + status.currentReplicas from the *old* revision.
      // After a genesis change the operator deletes every stale pod at once (restartStaleGenesisPods),
      // so those pods would come back on the old genesis, be deleted again, and never settle.
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels, annotations: { [ANNOTATION_GENESIS_HASH]: genesisHash } },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 10,
          securityContext: { runAsNonRoot: true, runAsUser: NODE_UID, runAsGroup: NODE_UID, fsGroup: NODE_UID, seccompProfile: { type: "RuntimeDefault" } },
          ...(config.imagePullSecrets.length > 0 ? { imagePullSecrets: config.imagePullSecrets.map((name) => ({ name })) } : {}),
          ...placementOf(dc, selector),
          containers: [
            {
              name: "node",
              image: spec.image ?? config.nodeImage,
              imagePullPolicy: "IfNotPresent",
              args: nodeArgs(genesisHash, { namespace, name }, config.identityUrl),
              env: [
                { name: INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.labels['${LABEL_POD_INDEX}']` } } },
                { name: "RELAYLAB_SUBNET", value: name },
                { name: "RELAYLAB_DATA_CENTER", value: share.dataCenter },
              ],
              ports: namedPorts().map(({ name, port }) => ({ name, containerPort: port, protocol: "TCP" })),
              readinessProbe: { httpGet: { path: "/readyz", port: METRICS_PORT }, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: "/healthz", port: METRICS_PORT }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 6 },
              resources: resourceRequirements(spec.resources),
              securityContext: restricted,
              volumeMounts: [
                { name: "data", mountPath: PATHS.data },
                { name: "genesis", mountPath: PATHS.genesis, subPath: "genesis.json", readOnly: true },
                { name: "genesis", mountPath: PATHS.identityServiceKey, subPath: IDENTITY_SERVICE_PUBLIC_KEY, readOnly: true },
                { name: "genesis", mountPath: PATHS.controlKey, subPath: CONTROL_PUBLIC_KEY, readOnly: true },
                { name: "identity-token", mountPath: dirname(PATHS.identityToken), readOnly: true },
                { name: "tmp", mountPath: "/tmp" },
              ],
            },
          ],
          volumes: [
            ...(storage === undefined ? [{ name: "data", emptyDir: { sizeLimit: Quantity.fromString(spec.storage.emptyDirSizeLimit) } }] : []),
            { name: "genesis", configMap: { name: genesisConfigMapName(name) } },
            // No identity Secret: a pod's only credential is this token, bound to the pod, which the
            // key service exchanges for that pod's own key.
            {
              name: "identity-token",
              projected: { defaultMode: 0o440, sources: [{ serviceAccountToken: { audience: IDENTITY_TOKEN_AUDIENCE, expirationSeconds: IDENTITY_TOKEN_SECONDS, path: basename(PATHS.identityToken) } }] },
            },
            { name: "tmp", emptyDir: { sizeLimit: Quantity.fromString(TMP_SIZE_LIMIT) } },
          ],
        },
      },
      ...(storage !== undefined
        ? {
            persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Delete" },
            volumeClaimTemplates: [
              {
                metadata: { name: "data", labels },
                spec: {
                  accessModes: ["ReadWriteOnce"],
                  resources: { requests: { storage: Quantity.fromString(storage.size) } },
                  ...(storage.storageClassName !== undefined ? { storageClassName: storage.storageClassName } : {}),
                },
              },
            ],
          }
        : {}),
    },
  });
}
