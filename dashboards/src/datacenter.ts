// SPDX-License-Identifier: Apache-2.0
/**
 * Per DataCenter: the same beacon signals split by data center, to see whether a fault or a
 * slow link is local to one site (lagging rounds, higher latency, dropped or late shares).
 */
import { LABELS, NODE_METRICS, type ShareResult } from "@relaylab/node/metrics-names";
import { BY_SUBNET, NAMESPACE, RATE, type Dashboard, finish, relaylabDashboard, row, scope, timeseriesPanel } from "./common.js";
import { roundLag } from "./lag.js";
import { PROMETHEUS_SERIES, agg, has, histogramMean, ne, quantile, rate, sel } from "./promql.js";

const S = LABELS.subnet;
const D = LABELS.dataCenter;
const M = scope([NAMESPACE, S, D]);
const BY = [...BY_SUBNET, D];
const LEGEND = `{{${NAMESPACE}}} {{${S}}}/{{${D}}}`;

/** Builds the per-DataCenter dashboard. */
export function perDataCenter(): Dashboard {
  return finish(
    relaylabDashboard({
      uid: "relaylab-datacenter",
      title: "relaylab / DataCenter",
      description: "Beacon health split by data center: availability, lag, latency, traffic, shares, faults.",
      scope: [NAMESPACE, S, D],
    })
      .withRow(row("Availability and progress"))
      .withPanel(
        timeseriesPanel({
          title: "Nodes up",
          description: "Node targets whose last scrape succeeded, per data center.",
          unit: "none",
          span: 8,
          queries: [{ expr: agg("sum", BY, sel(PROMETHEUS_SERIES.up, [has(S), ...M])), legend: LEGEND }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Round lag behind the subnet head",
          description: "Rounds between the subnet's highest accepted round and the best node of each data center.",
          unit: "none",
          span: 8,
          queries: [{ expr: roundLag(scope([NAMESPACE, S]), M, BY), legend: LEGEND }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Stalled nodes",
          description: "Nodes whose current round is open longer than the stall timeout, per data center.",
          unit: "none",
          span: 8,
          queries: [{ expr: agg("sum", BY, sel(NODE_METRICS.stalled, M)), legend: LEGEND }],
        }),
      )
      .withRow(row("Latency and traffic"))
      .withPanel(
        timeseriesPanel({
          title: "Round latency p50",
          description: "Median time from B(r−1) to B(r) as seen by the nodes of each data center.",
          unit: "s",
          queries: [{ expr: quantile(0.5, NODE_METRICS.beaconRoundDuration, M, BY, RATE), legend: LEGEND }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Round latency p99",
          description: "Tail time from B(r−1) to B(r) as seen by the nodes of each data center.",
          unit: "s",
          queries: [{ expr: quantile(0.99, NODE_METRICS.beaconRoundDuration, M, BY, RATE), legend: LEGEND }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Peer traffic",
          description: "Peer-to-peer bytes per second by direction, per data center.",
          unit: "Bps",
          queries: [{ expr: agg("sum", [...BY, LABELS.direction], rate(NODE_METRICS.p2pBytes, M, RATE)), legend: `${LEGEND} {{${LABELS.direction}}}` }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Bytes per group signature (mean)",
          description: "Mean bytes a member of each data center moves to produce one group signature.",
          unit: "bytes",
          queries: [{ expr: histogramMean(NODE_METRICS.groupSignatureBytes, M, BY, RATE), legend: LEGEND }],
        }),
      )
      .withRow(row("Shares, drops and faults"))
      .withPanel(
        timeseriesPanel({
          title: "Shares not counted valid",
          description: "Signature shares received per second that were invalid, duplicate, late or from unknown senders.",
          unit: "ops",
          span: 8,
          stack: true,
          queries: [
            {
              expr: agg("sum", [...BY, LABELS.result], rate(NODE_METRICS.shares, [...M, ne(LABELS.result, "valid" satisfies ShareResult)], RATE)),
              legend: `${LEGEND} {{${LABELS.result}}}`,
            },
          ],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Messages dropped",
          description: "Peer messages dropped, by reason: on receipt before processing, or send_backlog when a slow or dead peer's stream is full.",
          unit: "ops",
          span: 8,
          stack: true,
          queries: [{ expr: agg("sum", [...BY, LABELS.reason], rate(NODE_METRICS.messagesDropped, M, RATE)), legend: `${LEGEND} {{${LABELS.reason}}}` }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Faults active",
          description: "Nodes with an injected fault of each kind switched on.",
          unit: "none",
          span: 8,
          stack: true,
          queries: [{ expr: agg("sum", [...BY, LABELS.kind], sel(NODE_METRICS.faultsActive, M)), legend: `${LEGEND} {{${LABELS.kind}}}` }],
        }),
      ),
  );
}
