// SPDX-License-Identifier: Apache-2.0
/**
 * Live figures from the nodes' Public API, and the Control API the operator pushes faults
 * through. Both are ports: node-api.ts implements them over gRPC with @relaylab/node/client, and
 * tests inject fakes.
 */
import type { FaultSetSpec } from "../genesis/index.js";

/** What one node reports about itself (relaylab.v1.NodeStatus, numbers instead of bigints). */
export interface NodeLiveStatus {
  index: number;
  ready: boolean;
  round: number;
  registeredGroups: number;
  /** Epoch of the node's highest round: which registered groups are in force. */
  epoch: number;
  stallEvents: number;
  stalled: boolean;
  finalizedHeight: number;
  activeFaults: string[];
  roundLatencyP50Seconds: number;
}

export interface NodeStatusReader {
  /** Status of the node at `address` (host:port of its Public API); rejects when unreachable. */
  status(address: string): Promise<NodeLiveStatus>;
  /** The groups registered for `epoch` (the DKG's output) as the node at `address` knows them. */
  groups(address: string, epoch: number): Promise<GroupMembers[]>;
}

/** One registered group: its index and its members' node indices. */
export interface GroupMembers {
  index: number;
  members: number[];
}

export interface NodeControl {
  /** Replaces the faults of the node whose Control API is at `address`. */
  setFaults(address: string, faults: FaultSetSpec): Promise<void>;
}

/** Subnet-wide figures from the nodes that answered. */
export interface LiveSummary {
  reachable: number;
  round: number;
  roundLatencyP50Ms: number | undefined;
  stallEvents: number;
  stalled: boolean;
  finalizedHeight: number;
  /** Fewest registered groups any reachable node reports (every node learns every group). */
  registeredGroups: number | undefined;
}

/** Aggregates node statuses: highest round, median of p50 latencies, most stall events, any stall. */
export function summarizeLive(statuses: readonly NodeLiveStatus[]): LiveSummary {
  const latencies = statuses.filter((s) => s.roundLatencyP50Seconds > 0).map((s) => s.roundLatencyP50Seconds * 1000).sort((a, b) => a - b);
  const mid = latencies.length >> 1;
  const median = latencies.length === 0 ? undefined : latencies.length % 2 === 1 ? latencies[mid] : ((latencies[mid - 1] ?? 0) + (latencies[mid] ?? 0)) / 2;
  return {
    reachable: statuses.length,
    round: Math.max(0, ...statuses.map((s) => s.round)),
    roundLatencyP50Ms: median === undefined ? undefined : Math.round(median * 1000) / 1000,
    stallEvents: Math.max(0, ...statuses.map((s) => s.stallEvents)),
    stalled: statuses.some((s) => s.stalled),
    finalizedHeight: Math.max(0, ...statuses.map((s) => s.finalizedHeight)),
    registeredGroups: statuses.length === 0 ? undefined : Math.min(...statuses.map((s) => s.registeredGroups)),
  };
}
