// SPDX-License-Identifier: Apache-2.0
/**
 * The operator's metrics, created on one registry passed in from main (never the global one).
 * Names come from names.ts, the contract dashboards and alerts import.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics } from "prom-client";
import type { Registry } from "prom-client";
import { CONTROLLERS, IDENTITY_OUTCOMES, OPERATOR_LABELS, OPERATOR_METRICS, RECONCILE_RESULTS } from "./names.js";
import type { ControllerName, ReconcileResult } from "./names.js";

export interface OperatorMetrics {
  reconcile: Counter<"controller" | "result">;
  reconcileDuration: Histogram<"controller">;
  queueDepth: Gauge<"controller">;
  leader: Gauge;
  identityRequests: Counter<"outcome">;
}

/** Registers the operator's metrics (and process defaults) on `registry`. */
export function createOperatorMetrics(registry: Registry): OperatorMetrics {
  collectDefaultMetrics({ register: registry });
  const labels = [OPERATOR_LABELS.controller] as const;
  const metrics: OperatorMetrics = {
    reconcile: new Counter({
      name: OPERATOR_METRICS.reconcile,
      help: "Reconciles by controller and result.",
      labelNames: [OPERATOR_LABELS.controller, OPERATOR_LABELS.result] as const,
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: OPERATOR_METRICS.reconcileDuration,
      help: "Duration of one reconcile in seconds.",
      labelNames: labels,
      // A reconcile is a handful of API round trips: milliseconds to a few seconds.
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    queueDepth: new Gauge({ name: OPERATOR_METRICS.queueDepth, help: "Keys waiting in the work queue.", labelNames: labels, registers: [registry] }),
    leader: new Gauge({ name: OPERATOR_METRICS.leader, help: "1 while this replica holds the leader lease.", registers: [registry] }),
    identityRequests: new Counter({
      name: OPERATOR_METRICS.identityRequests,
      help: "Identity key requests from node pods to the key service, by outcome.",
      labelNames: [OPERATOR_LABELS.outcome] as const,
      registers: [registry],
    }),
  };
  // Every (controller, result) from the start: an error ratio is 0, not an empty panel, until the first error.
  for (const controller of CONTROLLERS) for (const result of RECONCILE_RESULTS) metrics.reconcile.inc({ controller, result }, 0);
  for (const outcome of IDENTITY_OUTCOMES) metrics.identityRequests.inc({ outcome }, 0);
  return metrics;
}

/** Records one reconcile; a no-op without metrics (tests). */
export function observeReconcile(metrics: OperatorMetrics | null, controller: ControllerName, result: ReconcileResult, seconds: number): void {
  metrics?.reconcile.inc({ controller, result });
  metrics?.reconcileDuration.observe({ controller }, seconds);
}
