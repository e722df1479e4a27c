// SPDX-License-Identifier: Apache-2.0
/**
 * Shares that arrive after their round's beacon was recovered here. Nothing needs them for the chain, but a member
 * whose invalid shares always arrive late would otherwise never be counted, so the engine checks them after the
 * round, off its critical path.
 *
 * The check needs no pairing: BLS threshold signatures are unique, so any t valid shares recover the round's one
 * group signature. Swapping the late share j for one share of the t that recovered the beacon here and recovering
 * again gives the beacon's signature exactly when j's share is valid (its Lagrange coefficient at 0 is never 0, so
 * an error in it shows). One recovery costs a few G1 multiplications (0.8 ms at t = 4 on mcl-wasm, against 4–5 ms
 * for a pairing check). A mismatch is confirmed with a pairing check against j's key share before j is blamed,
 * since two colluding members could have sent shares whose errors cancel in the recovery set; that costs a pairing
 * only when someone lies.
 *
 * Bounded: rounds recovered here within the last AUDIT_ROUNDS, at most AUDIT_PER_ROUND late shares per round, first
 * come, one check per member and round (members are authenticated by their stream, so a byzantine member fills at
 * most its own slot, however many different shares it sends). A copy of a share that the recovery here used is not
 * checked: equal bytes, equal verdict. And only a sample of them, DEFAULT_AUDIT_SAMPLE by default: at a 0 ms round
 * period (16 nodes, groups of 7) every late share meant 9 recoveries per round, 2.3 ms each on a loaded core, 15% of
 * the machine; a quarter of them costs a quarter of that, and a member that lies in every round is still caught
 * within a few rounds by one of the round's aggregators. The sample is keyed by a secret of this process, so a liar
 * cannot tell which of its late shares will be checked. Pure bookkeeping: the engine recovers, verifies and reports.
 */
import { randomBytes } from "node:crypto";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes } from "@noble/hashes/utils.js";
import type { PartialSignature } from "../crypto/index.js";

/** Rounds behind the newest one whose late shares are still taken. */
export const AUDIT_ROUNDS = 4;
/** Late shares checked per round at most: for g = 7 that is every late share, for g = 400 a sample. */
export const AUDIT_PER_ROUND = 8;
/** Share of the late shares checked. */
export const DEFAULT_AUDIT_SAMPLE = 0.25;

/** One late share to check: `signature` from member `index` (1-based) of the group that signed `round`. */
export interface AuditedShare {
  readonly round: bigint;
  readonly index: number;
  readonly signature: Uint8Array;
}

interface RoundAudit {
  /** The t shares that recovered the round's beacon here. */
  readonly recovery: readonly PartialSignature[];
  /** Member index → hex of its share in the recovery, or of the late share queued for it. */
  readonly seen: Map<number, string>;
  taken: number;
}

export class ShareAudit {
  readonly #rounds = new Map<bigint, RoundAudit>();
  #queue: AuditedShare[] = [];
  readonly #sample: number;
  readonly #key = randomBytes(16);

  /** `sample`: the share of late shares checked, in [0, 1]. */
  constructor(sample = DEFAULT_AUDIT_SAMPLE) {
    if (!(sample >= 0 && sample <= 1)) throw new RangeError(`the late-share sample must be in [0, 1], got ${sample}`);
    this.#sample = sample;
  }

  /** The shares that recovered `round`, the newest round, here: late shares of the round are checked against them. */
  recovered(round: bigint, recovery: readonly PartialSignature[]): void {
    this.#prune(round);
    this.#rounds.set(round, { recovery, seen: new Map(recovery.map((p) => [p.index, bytesToHex(p.signature)])), taken: 0 });
  }

  /** Queues a late share unless its round was not recovered here lately, the member was checked, or the cap is reached. */
  add(share: AuditedShare): boolean {
    const r = this.#rounds.get(share.round);
    if (r === undefined || r.seen.has(share.index) || r.taken >= AUDIT_PER_ROUND || !this.#sampled(share)) return false;
    r.seen.set(share.index, bytesToHex(share.signature));
    r.taken++;
    this.#queue.push(share);
    return true;
  }

  /** The t shares that recovered `round` here, for the check of its late shares. */
  recovery(round: bigint): readonly PartialSignature[] | undefined {
    return this.#rounds.get(round)?.recovery;
  }

  /** The queued shares, oldest first; the queue is empty afterwards. */
  take(): AuditedShare[] {
    const queued = this.#queue;
    this.#queue = [];
    return queued;
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Whether (round, member) falls in this process's sample: the first byte of a keyed hash, below sample × 256. */
  #sampled(share: AuditedShare): boolean {
    if (this.#sample >= 1) return true;
    const at = new Uint8Array(12);
    const view = new DataView(at.buffer);
    view.setBigUint64(0, share.round);
    view.setUint32(8, share.index);
    return (sha256(concatBytes(this.#key, at))[0] ?? 0) < this.#sample * 256;
  }

  #prune(newest: bigint): void {
    for (const round of this.#rounds.keys()) if (round + BigInt(AUDIT_ROUNDS) <= newest) this.#rounds.delete(round);
  }
}

/**
 * The recovery set with `late` in place of one of its shares (the first whose index differs), or undefined when the
 * set is too small to swap one out. Recovering from it gives the beacon's signature exactly when `late` is valid.
 */
export function swapIn(recovery: readonly PartialSignature[], late: PartialSignature): PartialSignature[] | undefined {
  const out = recovery.findIndex((p) => p.index !== late.index);
  if (out < 0 || recovery.some((p) => p.index === late.index)) return undefined;
  return recovery.map((p, i) => (i === out ? late : p));
}
