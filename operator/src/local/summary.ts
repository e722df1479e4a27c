// SPDX-License-Identifier: Apache-2.0
/** The run summary `relaylab up --rounds R --json` prints, and the health verdict behind its exit code. */
import { NODE_METRICS } from "@relaylab/node/metrics-names";
import type { NodeStatus } from "@relaylab/node/gen/relaylab/v1/public";
import type { Violation } from "./ledger.js";
import type { TestnetObserver } from "./observer.js";
import { histogramQuantile, type LatencySummary, summarize } from "@relaylab/node/quantile";
import { histogram, mergeHistograms, scrape } from "./scrape.js";
import type { NodeEndpoints } from "./run-dir.js";

export interface NodeSummary {
  readonly index: number;
  readonly dataCenter: string;
  readonly reachable: boolean;
  readonly round: number;
  readonly ready: boolean;
  readonly stallEvents: number;
  readonly finalizedHeight: number;
  readonly activeFaults: readonly string[];
}

export interface RunSummary {
  readonly subnet: string;
  readonly rounds: number;
  /** Rounds the subnet stalled: verified more than the stall timeout after their predecessor. */
  readonly stalls: number;
  /** Stall events as the nodes count them (maximum over nodes; a lagging node counts its own). */
  readonly nodeStallEvents: number;
  readonly roundLatencySeconds: LatencySummary;
  /** Round opened for signing (pacing wait excluded) to beacon accepted, over every node's histogram. */
  readonly signingLatencySeconds: SigningLatency;
  readonly groupSignatureBytes: { readonly mean: number; readonly p99: number };
  readonly finalizedHeight: number;
  /** `checkedHeights`: finalized heights compared across nodes (the finality ledger's). */
  readonly safety: { readonly agreed: boolean; readonly checkedRounds: number; readonly checkedHeights: number; readonly violations: readonly Violation[] };
  readonly healthy: boolean;
  readonly problems: readonly string[];
  readonly nodes: readonly NodeSummary[];
}

export interface SummaryInput {
  readonly subnet: string;
  readonly endpoints: readonly NodeEndpoints[];
  readonly observer: TestnetObserver;
  readonly maxStalls: number;
  readonly stallTimeoutSeconds: number;
  /** Only rounds up to this count in the latency figures (a run stops after R rounds). */
  readonly uptoRound?: number | undefined;
}

function nodeSummary(e: NodeEndpoints, s: NodeStatus | undefined): NodeSummary {
  return {
    index: e.index,
    dataCenter: e.dataCenter,
    reachable: s !== undefined,
    round: Number(s?.round ?? 0n),
    ready: s?.ready ?? false,
    stallEvents: Number(s?.stallEvents ?? 0n),
    finalizedHeight: Number(s?.finalizedHeight ?? 0n),
    activeFaults: s?.activeFaults ?? [],
  };
}

/**
 * How long the summary waits for a node's metrics. The summary is read once, at the end, often while
 * every node is still busy: a short deadline on a loaded machine would report no bytes at all.
 */
const SUMMARY_SCRAPE_TIMEOUT_MS = 15_000;

export interface SigningLatency {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/** What the summary and the progress line read from the nodes' own histograms. */
export interface NodeHistograms {
  readonly groupSignatureBytes: { readonly mean: number; readonly p99: number };
  readonly signingLatencySeconds: SigningLatency;
}

/** Bytes per group signature and signing latency over every reachable node (unreachable nodes are left out, not errors). */
export async function nodeHistograms(endpoints: readonly NodeEndpoints[]): Promise<NodeHistograms> {
  const scraped = (await Promise.all(endpoints.map((e) => scrape(e.metrics, SUMMARY_SCRAPE_TIMEOUT_MS).catch(() => undefined)))).filter((s) => s !== undefined);
  const merged = (name: string) => mergeHistograms(scraped.map((s) => histogram(s, name)));
  const bytes = merged(NODE_METRICS.groupSignatureBytes);
  const signing = merged(NODE_METRICS.beaconSigning);
  return {
    groupSignatureBytes: { mean: bytes.count > 0 ? bytes.sum / bytes.count : 0, p99: histogramQuantile(0.99, bytes) },
    signingLatencySeconds: { p50: histogramQuantile(0.5, signing), p90: histogramQuantile(0.9, signing), p99: histogramQuantile(0.99, signing) },
  };
}

/** Scrapes every reachable node once and builds the summary; unreachable nodes count as such, not as errors. */
export async function buildSummary(input: SummaryInput): Promise<RunSummary> {
  const { observer } = input;
  const nodes = input.endpoints.map((e) => nodeSummary(e, observer.statuses.get(e.index)));
  const violations = observer.violations;
  const rounds = input.uptoRound !== undefined ? Math.min(observer.round, input.uptoRound) : observer.round;
  const intervals = observer.ledger.roundIntervalsSeconds(2, rounds);
  const stalls = intervals.filter((s) => s > input.stallTimeoutSeconds).length;
  const problems: string[] = [];
  if (violations.length > 0) problems.push(`${violations.length} safety violation(s), first: ${violations[0]?.detail ?? ""}`);
  if (stalls > input.maxStalls) problems.push(`${stalls} stall event(s), more than --max-stalls ${input.maxStalls}`);
  return {
    subnet: input.subnet,
    rounds,
    stalls,
    nodeStallEvents: Math.max(0, ...nodes.map((n) => n.stallEvents)),
    roundLatencySeconds: summarize(intervals),
    ...(await nodeHistograms(input.endpoints)),
    finalizedHeight: Math.max(0, ...nodes.map((n) => n.finalizedHeight)),
    safety: { agreed: violations.length === 0, checkedRounds: observer.ledger.checkedRounds, checkedHeights: observer.finality.checkedHeights, violations },
    healthy: problems.length === 0,
    problems,
    nodes,
  };
}

/** Human-readable summary lines. */
export function formatSummary(s: RunSummary): string {
  const l = s.roundLatencySeconds;
  const g = s.signingLatencySeconds;
  const lines = [
    `subnet ${s.subnet}: ${s.rounds} rounds, ${s.stalls} stalled rounds (${s.nodeStallEvents} stall events at the worst node), finalized height ${s.finalizedHeight}`,
    `round latency  p50 ${l.p50.toFixed(3)}s  p90 ${l.p90.toFixed(3)}s  p99 ${l.p99.toFixed(3)}s  max ${l.max.toFixed(3)}s`,
    `signing latency  p50 ${g.p50.toFixed(3)}s  p90 ${g.p90.toFixed(3)}s  p99 ${g.p99.toFixed(3)}s  (round opened to beacon accepted, pacing wait excluded)`,
    `bytes per group signature  mean ${Math.round(s.groupSignatureBytes.mean)}  p99 ${Math.round(s.groupSignatureBytes.p99)}`,
    `safety  ${s.safety.agreed ? "agreed" : "VIOLATED"} over ${s.safety.checkedRounds} verified rounds and ${s.safety.checkedHeights} finalized heights`,
    `verdict ${s.healthy ? "healthy" : `UNHEALTHY: ${s.problems.join("; ")}`}`,
  ];
  return `${lines.join("\n")}\n`;
}
