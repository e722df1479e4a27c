// SPDX-License-Identifier: Apache-2.0
/**
 * The verifier's ledger: an independent check of every beacon every node reports.
 *
 * For each round it keeps the first signature that verified; a node reporting other bytes for
 * the same round is a disagreement, a beacon that does not verify against its group's key (or
 * was signed by a group its predecessor did not select, or does not chain from the previous
 * beacon) is invalid. Identical copies are compared byte for byte, so each round costs one
 * pairing check however many nodes report it.
 */
import { previousOfFirstRound, selectGroup, verifyBeacon } from "@relaylab/node/beacon";
import type { Beacon, GroupSet } from "@relaylab/node/gen/relaylab/v1/public";

/** Safety violation kinds: the beacon's (this ledger) and finality's (finality.ts). */
export type ViolationKind = "invalid_signature" | "wrong_group" | "broken_chain" | "disagreement" | "group_set_mismatch" | "finalized_fork";

export interface Violation {
  readonly kind: ViolationKind;
  readonly node: number;
  /** The beacon round; for `finalized_fork` the block height (height h is decided with the beacon of round h). */
  readonly round: number;
  readonly detail: string;
}

export interface RoundRecord {
  readonly round: number;
  readonly signatureHex: string;
  readonly group: number;
  readonly epoch: number;
  /** Runner clock (ms) when the first copy arrived. */
  readonly firstSeenMs: number;
  /** Nodes that reported this round with the agreed signature. */
  readonly nodes: Set<number>;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

export class BeaconLedger {
  readonly #rounds = new Map<number, RoundRecord>();
  readonly #groupSets = new Map<number, { digest: string; set: GroupSet }>();
  readonly #violations: Violation[] = [];
  readonly #firstPrevious: string;

  constructor(seedHex: string) {
    this.#firstPrevious = hex(previousOfFirstRound(seedHex));
  }

  /**
   * Records the group set a node reports for an epoch. The first report becomes the reference;
   * a different one from another node is a violation (nodes must agree on registered groups).
   */
  addGroupSet(node: number, set: GroupSet): Violation | undefined {
    const epoch = Number(set.epoch);
    const digest = set.groups.map((g) => `${g.index}:${g.threshold}:${g.members.join(",")}:${hex(g.publicKey)}`).join("|");
    const known = this.#groupSets.get(epoch);
    if (!known) {
      this.#groupSets.set(epoch, { digest, set });
      return undefined;
    }
    if (known.digest === digest) return undefined;
    return this.#violate({ kind: "group_set_mismatch", node, round: Number(set.firstRound), detail: `node ${node} reports different groups for epoch ${epoch}` });
  }

  hasGroupSet(epoch: number): boolean {
    return this.#groupSets.has(epoch);
  }

  /** The reference group set of an epoch (the first one reported). */
  groupSet(epoch: number): GroupSet | undefined {
    return this.#groupSets.get(epoch)?.set;
  }

  /** Checks one reported beacon; returns the violation it caused, if any. */
  add(node: number, beacon: Beacon, nowMs: number): Violation | undefined {
    const round = Number(beacon.round);
    const sigHex = hex(beacon.signature);
    const known = this.#rounds.get(round);
    if (known) {
      if (known.signatureHex === sigHex) {
        known.nodes.add(node);
        return undefined;
      }
      return this.#violate({ kind: "disagreement", node, round, detail: `node ${node} holds a different beacon for round ${round} than nodes ${[...known.nodes].join(",")}` });
    }
    const problem = this.#check(beacon);
    if (problem) return this.#violate({ ...problem, node, round });
    this.#rounds.set(round, { round, signatureHex: sigHex, group: beacon.group, epoch: Number(beacon.epoch), firstSeenMs: nowMs, nodes: new Set([node]) });
    return undefined;
  }

  #check(beacon: Beacon): Omit<Violation, "node" | "round"> | undefined {
    const round = Number(beacon.round);
    const prevHex = hex(beacon.previousSignature);
    const expectedPrev = round === 1 ? this.#firstPrevious : this.#rounds.get(round - 1)?.signatureHex;
    if (expectedPrev !== undefined && expectedPrev !== prevHex) {
      return { kind: "broken_chain", detail: `round ${round} does not chain from the agreed beacon of round ${round - 1}` };
    }
    const groups = this.#groupSets.get(Number(beacon.epoch))?.set.groups ?? [];
    if (groups.length === 0) return { kind: "invalid_signature", detail: `round ${round} names epoch ${beacon.epoch}, which has no registered groups` };
    const selected = selectGroup(beacon.previousSignature, groups.length);
    if (beacon.group !== selected) return { kind: "wrong_group", detail: `round ${round} was signed by group ${beacon.group}, but B(${round - 1}) selects group ${selected}` };
    const key = groups[selected]?.publicKey;
    if (!key || !verifyBeacon(beacon, key)) return { kind: "invalid_signature", detail: `round ${round} does not verify against group ${selected}'s public key` };
    return undefined;
  }

  #violate(v: Violation): Violation {
    this.#violations.push(v);
    return v;
  }

  get violations(): readonly Violation[] {
    return this.#violations;
  }

  /** Highest round for which a verified beacon is known. */
  get highestRound(): number {
    let max = 0;
    for (const r of this.#rounds.keys()) if (r > max) max = r;
    return max;
  }

  /** Rounds verified and agreed so far. */
  get checkedRounds(): number {
    return this.#rounds.size;
  }

  round(r: number): RoundRecord | undefined {
    return this.#rounds.get(r);
  }

  /** Seconds between the first sightings of round r−1 and r, by r, for every round whose predecessor is known. */
  roundIntervals(fromRound = 2, toRound = Number.POSITIVE_INFINITY): Map<number, number> {
    const out = new Map<number, number>();
    for (const [r, rec] of this.#rounds) {
      if (r < fromRound || r > toRound) continue;
      const prev = this.#rounds.get(r - 1);
      if (prev) out.set(r, (rec.firstSeenMs - prev.firstSeenMs) / 1000);
    }
    return out;
  }

  /** The same intervals as a plain sample, for quantiles. */
  roundIntervalsSeconds(fromRound = 2, toRound = Number.POSITIVE_INFINITY): number[] {
    return [...this.roundIntervals(fromRound, toRound).values()];
  }
}
