// SPDX-License-Identifier: Apache-2.0
/**
 * Two of the engine changes proposed in docs/performance.md §1, applied to BeaconEngine's prototype inside the
 * benchmark process only (the engine is not the benchmark's to edit), so bench:bandwidth can measure them:
 *  1. a late share is answered with the beacon only when it arrives at least shareRetransmitMs after this node
 *     accepted the round (a retransmission: the sender really missed the beacon); earlier ones have a beacon in
 *     flight already;
 *  3. escalation goes to the next AGGREGATORS members of a deterministic ranking (cumulatively, one step per
 *     retransmit) instead of to every member, so only aggregators reach t shares, recover and broadcast.
 * The patch wraps the engine's own sendShare/replyWithBeacon and is removed again after the run.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { AGGREGATORS, BeaconEngine, pickAggregators, type EngineOptions } from "../../src/beacon/engine.js";
import type { GroupSet } from "../../src/beacon/group-set.js";

/** The parts of the engine's private round state the patch reads or swaps. */
interface OpenRoundView {
  readonly round: bigint;
  readonly previous: Uint8Array;
  readonly group: number;
  readonly set: GroupSet;
  escalated: boolean;
  aggregators: readonly number[];
}

/** The engine's private methods and fields the patch wraps or reads. */
interface EngineInternals {
  readonly opts: EngineOptions;
  readonly lastAcceptAt: number | undefined;
  sendShare: (this: EngineInternals, open: OpenRoundView) => void;
  replyWithBeacon: (this: EngineInternals, to: number, round: bigint, open: OpenRoundView) => void;
}

/** The round's aggregators first (as pickAggregators), then every other member ordered by sha256(previous ‖ member). */
export function rankedMembers(previous: Uint8Array, members: readonly number[]): number[] {
  const first = pickAggregators(previous, members);
  const key = (m: number): string => {
    const input = new Uint8Array(previous.length + 4);
    input.set(previous);
    new DataView(input.buffer).setUint32(previous.length, m, false);
    return Buffer.from(sha256(input)).toString("hex");
  };
  const rest = members.filter((m) => !first.includes(m)).sort((a, b) => (key(a) < key(b) ? -1 : 1));
  return [...first, ...rest];
}

/** Runs `body` with the proposed changes applied to every BeaconEngine, then restores the engine. */
export function withProposedChanges<T>(body: () => T): T {
  const proto = BeaconEngine.prototype as unknown as EngineInternals;
  const { sendShare, replyWithBeacon } = proto;
  const steps = new WeakMap<OpenRoundView, number>();
  proto.sendShare = function (open) {
    if (!open.escalated) return sendShare.call(this, open);
    const step = (steps.get(open) ?? 0) + 1;
    steps.set(open, step);
    const members = open.set.group(open.group)?.members ?? [];
    const saved = open.aggregators;
    open.aggregators = rankedMembers(open.previous, members).slice(0, AGGREGATORS * (1 + step));
    open.escalated = false;
    try {
      sendShare.call(this, open);
    } finally {
      open.escalated = true;
      open.aggregators = saved;
    }
  };
  proto.replyWithBeacon = function (to, round, open) {
    const sinceAccept = this.opts.clock.now() - (this.lastAcceptAt ?? Number.NEGATIVE_INFINITY);
    if (round === open.round - 1n && sinceAccept < this.opts.genesis.timings.shareRetransmitMs) return;
    replyWithBeacon.call(this, to, round, open);
  };
  try {
    return body();
  } finally {
    proto.sendShare = sendShare;
    proto.replyWithBeacon = replyWithBeacon;
  }
}
