// SPDX-License-Identifier: Apache-2.0
/**
 * Operator health: who leads, how often and how fast each controller reconciles, how many
 * reconciles fail, and whether work queues back up.
 */
import { PROCESS_METRICS } from "@relaylab/node/metrics-names";
import { OPERATOR_LABELS, OPERATOR_METRICS, type ReconcileResult } from "@relaylab/operator/metrics-names";
import { RATE, type Dashboard, finish, relaylabDashboard, statPanel, timeseriesPanel } from "./common.js";
import { agg, eq, quantile, rate, sel } from "./promql.js";

const C = OPERATOR_LABELS.controller;
const INSTANCE = "instance";

/** Keeps only series of processes that export the operator's leader gauge (the operator pods). */
function operatorOnly(expr: string): string {
  return `${expr} and on (${INSTANCE}) ${OPERATOR_METRICS.leader}`;
}

/** Builds the operator health dashboard. */
export function operatorHealth(): Dashboard {
  return finish(
    relaylabDashboard({
      uid: "relaylab-operator",
      title: "relaylab / Operator",
      description: "relaylab operator: leader election, reconcile rate, errors and latency per controller, work queue depth, identity key delivery, process resources.",
      scope: [],
    })
      .withPanel(
        statPanel({
          title: "Leaders",
          description: "Replicas holding the leader lease: exactly one is healthy, 0 means nobody reconciles.",
          unit: "none",
          queries: [{ expr: agg("sum", [], sel(OPERATOR_METRICS.leader)), legend: "leaders" }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Leader per replica",
          description: "Which replica holds the lease over time (1 = leader).",
          unit: "none",
          span: 18,
          height: 4,
          queries: [{ expr: agg("max", [INSTANCE], sel(OPERATOR_METRICS.leader)), legend: `{{${INSTANCE}}}` }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Reconciles",
          description: "Reconciles per second, by controller and result.",
          unit: "ops",
          stack: true,
          queries: [{ expr: agg("sum", [C, OPERATOR_LABELS.result], rate(OPERATOR_METRICS.reconcile, [], RATE)), legend: `{{${C}}} {{${OPERATOR_LABELS.result}}}` }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Reconcile error ratio",
          description: "Share of reconciles that returned an error (they are retried with backoff).",
          unit: "percentunit",
          queries: [
            {
              expr: `${agg("sum", [C], rate(OPERATOR_METRICS.reconcile, [eq(OPERATOR_LABELS.result, "error" satisfies ReconcileResult)], RATE))} / ${agg("sum", [C], rate(OPERATOR_METRICS.reconcile, [], RATE))}`,
              legend: `{{${C}}}`,
            },
          ],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Reconcile duration",
          description: "Time of one reconcile, by controller.",
          unit: "s",
          queries: [0.5, 0.99].map((q) => ({ expr: quantile(q, OPERATOR_METRICS.reconcileDuration, [], [C], RATE), legend: `{{${C}}} p${q * 100}` })),
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Work queue depth",
          description: "Keys waiting to be reconciled, by controller; a growing queue means reconciles cannot keep up.",
          unit: "none",
          queries: [{ expr: agg("max", [C], sel(OPERATOR_METRICS.queueDepth)), legend: `{{${C}}}` }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Identity key requests",
          description: "Node pods asking the key service for their identity key, by outcome. Anything but delivered is a refused request: a pod asking for another node's key, a bad token, or a malformed request.",
          unit: "ops",
          stack: true,
          queries: [{ expr: agg("sum", [OPERATOR_LABELS.outcome], rate(OPERATOR_METRICS.identityRequests, [], RATE)), legend: `{{${OPERATOR_LABELS.outcome}}}` }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Operator CPU",
          description: "CPU seconds per second of each operator replica.",
          unit: "percentunit",
          queries: [{ expr: operatorOnly(rate(PROCESS_METRICS.cpuSeconds, [], RATE)), legend: `{{${INSTANCE}}}` }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Operator memory",
          description: "Resident set size of each operator replica.",
          unit: "bytes",
          queries: [{ expr: operatorOnly(sel(PROCESS_METRICS.residentMemory)), legend: `{{${INSTANCE}}}` }],
        }),
      ),
  );
}
