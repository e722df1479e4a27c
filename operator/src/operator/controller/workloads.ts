// SPDX-License-Identifier: Apache-2.0
/** The parts of a StatefulSet the controllers read, and what they derive from it. */
import type { DataCenterShare } from "../../genesis/index.js";
import { LABEL_DATA_CENTER } from "../../resources/index.js";
import type { KubeObject } from "../runtime/kube.js";
import type { StatefulSetView } from "./subnet-status.js";

export interface StatefulSetObject extends KubeObject {
  spec?: { replicas?: number; ordinals?: { start?: number } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
  };
}

/** The data center a relaylab StatefulSet runs in (its label). */
export const dataCenterOf = (sts: StatefulSetObject): string => sts.metadata.labels?.[LABEL_DATA_CENTER] ?? "";

export function toView(sts: StatefulSetObject): StatefulSetView {
  const replicas = sts.spec?.replicas ?? 0;
  const st = sts.status ?? {};
  const rolledOut =
    (st.observedGeneration ?? 0) >= (sts.metadata.generation ?? 0) &&
    (st.updatedReplicas ?? 0) >= replicas &&
    (st.currentRevision === undefined || st.updateRevision === undefined || st.currentRevision === st.updateRevision);
  return { dataCenter: dataCenterOf(sts), replicas, readyReplicas: st.readyReplicas ?? 0, rolledOut };
}

/** The index range a running StatefulSet holds (for status while paused or unplaceable). */
export function shareOf(sts: StatefulSetObject): DataCenterShare {
  return { dataCenter: dataCenterOf(sts), firstIndex: sts.spec?.ordinals?.start ?? 0, nodes: sts.spec?.replicas ?? 0 };
}
