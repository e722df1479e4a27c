// SPDX-License-Identifier: Apache-2.0
/**
 * Shares that reached this node but took no part in a verified recovery here: those that arrive after the round's
 * beacon (late), and those pooled for a round whose beacon came from a peer. Nothing needs them for the chain,
 * but a member that lies only when it is late (or only to members that do not recover first) would otherwise
 * never be counted, so the engine checks them after the round, off its critical path.
 *
 * The check costs a pairing per share, so it is bounded: the last AUDIT_ROUNDS rounds only, at most AUDIT_PER_ROUND
 * shares per round, first come, one check per member and round (members are authenticated by their stream, so a
 * byzantine member fills at most its own slot, however many different shares it sends). A share whose bytes equal
 * the one a recovery here verified for that member is not checked: BLS partial signatures are unique, so equal
 * bytes are the same verdict, and a different one is checked even past the cap, since one of the two is invalid. With groups larger than
 * AUDIT_PER_ROUND late shares are sampled rather than all checked, and a member that lies every round is still
 * caught within a few rounds. Pure bookkeeping: the engine verifies and reports.
 */
import { bytesToHex } from "@noble/hashes/utils.js";

/** Rounds behind the newest one whose unchecked shares are still kept. */
export const AUDIT_ROUNDS = 4;
/** Shares checked per round at most: for g = 7 that is every late share, for g = 400 a sample. */
export const AUDIT_PER_ROUND = 8;

/** One share to check: `signature` from member `index` (1-based) of the group that signed `round`. */
export interface AuditedShare {
  readonly round: bigint;
  readonly index: number;
  readonly signature: Uint8Array;
  /** It arrived after the round's beacon (otherwise it was pooled for a round whose beacon came from a peer). */
  readonly late: boolean;
}

interface RoundAudit {
  /** Member index → hex of its share that a recovery here verified, or that is queued for the check. */
  readonly seen: Map<number, { readonly hex: string; readonly queued: boolean }>;
  /** Shares taken into the audit this round (the per-round cap counts these). */
  taken: number;
}

export class ShareAudit {
  readonly #rounds = new Map<bigint, RoundAudit>();
  #queue: AuditedShare[] = [];

  /** Shares `index → signature` of `round`, the newest round, that recovered its beacon here: equal copies need no check. */
  verified(round: bigint, shares: ReadonlyMap<number, Uint8Array>): void {
    this.#prune(round);
    const r = this.#round(round);
    for (const [index, signature] of shares) r.seen.set(index, { hex: bytesToHex(signature), queued: false });
  }

  /** Queues a share for the check unless its round is too old, its copy is known, or the round's cap is reached. */
  add(newest: bigint, share: AuditedShare): boolean {
    if (share.round + BigInt(AUDIT_ROUNDS) <= newest) return false;
    const r = this.#round(share.round);
    const hex = bytesToHex(share.signature);
    const known = r.seen.get(share.index);
    if (known !== undefined && (known.queued || known.hex === hex)) return false;
    if (known === undefined && r.taken >= AUDIT_PER_ROUND) return false;
    r.seen.set(share.index, { hex, queued: true });
    r.taken++;
    this.#queue.push(share);
    this.#prune(newest);
    return true;
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

  #round(round: bigint): RoundAudit {
    let r = this.#rounds.get(round);
    if (r === undefined) {
      r = { seen: new Map(), taken: 0 };
      this.#rounds.set(round, r);
    }
    return r;
  }

  #prune(newest: bigint): void {
    for (const round of this.#rounds.keys()) if (round + BigInt(AUDIT_ROUNDS) <= newest) this.#rounds.delete(round);
  }
}
