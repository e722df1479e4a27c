// SPDX-License-Identifier: Apache-2.0
/**
 * A Subnet's status, computed in one pure function from what one reconcile observed; the
 * reconciler writes the result once. Conditions: Ready, DKGComplete, Progressing, Degraded,
 * Stalled, each with observedGeneration.
 */
import type { SubnetPhase, SubnetStatus, Subnet } from "../../api/index.js";
import { SUBNET_CONDITIONS as C, SUBNET_REASONS as R, resolveSubnetSpec } from "../../api/index.js";
import type { DataCenterShare } from "../../genesis/index.js";
import type { ConditionInput } from "./conditions.js";
import { setConditions } from "./conditions.js";
import type { LiveSummary } from "./live.js";

/** What the reconcile saw of one of the Subnet's StatefulSets. */
export interface StatefulSetView {
  dataCenter: string;
  replicas: number;
  readyReplicas: number;
  /** The StatefulSet controller has caught up with the spec and every pod runs the latest revision. */
  rolledOut: boolean;
}

export interface SubnetObservation {
  subnet: Subnet;
  /** Set when placement failed: the status says why and nothing else changes. */
  placementError?: string;
  shares: readonly DataCenterShare[];
  statefulSets: readonly StatefulSetView[];
  live: LiveSummary;
  genesisHash?: string;
  /** Set when this reconcile replaced the genesis (a new network). */
  newGenesis?: { from: string; to: string };
  nowIso: string;
}

const short = (hash: string): string => hash.slice(0, 12);

export function computeSubnetStatus(o: SubnetObservation): SubnetStatus {
  const spec = resolveSubnetSpec(o.subnet.spec);
  const generation = o.subnet.metadata.generation ?? 0;
  const prev = o.subnet.status;
  const byDc = new Map(o.statefulSets.map((s) => [s.dataCenter, s]));
  const readyNodes = o.statefulSets.reduce((a, s) => a + s.readyReplicas, 0);
  const rollingOut = o.shares.some((sh) => {
    const s = byDc.get(sh.dataCenter);
    return s === undefined || !s.rolledOut || s.replicas !== sh.nodes || s.readyReplicas < sh.nodes;
  });
  // Unreachable nodes (e.g. an operator outside the cluster network) keep the last figures rather than zeroing them.
  const live: LiveSummary =
    o.live.reachable > 0 || o.newGenesis !== undefined || prev === undefined
      ? o.live
      : { ...o.live, round: prev.round ?? 0, stallEvents: prev.stallEvents ?? 0, finalizedHeight: prev.finalizedHeight ?? 0, roundLatencyP50Ms: prev.roundLatencyP50Ms, signingLatencyP50Ms: prev.signingLatencyP50Ms };
  const allReady = o.placementError === undefined && readyNodes >= spec.nodes;

  const ready: ConditionInput = !allReady
    ? { type: C.ready, status: "False", reason: R.nodesNotReady, message: `${readyNodes} of ${spec.nodes} nodes ready` }
    : live.round === 0
      ? { type: C.ready, status: "False", reason: R.noBeaconYet, message: "every node is ready but no node reported a beacon round yet" }
      : { type: C.ready, status: "True", reason: R.allNodesReady, message: `${spec.nodes} nodes ready, beacon at round ${live.round}` };

  const dkg: ConditionInput =
    live.registeredGroups === undefined
      ? { type: C.dkgComplete, status: "Unknown", reason: R.statusUnavailable, message: "no node answered on its public API yet" }
      : live.registeredGroups >= spec.groups
        ? { type: C.dkgComplete, status: "True", reason: R.dkgComplete, message: `${live.registeredGroups} of ${spec.groups} groups registered` }
        : {
            type: C.dkgComplete,
            status: "False",
            reason: R.dkgPending,
            message: `${live.registeredGroups} of ${spec.groups} groups registered; a group whose DKG misses timings.dkgTimeoutMs stays unregistered`,
          };

  const progressing: ConditionInput = spec.paused
    ? { type: C.progressing, status: "False", reason: R.paused, message: "spec.paused is true: children are left as they are" }
    : o.placementError !== undefined
      ? { type: C.progressing, status: "False", reason: R.placementFailed, message: o.placementError }
      : o.newGenesis !== undefined
        ? {
            type: C.progressing,
            status: "True",
            reason: R.newGenesis,
            message: `group parameters changed: genesis ${short(o.newGenesis.from)} → ${short(o.newGenesis.to)} is a new network (fresh DKG, beacon restarts at round 1); rolling the nodes`,
          }
        : rollingOut
          ? { type: C.progressing, status: "True", reason: R.rollingOut, message: `rolling out: ${readyNodes} of ${spec.nodes} nodes ready on the latest revision` }
          : { type: C.progressing, status: "False", reason: R.upToDate, message: "every StatefulSet matches the spec" };

  const degraded: ConditionInput =
    o.placementError !== undefined
      ? { type: C.degraded, status: "True", reason: R.placementFailed, message: o.placementError }
      : !rollingOut && readyNodes < spec.nodes
        ? { type: C.degraded, status: "True", reason: R.nodesNotReady, message: `${spec.nodes - readyNodes} of ${spec.nodes} nodes not ready after the rollout finished` }
        : { type: C.degraded, status: "False", reason: R.allNodesReady, message: rollingOut ? "rollout in progress" : `${readyNodes} of ${spec.nodes} nodes ready` };

  const stalled: ConditionInput = live.stalled
    ? {
        type: C.stalled,
        status: "True",
        reason: R.roundStalled,
        message: `round ${live.round + 1} is open longer than timings.stallTimeoutMs (${spec.timings.stallTimeoutMs} ms); ${live.stallEvents} stall events so far`,
      }
    : { type: C.stalled, status: "False", reason: R.beaconAdvancing, message: live.reachable === 0 ? "no node reachable" : `beacon at round ${live.round}` };

  const phase: SubnetPhase = spec.paused
    ? "Paused"
    : o.placementError !== undefined
      ? "Failed"
      : live.stalled
        ? "Stalled"
        : ready.status === "True"
          ? "Running"
          : readyNodes === 0 && live.round === 0
            ? "Pending"
            : rollingOut || o.newGenesis !== undefined || dkg.status !== "True"
              ? "Starting"
              : "Degraded";

  return {
    observedGeneration: generation,
    phase,
    conditions: setConditions(prev?.conditions, [ready, dkg, progressing, degraded, stalled], generation, o.nowIso),
    nodes: o.placementError === undefined ? spec.nodes : 0,
    readyNodes,
    round: live.round,
    ...(live.roundLatencyP50Ms !== undefined ? { roundLatencyP50Ms: live.roundLatencyP50Ms } : {}),
    ...(live.signingLatencyP50Ms !== undefined ? { signingLatencyP50Ms: live.signingLatencyP50Ms } : {}),
    stallEvents: live.stallEvents,
    finalizedHeight: live.finalizedHeight,
    placement: o.shares.map((sh) => ({ dataCenter: sh.dataCenter, firstIndex: sh.firstIndex, nodes: sh.nodes, readyNodes: byDc.get(sh.dataCenter)?.readyReplicas ?? 0 })),
    ...(o.genesisHash !== undefined ? { genesisHash: o.genesisHash } : prev?.genesisHash !== undefined ? { genesisHash: prev.genesisHash } : {}),
  };
}
