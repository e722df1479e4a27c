// SPDX-License-Identifier: Apache-2.0
/**
 * Kubernetes Events (events.k8s.io/v1) for notable transitions, so `kubectl describe` tells the
 * story. Recording is best effort: a failed Event is logged, never fails a reconcile.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { Clock } from "@relaylab/node/clock";
import type { KubeApi, KubeObject } from "./kube.js";
import { microTime } from "./leader.js";
import type { PolicyRule } from "./rbac.js";

export const EVENT_RULES: PolicyRule[] = [{ apiGroups: ["events.k8s.io"], resources: ["events"], verbs: ["create"] }];

export const REPORTING_CONTROLLER = "relaylab.dev/operator";

export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  /** Records that `action` happened to `regarding` because of `reason` (CamelCase); `note` is for humans. */
  record(regarding: KubeObject, type: EventType, reason: string, action: string, note: string): Promise<void>;
}

/**
 * Writes Events through the API. The API server takes Events about cluster-scoped objects
 * (DataCenters) only in "default"; an operator limited to one namespace may not write there, so
 * with `clusterEvents` false those are skipped (the object's status says the same).
 */
export function apiEventRecorder(api: KubeApi, clock: Clock, log: Logger, instance: string, clusterEvents = true): EventRecorder {
  return {
    async record(regarding, type, reason, action, note) {
      if (regarding.metadata.namespace === undefined && !clusterEvents) return;
      const ns = regarding.metadata.namespace ?? "default";
      const name = `${regarding.metadata.name ?? "object"}.${randomBytes(8).toString("hex")}`;
      try {
        await api.create({
          apiVersion: "events.k8s.io/v1",
          kind: "Event",
          metadata: { name, namespace: ns },
          eventTime: microTime(clock.wallNow()),
          reportingController: REPORTING_CONTROLLER,
          reportingInstance: instance,
          action,
          reason,
          type,
          note: note.slice(0, 1024),
          regarding: {
            apiVersion: regarding.apiVersion,
            kind: regarding.kind,
            name: regarding.metadata.name,
            uid: regarding.metadata.uid,
            ...(regarding.metadata.namespace !== undefined ? { namespace: regarding.metadata.namespace } : {}),
          },
        } as KubeObject);
      } catch (err) {
        log.warn({ reason, object: regarding.metadata.name, err: err instanceof Error ? err.message : String(err) }, "could not record an Event");
      }
    },
  };
}
