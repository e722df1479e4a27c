// SPDX-License-Identifier: Apache-2.0
/**
 * Active faults of this node (from --faults at start, replaced at run time through Control.SetFaults).
 * The transport asks it what to do with each message to or from a peer; the protocol strategies of
 * byzantine.ts ask it which behaviours are on. Every change is logged and mirrored in relaylab_faults_active{kind}.
 */
import type { Clock, Timer } from "../clock.js";
import { ByzantineBehaviour, type FaultSet, type LinkFault } from "../gen/relaylab/v1/control.js";
import type { Logger } from "../log.js";
import { FAULT_KINDS, type FaultKind } from "../metrics/names.js";
import type { Metrics } from "../metrics/registry.js";

/** What the transport does with one message to or from a peer. */
export type LinkDecision = { readonly drop: true } | { readonly drop: false; readonly delayMs: number };

const BYZANTINE_KINDS: Partial<Record<ByzantineBehaviour, FaultKind>> = {
  [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_WITHHOLD_SHARES]: "withhold_shares",
  [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_INVALID_SHARES]: "invalid_shares",
  [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_SELECTIVE_SHARES]: "selective_shares",
  [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_DKG_EQUIVOCATE]: "dkg_equivocate",
  [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_EQUIVOCATE_BLOCKS]: "equivocate_blocks",
  [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_EQUIVOCATE_VOTES]: "equivocate_votes",
  [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_DKG_OUTCOME_EQUIVOCATE]: "dkg_outcome_equivocate",
  [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_DKG_FALSE_COMPLAINTS]: "dkg_false_complaints",
};

/** Combined effect of every LinkFault that matches one peer. */
interface LinkEffect {
  partition: boolean;
  loss: number;
  delayMs: number;
  jitterMs: number;
  bandwidthBps: number;
}

/** Validates a FaultSet; returns a message naming the bad field, or undefined when it is usable. */
export function faultSetProblem(set: FaultSet): string | undefined {
  for (const [i, link] of set.links.entries()) {
    if (!(link.loss >= 0 && link.loss <= 1)) return `links[${i}].loss must be between 0 and 1, got ${link.loss}`;
  }
  return undefined;
}

export class FaultController {
  private set: FaultSet = { links: [], byzantine: [], selectivePeers: [], pauseMs: 0 };
  private pausedUntil = 0;
  private pauseTimer: Timer | undefined;
  /** Per peer and direction: when the bandwidth-capped link is next free (clock ms). */
  private readonly linkFreeAt = new Map<string, number>();

  constructor(
    private readonly dataCenterOf: (node: number) => string | undefined,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly metrics: Metrics | null,
    private readonly random: () => number = Math.random,
  ) {}

  /** Replaces the active faults. Throws with a field-naming message for an unusable set. */
  apply(set: FaultSet): FaultSet {
    const problem = faultSetProblem(set);
    if (problem !== undefined) throw new Error(problem);
    this.set = structuredClone(set);
    this.linkFreeAt.clear();
    this.pauseTimer?.cancel();
    this.pauseTimer = undefined;
    this.pausedUntil = 0;
    if (set.pauseMs > 0) {
      this.pausedUntil = this.clock.now() + set.pauseMs;
      this.pauseTimer = this.clock.setTimeout(() => {
        this.pauseTimer = undefined;
        this.log.info({ event: "fault_pause_ended" }, "pause ended");
        this.publish();
      }, set.pauseMs);
    }
    this.log.warn({ event: "faults_set", kinds: this.activeKinds(), faults: set }, "faults applied");
    this.publish();
    return this.current();
  }

  current(): FaultSet {
    return structuredClone({ ...this.set, pauseMs: Math.max(0, Math.ceil(this.pausedUntil - this.clock.now())) });
  }

  /** Fault kinds in effect now, as in relaylab_faults_active{kind}. */
  activeKinds(): FaultKind[] {
    const kinds = new Set<FaultKind>();
    for (const link of this.set.links) {
      if (link.partition) kinds.add("partition");
      if (link.loss > 0) kinds.add("loss");
      if (link.delayMs > 0 || link.jitterMs > 0) kinds.add("delay");
      if (link.bandwidthBps > 0n) kinds.add("bandwidth");
    }
    if (this.paused()) kinds.add("pause");
    for (const b of this.set.byzantine) {
      const kind = BYZANTINE_KINDS[b];
      if (kind !== undefined) kinds.add(kind);
    }
    return FAULT_KINDS.filter((k) => kinds.has(k));
  }

  paused(): boolean {
    return this.pausedUntil > this.clock.now();
  }

  byzantine(behaviour: ByzantineBehaviour): boolean {
    return this.set.byzantine.includes(behaviour);
  }

  /** Node indices a SELECTIVE_SHARES node still sends its shares to. */
  selectivePeers(): readonly number[] {
    return this.set.selectivePeers;
  }

  /** Decides the fate of one message of `bytes` to (`sent`) or from (`received`) `peer`. */
  decide(peer: number, direction: "sent" | "received", bytes: number): LinkDecision {
    const effect = this.effectFor(peer);
    if (effect === undefined) return { drop: false, delayMs: 0 };
    if (effect.partition) return { drop: true };
    if (effect.loss > 0 && this.random() < effect.loss) return { drop: true };
    let delayMs = effect.delayMs + (effect.jitterMs > 0 ? this.random() * effect.jitterMs : 0);
    if (effect.bandwidthBps > 0) {
      // Serialise messages on a virtual link of the capped rate: each waits for the previous one to finish.
      const key = `${peer}/${direction}`;
      const now = this.clock.now();
      const start = Math.max(now, this.linkFreeAt.get(key) ?? now);
      const done = start + (bytes * 1000) / effect.bandwidthBps;
      this.linkFreeAt.set(key, done);
      delayMs += done - now;
    }
    return { drop: false, delayMs };
  }

  private effectFor(peer: number): LinkEffect | undefined {
    const dc = this.dataCenterOf(peer);
    const matching = this.set.links.filter((l) => matches(l, peer, dc));
    if (matching.length === 0) return undefined;
    return matching.reduce<LinkEffect>(
      (acc, l) => ({
        partition: acc.partition || l.partition,
        loss: 1 - (1 - acc.loss) * (1 - l.loss),
        delayMs: acc.delayMs + l.delayMs,
        jitterMs: acc.jitterMs + l.jitterMs,
        bandwidthBps: l.bandwidthBps > 0n && (acc.bandwidthBps === 0 || Number(l.bandwidthBps) < acc.bandwidthBps) ? Number(l.bandwidthBps) : acc.bandwidthBps,
      }),
      { partition: false, loss: 0, delayMs: 0, jitterMs: 0, bandwidthBps: 0 },
    );
  }

  private publish(): void {
    const active = new Set(this.activeKinds());
    for (const kind of FAULT_KINDS) this.metrics?.faultsActive.set({ kind }, active.has(kind) ? 1 : 0);
  }
}

function matches(link: LinkFault, peer: number, dataCenter: string | undefined): boolean {
  if (link.peers.length === 0 && link.dataCenters.length === 0) return true;
  return link.peers.includes(peer) || (dataCenter !== undefined && link.dataCenters.includes(dataCenter));
}
