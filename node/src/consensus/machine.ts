// SPDX-License-Identifier: Apache-2.0
/**
 * DFINITY-style block consensus on top of the beacon, as a pure state machine:
 * `step(state, event, now) → [state, effects]`. No I/O, no clock, no cryptography: the driver feeds
 * checked facts in and carries the effects out (signing, recovery, verification, sending).
 *
 * Height h works with the beacon of round h: it ranks every node as block maker and selects the group
 * that notarizes. Rank k proposes at start + k × blockMakerDelay unless it saw a block of better rank.
 * A notary signs the best-ranked valid block it has seen once start + notaryDelay + rank × blockMakerDelay
 * has passed (several only when they share the best rank, i.e. an equivocating maker). t shares make a
 * notarization; seeing one ends the height for this node, which never signs at that height again. A notary
 * that signed exactly one block at the height, and that block is notarized, sends a finalization share;
 * t of them finalize the block and all its ancestors.
 *
 * Safety (no two finalized blocks at one height) needs 2t > g + f for g notaries of which f are faulty: a
 * finalized block has t members that signed no other block, a rival notarization needs t signers, so the
 * two sets share more than f members, one of them honest.
 */
import type { BlockHash, BlockInfo, CertKind, ConsensusEffect, ConsensusEvent, ConsensusParams, Notaries } from "./types.js";

/** Heights beyond the working height that the machine keeps state for (further ones trigger a sync). */
export const LOOKAHEAD = 64n;
/** Blocks kept per height while their parent or beacon is missing (a faulty maker cannot fill memory). */
const WAITING_CAP = 32;
/** Unchecked certificates kept per height while their block or notaries are missing. */
const PENDING_CERT_CAP = 16;
/**
 * Block hashes per height that shares named but that this node lacks, in all and per noting sender: shares for
 * made-up hashes cost a faulty notary nothing, so it may note only a few and cannot crowd the real block out.
 */
const MISSING_CAP = 64;
const MISSING_PER_SENDER = 2;
/** Senders of a missing block's shares kept to ask in turn (one that does not answer is not asked forever). */
const MISSING_SENDERS = 8;
/** Blocks of the working height a sync answer carries besides the notarized chain. */
export const WORKING_BLOCKS_SERVED = 4;

/** A block that shares named but this node lacks: who sent them (the first noted it), and the asks so far. */
export interface MissingBlock {
  readonly senders: readonly number[];
  readonly asks: number;
  readonly askedAt: number;
}

/** Per-height working state (exported for the driver's read-only use). */
export interface HeightState {
  ranking: readonly number[] | undefined;
  notaries: Notaries | undefined;
  /** When this became the working height with its beacon known. */
  startedAt: number | undefined;
  /** Valid blocks: rank checked, parent notarized. */
  readonly blocks: Map<BlockHash, BlockInfo>;
  /** Blocks whose parent is not notarized yet or whose beacon is unknown. */
  readonly waiting: Map<BlockHash, BlockInfo>;
  readonly notarized: Map<BlockHash, Uint8Array>;
  /** Certificates waiting for their block or notaries, by kind/hash. */
  readonly pendingCerts: Map<string, { readonly signature: Uint8Array; readonly from: number }>;
  /**
   * Blocks that shares name but this node has never seen, with a sender of such a share and when it was last asked.
   * A node that was down when a block was made gets it only this way: makers and notaries send a block again only
   * once, and a sync answer carries only notarized blocks and the working height's.
   */
  readonly missing: Map<BlockHash, MissingBlock>;
  readonly verifying: Set<string>;
  /** Shares by kind/hash, then share index. */
  readonly shares: Map<string, Map<number, Uint8Array>>;
  readonly invalid: Set<string>;
  /** Share count at the last recovery attempt, by kind/hash. */
  readonly recovering: Map<string, number>;
  /** When each kind/hash first had a threshold of shares (non-aggregators wait a retransmit interval after). */
  readonly readyAt: Map<string, number>;
  /** Blocks this node notarization-signed. */
  readonly signed: Set<BlockHash>;
  /** Blocks that descend from a block other than the finalized one: they can never be finalized, so nothing here builds on, signs or syncs for them. */
  readonly orphaned: Set<BlockHash>;
  /** The finalization decision is made at this height: one share sent, or none because this node signed several blocks. */
  finalDecided: boolean;
  proposed: boolean;
  lastSend: number;
  /** Retransmissions so far at this height: each waits twice as long as the one before (at most 8×). */
  retransmits: number;
}

export interface ConsensusState {
  readonly self: number;
  readonly nodeCount: number;
  readonly params: ConsensusParams;
  readonly finalizedHeight: bigint;
  readonly finalizedHash: BlockHash;
  /** The height being worked on: one above the highest notarized height. */
  readonly height: bigint;
  readonly heights: ReadonlyMap<bigint, HeightState>;
  /** A peer seen working above our height, asked for its chain if we make no progress. */
  readonly ahead: { readonly peer: number; readonly height: bigint } | undefined;
  /** This node signs nothing at or below this height: it may have signed there before a restart. */
  readonly signFloor: bigint;
}

/** The state of a node that has finalized only the genesis block. */
export function initialState(self: number, nodeCount: number, params: ConsensusParams, genesis: BlockHash, signFloor = 0n): ConsensusState {
  return { self, nodeCount, params, finalizedHeight: 0n, finalizedHash: genesis, height: 1n, heights: new Map(), ahead: undefined, signFloor };
}

const key = (kind: CertKind, hash: BlockHash): string => `${kind}/${hash}`;

function emptyHeight(): HeightState {
  return {
    ranking: undefined,
    notaries: undefined,
    startedAt: undefined,
    blocks: new Map(),
    waiting: new Map(),
    notarized: new Map(),
    pendingCerts: new Map(),
    missing: new Map(),
    verifying: new Set(),
    shares: new Map(),
    invalid: new Set(),
    recovering: new Map(),
    readyAt: new Map(),
    signed: new Set(),
    orphaned: new Set(),
    finalDecided: false,
    proposed: false,
    lastSend: 0,
    retransmits: 0,
  };
}

function cloneHeight(h: HeightState): HeightState {
  return {
    ...h,
    blocks: new Map(h.blocks),
    waiting: new Map(h.waiting),
    notarized: new Map(h.notarized),
    pendingCerts: new Map(h.pendingCerts),
    missing: new Map(h.missing),
    verifying: new Set(h.verifying),
    shares: new Map([...h.shares].map(([k, v]) => [k, new Map(v)])),
    invalid: new Set(h.invalid),
    recovering: new Map(h.recovering),
    readyAt: new Map(h.readyAt),
    signed: new Set(h.signed),
    orphaned: new Set(h.orphaned),
  };
}

/** Mutable working copy used inside one step; the caller's state is never touched. */
class Step {
  finalizedHeight: bigint;
  finalizedHash: BlockHash;
  height: bigint;
  ahead: ConsensusState["ahead"];
  readonly heights: Map<bigint, HeightState>;
  readonly effects: ConsensusEffect[] = [];

  constructor(
    readonly prev: ConsensusState,
    readonly now: number,
  ) {
    this.finalizedHeight = prev.finalizedHeight;
    this.finalizedHash = prev.finalizedHash;
    this.height = prev.height;
    this.ahead = prev.ahead;
    this.heights = new Map([...prev.heights].map(([h, s]) => [h, cloneHeight(s)]));
  }

  get params(): ConsensusParams {
    return this.prev.params;
  }

  state(): ConsensusState {
    return { ...this.prev, finalizedHeight: this.finalizedHeight, finalizedHash: this.finalizedHash, height: this.height, heights: this.heights, ahead: this.ahead };
  }

  /** Height state, created on demand within the window; undefined outside it. */
  at(height: bigint): HeightState | undefined {
    if (height <= this.finalizedHeight || height > this.height + LOOKAHEAD) return undefined;
    let h = this.heights.get(height);
    if (h === undefined) {
      h = emptyHeight();
      this.heights.set(height, h);
    }
    return h;
  }

  isNotarized(height: bigint, hash: BlockHash): boolean {
    if (height === this.finalizedHeight) return hash === this.finalizedHash;
    return this.heights.get(height)?.notarized.has(hash) ?? false;
  }

  /** The notarized block to build on at `height`: the finalized one, else the best rank (then lowest hash). */
  bestNotarized(height: bigint): BlockHash | undefined {
    if (height === this.finalizedHeight) return this.finalizedHash;
    const h = this.heights.get(height);
    if (h === undefined) return undefined;
    let best: BlockInfo | undefined;
    for (const hash of h.notarized.keys()) {
      const b = h.blocks.get(hash);
      if (b !== undefined && (best === undefined || b.rank < best.rank || (b.rank === best.rank && b.hash < best.hash))) best = b;
    }
    return best?.hash;
  }

  noteAhead(from: number, height: bigint): void {
    if (from === this.prev.self || height <= this.height) return;
    if (this.ahead === undefined || height > this.ahead.height) this.ahead = { peer: from, height };
    // More than one height ahead: we certainly missed a notarization, ask now rather than after a timeout.
    if (height > this.height + 1n) this.sync(from);
  }

  sync(peer: number): void {
    this.effects.push({ type: "sync", peer, fromHeight: this.finalizedHeight + 1n });
    this.ahead = undefined;
  }

  /** A sync asked for a missing block: it answers a pending catch-up only if it goes to the same peer. */
  askFor(peer: number): void {
    if (this.ahead?.peer === peer) this.sync(peer);
    else this.effects.push({ type: "sync", peer, fromHeight: this.finalizedHeight + 1n });
  }

  onBeacon(height: bigint, ranking: readonly number[], notaries: Notaries): void {
    const h = this.at(height);
    if (h === undefined || h.ranking !== undefined) return;
    h.ranking = ranking;
    h.notaries = notaries;
    this.promote(height);
  }

  onBlock(from: number, block: BlockInfo): void {
    const h = this.at(block.height);
    if (h === undefined) {
      if (block.height > this.height + LOOKAHEAD) this.sync(from);
      return;
    }
    if (h.blocks.has(block.hash) || h.waiting.has(block.hash) || h.orphaned.has(block.hash)) return;
    if (this.isOrphanParent(block.height - 1n, block.parent)) {
      h.orphaned.add(block.hash);
      return;
    }
    if (h.waiting.size >= WAITING_CAP) return;
    h.waiting.set(block.hash, block);
    this.noteAhead(from, block.height);
    this.promote(block.height);
  }

  /** Moves waiting blocks whose beacon is known and parent notarized into the valid set (or drops bad ranks). */
  promote(height: bigint): void {
    const h = this.heights.get(height);
    if (h?.ranking === undefined) return;
    for (const [hash, b] of h.waiting) {
      if (!this.isNotarized(height - 1n, b.parent)) continue;
      h.waiting.delete(hash);
      if (h.ranking[b.rank] !== b.maker) continue; // a maker claiming a rank it does not hold
      h.blocks.set(hash, b);
      for (const kind of ["n", "f"] as const) this.retryPending(height, kind, hash);
    }
  }

  retryPending(height: bigint, kind: CertKind, hash: BlockHash): void {
    const h = this.heights.get(height);
    const pending = h?.pendingCerts.get(key(kind, hash));
    if (h === undefined || pending === undefined) return;
    h.pendingCerts.delete(key(kind, hash));
    this.onCert(kind, pending.from, height, hash, pending.signature, false);
  }

  onShare(kind: CertKind, from: number, height: bigint, hash: BlockHash, index: number, signature: Uint8Array): void {
    const h = this.at(height);
    if (h?.notaries === undefined) return;
    if (h.notaries.members[index - 1] !== from) return;
    if ((kind === "n" && h.notarized.has(hash)) || h.orphaned.has(hash)) return;
    const k = key(kind, hash);
    if (h.invalid.has(`${k}/${index}`)) return;
    let pool = h.shares.get(k);
    if (pool === undefined) {
      pool = new Map();
      h.shares.set(k, pool);
    }
    pool.set(index, signature);
    if (pool.size >= h.notaries.threshold && !h.readyAt.has(k)) h.readyAt.set(k, this.now);
    if (!h.blocks.has(hash) && !h.waiting.has(hash)) this.noteMissing(h, hash, from);
    if (kind === "n") this.noteAhead(from, height);
  }

  /** Shares usually overtake their block: it is asked for only if it is still missing a retransmit interval later. */
  noteMissing(h: HeightState, hash: BlockHash, from: number): void {
    const known = h.missing.get(hash);
    if (known !== undefined) {
      if (!known.senders.includes(from) && known.senders.length < MISSING_SENDERS) h.missing.set(hash, { ...known, senders: [...known.senders, from] });
      return;
    }
    let noted = 0;
    for (const m of h.missing.values()) if (m.senders[0] === from) noted++;
    if (noted < MISSING_PER_SENDER && h.missing.size < MISSING_CAP) h.missing.set(hash, { senders: [from], asks: 0, askedAt: this.now });
  }

  onCert(kind: CertKind, from: number, height: bigint, hash: BlockHash, signature: Uint8Array, verified: boolean): void {
    const h = this.at(height);
    if (h === undefined) {
      if (height > this.height + LOOKAHEAD) this.sync(from);
      return;
    }
    if (kind === "n" && h.notarized.has(hash)) return;
    if (h.orphaned.has(hash)) return;
    const k = key(kind, hash);
    if (h.notaries === undefined || !h.blocks.has(hash)) {
      if (h.pendingCerts.size < PENDING_CERT_CAP) h.pendingCerts.set(k, { signature, from });
      // A certificate for a block we lack: the sender has it, ask for its chain.
      if (from !== this.prev.self) this.sync(from);
      return;
    }
    if (!verified) {
      if (h.verifying.has(k)) return;
      h.verifying.add(k);
      this.effects.push({ type: "verify", kind, height, hash, notaries: h.notaries, signature });
      return;
    }
    h.verifying.delete(k);
    if (kind === "n") this.notarize(height, hash, signature);
    else this.finalize(height, hash, signature);
  }

  notarize(height: bigint, hash: BlockHash, signature: Uint8Array): void {
    const h = this.heights.get(height);
    const block = h?.blocks.get(hash);
    if (h === undefined || block === undefined) return;
    h.notarized.set(hash, signature);
    this.effects.push({ type: "notarized", block, signature });
    if (height === this.height) this.enter(height + 1n);
    this.maybeFinalizationShare(height);
    this.promote(height + 1n);
  }

  /**
   * Once a height is left, a notary that signed exactly one block there, now notarized, vouches for it. One that
   * signed several (an equivocating maker showed it rivals of one rank) abstains: vouching for any of them could
   * finalize a block beside a rival notarization.
   */
  maybeFinalizationShare(height: bigint): void {
    const h = this.heights.get(height);
    if (h?.notaries === undefined || height >= this.height || height <= this.prev.signFloor || h.finalDecided || h.signed.size === 0) return;
    if (h.signed.size > 1) {
      h.finalDecided = true;
      this.effects.push({ type: "abstain", height });
      return;
    }
    const [only] = h.signed;
    if (only === undefined || !h.notarized.has(only)) return;
    h.finalDecided = true;
    this.effects.push({ type: "sign", kind: "f", height, hash: only, notaries: h.notaries, resend: false });
  }

  enter(height: bigint): void {
    this.height = height;
    if (this.ahead !== undefined && this.ahead.height < height) this.ahead = undefined;
  }

  finalize(height: bigint, hash: BlockHash, signature: Uint8Array): void {
    if (height <= this.finalizedHeight) return;
    const chain: BlockInfo[] = [];
    let cursor = hash;
    for (let hh = height; hh > this.finalizedHeight; hh--) {
      const b = this.heights.get(hh)?.blocks.get(cursor);
      if (b === undefined) return; // cannot happen: valid blocks have notarized, known parents
      chain.unshift(b);
      cursor = b.parent;
    }
    if (cursor !== this.finalizedHash) {
      this.effects.push({ type: "conflict", height: this.finalizedHeight, hash: cursor, finalized: this.finalizedHash });
      return;
    }
    const notarizations = chain.map((b) => this.heights.get(b.height)?.notarized.get(b.hash) ?? new Uint8Array());
    this.effects.push({ type: "finalized", blocks: chain, notarizations, finalization: { height, signature } });
    this.finalizedHeight = height;
    this.finalizedHash = hash;
    // A finalized block was notarized by t members even if we missed that notarization: move past it.
    if (this.height <= height) this.enter(height + 1n);
    for (const hh of [...this.heights.keys()]) if (hh <= height) this.heights.delete(hh);
    this.pruneOrphans();
    this.promote(height + 1n);
  }

  /** Whether a block whose parent is `parent` at `height` can never be finalized. */
  isOrphanParent(height: bigint, parent: BlockHash): boolean {
    if (height === this.finalizedHeight) return parent !== this.finalizedHash;
    return this.heights.get(height)?.orphaned.has(parent) ?? false;
  }

  /**
   * After a finalization, the blocks above it that descend from a rival of a finalized block are orphans. Left
   * among the notarized blocks, one could be the best-ranked parent to build on, and every block made on it would
   * contradict the finalized chain: the nodes would notarize heights forever and finalize nothing. The working
   * height goes back to one above the highest height with a notarized block on the finalized chain.
   */
  pruneOrphans(): void {
    let top = this.finalizedHeight;
    for (let hh = this.finalizedHeight + 1n; hh <= this.height; hh++) {
      const h = this.heights.get(hh);
      if (h === undefined) break;
      for (const [hash, b] of [...h.blocks, ...h.waiting]) {
        if (!this.isOrphanParent(hh - 1n, b.parent)) continue;
        h.blocks.delete(hash);
        h.waiting.delete(hash);
        h.notarized.delete(hash);
        h.orphaned.add(hash);
      }
      if (h.notarized.size > 0 && top === hh - 1n) top = hh;
    }
    if (this.height > top + 1n) this.height = top + 1n;
  }

  onInvalidShares(kind: CertKind, height: bigint, hash: BlockHash, indices: readonly number[]): void {
    const h = this.heights.get(height);
    const k = key(kind, hash);
    const pool = h?.shares.get(k);
    if (h === undefined || pool === undefined) return;
    for (const i of indices) {
      pool.delete(i);
      h.invalid.add(`${k}/${i}`);
    }
    // Retry only once more shares arrive than at the failed attempt.
    if (indices.length > 0) h.recovering.delete(k);
    if (h.notaries !== undefined && pool.size < h.notaries.threshold) h.readyAt.delete(k);
  }

  /** Acts on the passage of time at the working height and on every height's share pools; schedules the next wake-up. */
  evaluate(): void {
    const wakes: number[] = [];
    this.work(wakes);
    for (const [height, h] of this.heights) this.recover(height, h, wakes);
    if (this.ahead !== undefined) {
      const started = this.heights.get(this.height)?.startedAt ?? this.now;
      const due = started + this.params.retransmitMs;
      if (this.now >= due) this.sync(this.ahead.peer);
      else wakes.push(due);
    }
    for (const [height, h] of this.heights) this.askMissing(height, h, wakes);
    const future = wakes.filter((w) => w > this.now);
    if (future.length > 0) this.effects.push({ type: "wake", at: Math.min(...future) });
  }

  /**
   * Asks the senders of a missing block's shares for it, in turn, once it is still missing a retransmit interval
   * after it was noted, then backing off (at most 8× the interval). Only at and above the working height: below
   * it the height is notarized and a missing block there is a rival nobody needs.
   */
  private askMissing(height: bigint, h: HeightState, wakes: number[]): void {
    for (const [hash, m] of h.missing) {
      if (height < this.height || h.blocks.has(hash) || h.waiting.has(hash) || h.orphaned.has(hash)) {
        h.missing.delete(hash);
        continue;
      }
      const due = m.askedAt + this.params.retransmitMs * Math.min(8, 2 ** m.asks);
      if (this.now < due) {
        wakes.push(due);
        continue;
      }
      const peer = m.senders[m.asks % m.senders.length];
      if (peer !== undefined) this.askFor(peer);
      const next = { ...m, asks: m.asks + 1, askedAt: this.now };
      h.missing.set(hash, next);
      wakes.push(this.now + this.params.retransmitMs * Math.min(8, 2 ** next.asks));
    }
  }

  private work(wakes: number[]): void {
    const height = this.height;
    const h = this.at(height);
    if (h?.ranking === undefined || h.notaries === undefined) return;
    const { blockMakerDelayMs, notaryDelayMs, retransmitMs } = this.params;
    if (h.startedAt === undefined) {
      h.startedAt = this.now;
      h.lastSend = this.now;
    }
    const start = h.startedAt;
    let bestRank = Infinity;
    for (const b of h.blocks.values()) bestRank = Math.min(bestRank, b.rank);

    const myRank = h.ranking.indexOf(this.prev.self);
    if (!h.proposed && myRank >= 0 && myRank < bestRank) {
      const due = start + myRank * blockMakerDelayMs;
      const parent = this.bestNotarized(height - 1n);
      if (this.now >= due && parent !== undefined) {
        h.proposed = true;
        this.effects.push({ type: "propose", height, parent, rank: myRank });
      } else wakes.push(due);
    }

    if (h.notaries.members.includes(this.prev.self) && height > this.prev.signFloor) {
      let signedRank = Infinity;
      for (const hash of h.signed) signedRank = Math.min(signedRank, h.blocks.get(hash)?.rank ?? Infinity);
      for (const b of h.blocks.values()) {
        if (b.rank !== bestRank || b.rank > signedRank || h.signed.has(b.hash)) continue;
        const due = start + notaryDelayMs + b.rank * blockMakerDelayMs;
        if (this.now < due) {
          wakes.push(due);
          continue;
        }
        h.signed.add(b.hash);
        this.effects.push({ type: "sign", kind: "n", height, hash: b.hash, notaries: h.notaries, resend: false });
      }
    }

    // No notarization within the retransmit interval: our shares or block may have been lost. Back off, so a slow
    // (overloaded) network is not buried under copies; blocks, the big ones, are sent again only once. A notary
    // also passes on the blocks it signed: an equivocating maker may have shown each notary only one of its blocks,
    // and with no block reaching the threshold the height would never end.
    const backoff = (n: number): number => retransmitMs * Math.min(8, 2 ** n);
    const due = h.lastSend + backoff(h.retransmits);
    if (this.now >= due) {
      h.lastSend = this.now;
      for (const hash of h.signed) if (!h.orphaned.has(hash)) this.effects.push({ type: "sign", kind: "n", height, hash, notaries: h.notaries, resend: true });
      if (h.retransmits === 0) for (const b of h.blocks.values()) if (b.maker === this.prev.self || h.signed.has(b.hash)) this.effects.push({ type: "resend_block", block: b });
      h.retransmits++;
      wakes.push(this.now + backoff(h.retransmits));
    } else wakes.push(due);
  }

  private recover(height: bigint, h: HeightState, wakes: number[]): void {
    const notaries = h.notaries;
    if (notaries === undefined) return;
    const aggregator = notaries.aggregators.includes(this.prev.self);
    for (const [k, pool] of h.shares) {
      const kind = k[0] as CertKind;
      const hash = k.slice(2);
      if (pool.size < notaries.threshold || !h.blocks.has(hash)) continue;
      if (kind === "n" ? h.notarized.has(hash) : this.finalizedHeight >= height) continue;
      if ((h.recovering.get(k) ?? -1) >= pool.size) continue;
      const due = (h.readyAt.get(k) ?? this.now) + (aggregator ? 0 : this.params.retransmitMs);
      if (this.now < due) {
        wakes.push(due);
        continue;
      }
      h.recovering.set(k, pool.size);
      this.effects.push({ type: "recover", kind, height, hash, notaries, partials: [...pool].map(([index, signature]) => ({ index, signature })) });
    }
  }
}

/** Applies one event at clock time `now`; returns the next state and the effects to carry out, in order. */
export function step(state: ConsensusState, event: ConsensusEvent, now: number): [ConsensusState, ConsensusEffect[]] {
  const s = new Step(state, now);
  switch (event.type) {
    case "tick":
      break;
    case "beacon":
      s.onBeacon(event.height, event.ranking, event.notaries);
      break;
    case "block":
      s.onBlock(event.from, event.block);
      break;
    case "share":
      s.onShare(event.kind, event.from, event.height, event.hash, event.index, event.signature);
      break;
    case "cert":
      s.onCert(event.kind, event.from, event.height, event.hash, event.signature, event.verified);
      break;
    case "bad_cert":
      s.heights.get(event.height)?.verifying.delete(key(event.kind, event.hash));
      break;
    case "invalid_shares":
      s.onInvalidShares(event.kind, event.height, event.hash, event.indices);
      break;
  }
  s.evaluate();
  return [s.state(), s.effects];
}

/**
 * The blocks of the working height a syncing peer may lack: those this node signed, then the best-ranked, at most
 * WORKING_BLOCKS_SERVED. A node that was down when they were sent learns them only from such an answer.
 */
export function workingBlocks(state: ConsensusState): BlockInfo[] {
  const h = state.heights.get(state.height);
  if (h === undefined) return [];
  const signed = [...h.signed].flatMap((hash) => h.blocks.get(hash) ?? []);
  const rest = [...h.blocks.values()].filter((b) => !h.signed.has(b.hash)).sort((a, b) => a.rank - b.rank || (a.hash < b.hash ? -1 : 1));
  return [...signed, ...rest].slice(0, WORKING_BLOCKS_SERVED);
}

/** The notarized chain this node would serve to a syncing peer: for each height from `from`, its notarized blocks. */
export function notarizedAbove(state: ConsensusState, from: bigint): { block: BlockInfo; notarization: Uint8Array }[] {
  const out: { block: BlockInfo; notarization: Uint8Array }[] = [];
  for (const height of [...state.heights.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (height < from) continue;
    const h = state.heights.get(height);
    for (const [hash, notarization] of h?.notarized ?? []) {
      const block = h?.blocks.get(hash);
      if (block !== undefined) out.push({ block, notarization });
    }
  }
  return out;
}
