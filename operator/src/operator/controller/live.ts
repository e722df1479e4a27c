// SPDX-License-Identifier: Apache-2.0
/**
 * Live figures from the nodes' Public API, and the Control API the operator pushes faults
 * through. Both are ports: `grpcNodes` implements them with the node's client
 * (@relaylab/node/client), and tests inject fakes.
 */
import { status } from "@grpc/grpc-js";
import { NodeClientPool, pushFaults } from "@relaylab/node/client";
import { median } from "@relaylab/node/quantile";
import type { FaultSetSpec } from "../../genesis/index.js";
import { inDomain } from "../../resources/index.js";

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
  /** Median time from opening a round to accepting its beacon, pacing excluded: the headroom under the period. */
  signingLatencyP50Seconds: number;
}

/** Where a node's API listens (host:port) and the certificate genesis pins for it (PEM; none for plaintext). */
export interface NodeTarget {
  readonly address: string;
  readonly certificate?: string | undefined;
}

export interface NodeStatusReader {
  /** Status of the node's Public API at `target`; rejects when unreachable. */
  status(target: NodeTarget): Promise<NodeLiveStatus>;
  /** The groups registered for `epoch` (the DKG's output) as the node at `target` knows them. */
  groups(target: NodeTarget, epoch: number): Promise<GroupMembers[]>;
  /** Closes whatever is held open for the nodes whose hosts end with `domain` (a deleted Subnet's). */
  release(domain: string): void;
}

/** One registered group: its index and its members' node indices. */
export interface GroupMembers {
  index: number;
  members: number[];
}

/** A node's Control API and what authorizes calls to it: the Subnet's control key (hex) and the node's index. */
export interface ControlTarget extends NodeTarget {
  readonly node: number;
  readonly controlKey: string;
}

export interface NodeControl {
  /** Replaces the faults of the node at `target`, signing the call with the Subnet's control key. */
  setFaults(target: ControlTarget, faults: FaultSetSpec): Promise<void>;
}

/** Deadline of one call; a slow node must not hold a reconcile up for long. */
const CALL_DEADLINE_MS = 3000;

/** The call never reached a node that answered: the channel is of no use until the node is there. */
const unreached = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED;
};

/**
 * Both ports over gRPC, one client per address; `close` releases the channels (call on shutdown).
 * A call that reached no node closes its address's client: calls still queued in that channel
 * behind a name that does not resolve go with it, and the next call opens a fresh one.
 */
export function grpcNodes(): NodeStatusReader & NodeControl & { close(): void } {
  const pool = new NodeClientPool({ deadlineMs: CALL_DEADLINE_MS });
  const closingIfUnreached = async <T>(address: string, call: Promise<T>): Promise<T> => {
    try {
      return await call;
    } catch (err) {
      if (unreached(err)) pool.closeWhere((a) => a.public === address || a.control === address);
      throw err;
    }
  };
  return {
    async status({ address, certificate }) {
      const s = await closingIfUnreached(address, pool.get({ public: address, certificate }).status());
      return {
        index: s.index,
        ready: s.ready,
        round: Number(s.round),
        registeredGroups: s.registeredGroups,
        epoch: Number(s.epoch),
        stallEvents: Number(s.stallEvents),
        stalled: s.stalled,
        finalizedHeight: Number(s.finalizedHeight),
        activeFaults: s.activeFaults,
        roundLatencyP50Seconds: s.roundLatencyP50Seconds,
        signingLatencyP50Seconds: s.signingLatencyP50Seconds,
      };
    },
    async groups({ address, certificate }, epoch) {
      const set = await closingIfUnreached(address, pool.get({ public: address, certificate }).groups(BigInt(epoch)));
      return set.groups.map((g) => ({ index: g.index, members: [...g.members] }));
    },
    async setFaults({ address, certificate, node, controlKey }, faults) {
      await closingIfUnreached(address, pushFaults(pool.get({ control: address, certificate }, { secretKey: Buffer.from(controlKey, "hex"), node }), node, faults));
    },
    release(domain) {
      const under = (address: string | undefined): boolean => address !== undefined && inDomain(address, domain);
      pool.closeWhere((a) => under(a.public) || under(a.control));
    },
    close: () => pool.close(),
  };
}

/** Subnet-wide figures from the nodes that answered. */
export interface LiveSummary {
  reachable: number;
  round: number;
  roundLatencyP50Ms: number | undefined;
  signingLatencyP50Ms: number | undefined;
  stallEvents: number;
  stalled: boolean;
  finalizedHeight: number;
  /** Fewest registered groups any reachable node reports (every node learns every group). */
  registeredGroups: number | undefined;
}

/** Median over the nodes that measured one of their p50s, in milliseconds to the microsecond; undefined when none did. */
function medianMs(statuses: readonly NodeLiveStatus[], p50Seconds: (s: NodeLiveStatus) => number): number | undefined {
  const values = statuses.map(p50Seconds).filter((v) => v > 0);
  return values.length === 0 ? undefined : Math.round(median(values) * 1_000_000) / 1000;
}

/** Aggregates node statuses: highest round, median of p50 latencies, most stall events, any stall. */
export function summarizeLive(statuses: readonly NodeLiveStatus[]): LiveSummary {
  return {
    reachable: statuses.length,
    round: Math.max(0, ...statuses.map((s) => s.round)),
    roundLatencyP50Ms: medianMs(statuses, (s) => s.roundLatencyP50Seconds),
    signingLatencyP50Ms: medianMs(statuses, (s) => s.signingLatencyP50Seconds),
    stallEvents: Math.max(0, ...statuses.map((s) => s.stallEvents)),
    stalled: statuses.some((s) => s.stalled),
    finalizedHeight: Math.max(0, ...statuses.map((s) => s.finalizedHeight)),
    registeredGroups: statuses.length === 0 ? undefined : Math.min(...statuses.map((s) => s.registeredGroups)),
  };
}
