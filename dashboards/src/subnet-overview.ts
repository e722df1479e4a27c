// SPDX-License-Identifier: Apache-2.0
/**
 * Subnet overview: is the beacon advancing, how fast, at what latency and traffic cost, and is
 * the consensus layer finalizing blocks and taking ingress. One line per subnet.
 */
import { LABELS, NODE_METRICS, type Direction, type P2PMessageKind } from "@relaylab/node/metrics-names";
import { BY_SUBNET, NAMESPACE, RATE, SUBNET_LEGEND, type Dashboard, type Query, finish, heatmapPanel, relaylabDashboard, row, scope, statPanel, timeseriesPanel } from "./common.js";
import { PROMETHEUS_SERIES, agg, bucket, eq, has, histogramMean, increase, quantile, rate, sel } from "./promql.js";

const S = LABELS.subnet;
const M = scope([NAMESPACE, LABELS.subnet, LABELS.dataCenter]);
const SENT = eq(LABELS.direction, "sent" satisfies Direction);

/** Latency quantiles per subnet (median, tail, worst-case tail by default). */
function latencyQuantiles(histogram: string, qs: readonly number[] = [0.5, 0.9, 0.99]): Query[] {
  return qs.map((q) => ({ expr: quantile(q, histogram, M, BY_SUBNET, RATE), legend: `${SUBNET_LEGEND} p${q * 100}` }));
}

/** Builds the Subnet overview dashboard. */
export function subnetOverview(): Dashboard {
  return finish(
    relaylabDashboard({
      uid: "relaylab-subnet-overview",
      title: "relaylab / Subnet overview",
      description: "Threshold Relay beacon and consensus health per subnet: round rate and latency, stalls, traffic per group signature, finalization, ingress.",
      scope: [NAMESPACE, LABELS.subnet, LABELS.dataCenter],
    })
      .withRow(row("Beacon"))
      .withPanel(
        statPanel({
          title: "Beacon round",
          description: "Highest beacon round accepted by any node of the subnet.",
          unit: "none",
          queries: [{ expr: agg("max", BY_SUBNET, sel(NODE_METRICS.beaconRound, M)), legend: SUBNET_LEGEND }],
        }),
      )
      .withPanel(
        statPanel({
          title: "Nodes down",
          description: "Node targets whose last scrape failed (Prometheus `up == 0`).",
          unit: "none",
          redAt: 1,
          queries: [{ expr: agg("sum", BY_SUBNET, `1 - ${sel(PROMETHEUS_SERIES.up, [has(S), ...M])}`), legend: SUBNET_LEGEND }],
        }),
      )
      .withPanel(
        statPanel({
          title: "Stalled nodes",
          description: "Nodes whose current round is open longer than the stall timeout.",
          unit: "none",
          redAt: 1,
          queries: [{ expr: agg("sum", BY_SUBNET, sel(NODE_METRICS.stalled, M)), legend: SUBNET_LEGEND }],
        }),
      )
      .withPanel(
        statPanel({
          title: "Registered groups",
          description: "Groups whose DKG succeeded and that the beacon may select (lowest count any node reports).",
          unit: "none",
          queries: [{ expr: agg("min", BY_SUBNET, sel(NODE_METRICS.registeredGroups, M)), legend: SUBNET_LEGEND }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Round rate",
          description: "Beacon rounds accepted per second, averaged over the subnet's nodes (each node accepts every round once).",
          unit: "ops",
          queries: [{ expr: agg("avg", BY_SUBNET, rate(`${NODE_METRICS.beaconRoundDuration}_count`, M, RATE)), legend: SUBNET_LEGEND }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Round latency quantiles",
          description: "Time from accepting B(r−1) to accepting B(r), aggregated over all nodes' histograms.",
          unit: "s",
          queries: latencyQuantiles(NODE_METRICS.beaconRoundDuration),
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Signing latency quantiles",
          description: "Time from opening a round for signing (previous beacon accepted, pacing period passed) to accepting its beacon. Round latency sits at the pacing period while the subnet keeps up; this is the part the group spends signing, so its distance below the period is the headroom.",
          unit: "s",
          queries: latencyQuantiles(NODE_METRICS.beaconSigning),
        }),
      )
      .withPanel(
        heatmapPanel({
          title: "Round latency heatmap",
          description: "Rounds per latency bucket over time, all selected nodes.",
          unit: "s",
          queries: [{ expr: agg("sum", ["le"], increase(bucket(NODE_METRICS.beaconRoundDuration), M, RATE)), legend: "{{le}}" }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Stall events",
          description: "Rounds that stayed open longer than the stall timeout (per node, summed), and how many nodes are stalled now.",
          unit: "short",
          bars: true,
          queries: [
            { expr: agg("sum", BY_SUBNET, increase(NODE_METRICS.stallEvents, M, RATE)), legend: `${SUBNET_LEGEND} stall events` },
            { expr: agg("sum", BY_SUBNET, sel(NODE_METRICS.stalled, M)), legend: `${SUBNET_LEGEND} stalled nodes` },
          ],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Stall duration p99",
          description: "How long stalled rounds stayed open, recorded when they complete.",
          unit: "s",
          span: 8,
          queries: [{ expr: quantile(0.99, NODE_METRICS.stallDuration, M, BY_SUBNET, RATE), legend: SUBNET_LEGEND }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Bytes per group signature",
          description: "Bytes one member sent plus received (shares in and out, beacon out, framing) to produce one group signature.",
          unit: "bytes",
          span: 8,
          queries: [
            { expr: histogramMean(NODE_METRICS.groupSignatureBytes, M, BY_SUBNET, RATE), legend: `${SUBNET_LEGEND} mean` },
            { expr: quantile(0.99, NODE_METRICS.groupSignatureBytes, M, BY_SUBNET, RATE), legend: `${SUBNET_LEGEND} p99` },
          ],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Peer traffic by message",
          description: "Peer-to-peer bytes per second sent by all nodes of the subnet, by message type.",
          unit: "Bps",
          span: 8,
          stack: true,
          queries: [{ expr: agg("sum", [...BY_SUBNET, LABELS.message], rate(NODE_METRICS.p2pBytes, [...M, SENT], RATE)), legend: `${SUBNET_LEGEND} {{${LABELS.message}}}` }],
        }),
      )
      .withRow(row("Consensus and ingress"))
      .withPanel(
        timeseriesPanel({
          title: "Finalized height",
          description: "Highest finalized block height reported by any node of the subnet.",
          unit: "none",
          span: 8,
          queries: [{ expr: agg("max", BY_SUBNET, sel(NODE_METRICS.finalizedHeight, M)), legend: SUBNET_LEGEND }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Finalization latency",
          description: "Block proposal to finalization (and to notarization), all nodes' histograms aggregated.",
          unit: "s",
          span: 8,
          queries: [
            ...latencyQuantiles(NODE_METRICS.blockFinalization, [0.5, 0.99]),
            { expr: quantile(0.5, NODE_METRICS.notarization, M, BY_SUBNET, RATE), legend: `${SUBNET_LEGEND} notarization p50` },
          ],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Ingress throughput",
          description: "Ingress messages submitted per second, by result (accepted or why rejected).",
          unit: "reqps",
          span: 8,
          stack: true,
          queries: [{ expr: agg("sum", [...BY_SUBNET, LABELS.result], rate(NODE_METRICS.ingressMessages, M, RATE)), legend: `${SUBNET_LEGEND} {{${LABELS.result}}}` }],
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Ingress latency",
          description: "Ingress message submission to finalization.",
          unit: "s",
          span: 12,
          queries: latencyQuantiles(NODE_METRICS.ingressLatency),
        }),
      )
      .withPanel(
        timeseriesPanel({
          title: "Ingress bytes",
          description: "Peer bytes per second carrying ingress messages between nodes.",
          unit: "Bps",
          span: 12,
          queries: [{ expr: agg("sum", BY_SUBNET, rate(NODE_METRICS.p2pBytes, [...M, SENT, eq(LABELS.message, "ingress" satisfies P2PMessageKind)], RATE)), legend: SUBNET_LEGEND }],
        }),
      ),
  );
}
