// SPDX-License-Identifier: Apache-2.0
/**
 * A deterministic, in-memory network of consensus machines (machine.ts) for adversarial tests: a discrete-event
 * clock, fixed link latencies (slow between honest even- and odd-numbered nodes, fast to and from byzantine ones:
 * the network the attack below needs), and stand-in cryptography in which a certificate is the list of its signers, so a
 * certificate is accepted exactly when it names at least the notaries' threshold of distinct members (what the
 * node's multi-signature certificates prove). Byzantine nodes run the same machine with the driver-level faults
 * of the node: an equivocating block maker sends one block to even-numbered and another to odd-numbered nodes,
 * and an equivocating notary signs notarization and finalization shares for every block it sees; either tells each
 * side only about the block that side was shown (its shares, certificates, re-sent blocks and sync answers).
 */
import { initialState, notarizedAbove, step, type ConsensusState } from "../../src/consensus/machine.js";
import type { BlockHash, BlockInfo, CertKind, ConsensusEffect, ConsensusEvent, Notaries } from "../../src/consensus/types.js";

export const SIM_PARAMS = { blockMakerDelayMs: 100, notaryDelayMs: 20, retransmitMs: 500 };
const LATENCY_MS = 5;
/** Between honest nodes of different parity: longer than a height takes within one side, shorter than the block-maker delay. */
const CROSS_LATENCY_MS = 50;
const GENESIS = "00".repeat(32);

export interface SimOptions {
  readonly nodes: number;
  /** Notarization and finalization threshold. */
  readonly threshold: number;
  /** Nodes that equivocate as block makers and as notaries. */
  readonly byzantine: readonly number[];
  readonly heights: number;
}

interface Pending {
  readonly at: number;
  readonly node: number;
  readonly event: ConsensusEvent;
}

const encodeSigners = (signers: readonly number[]): Uint8Array => Uint8Array.from([...signers].sort((a, b) => a - b));

export class Simulation {
  readonly states = new Map<number, ConsensusState>();
  /** Per node: finalized block hash by height. */
  readonly finalized = new Map<number, Map<bigint, BlockHash>>();
  readonly conflicts: { node: number; height: bigint }[] = [];
  #queue: Pending[] = [];
  #serial = 0;
  /** Equivocated blocks: the parity of the nodes each was sent to. */
  readonly #side = new Map<BlockHash, number>();
  now = 0;
  readonly notaries: Notaries;

  constructor(readonly opts: SimOptions) {
    const members = Array.from({ length: opts.nodes }, (_, i) => i);
    // The byzantine node aggregates first: it recovers every certificate it can, as soon as it can.
    const aggregators = [...opts.byzantine, ...members.filter((m) => !opts.byzantine.includes(m))].slice(0, 2);
    this.notaries = { group: 0, epoch: 0n, members, threshold: opts.threshold, aggregators };
    for (const i of members) {
      this.states.set(i, initialState(i, opts.nodes, SIM_PARAMS, GENESIS));
      this.finalized.set(i, new Map());
      // Height h ranks node (h − 1) mod n first, so every byzantine node makes the first block of some heights.
      for (let h = 1; h <= opts.heights + 1; h++) {
        const ranking = members.map((_, k) => (h - 1 + k) % opts.nodes);
        this.#push(0, i, { type: "beacon", height: BigInt(h), ranking, notaries: this.notaries });
      }
    }
  }

  /** Keeps the queue ordered by time; events of one time stay in sending order. */
  #push(at: number, node: number, event: ConsensusEvent): void {
    let lo = 0;
    let hi = this.#queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#queue[mid]?.at ?? 0) <= at) lo = mid + 1;
      else hi = mid;
    }
    this.#queue.splice(lo, 0, { at, node, event });
  }

  #send(from: number, to: number, event: ConsensusEvent): void {
    // A byzantine node tells each side only about the block it showed that side.
    const hash = event.type === "block" ? event.block.hash : event.type === "share" || event.type === "cert" ? event.hash : undefined;
    const side = hash === undefined ? undefined : this.#side.get(hash);
    if (this.#byzantine(from) && from !== to && side !== undefined && to % 2 !== side) return;
    const cross = from % 2 !== to % 2 && !this.#byzantine(from) && !this.#byzantine(to);
    this.#push(this.now + (from === to ? 0 : cross ? CROSS_LATENCY_MS : LATENCY_MS), to, event);
  }

  #broadcast(from: number, event: ConsensusEvent): void {
    for (const to of this.notaries.members) this.#send(from, to, event);
  }

  /** Runs until the clock passes `untilMs` or nothing is left to do. */
  run(untilMs: number): void {
    for (;;) {
      const next = this.#queue.shift();
      if (next === undefined || next.at > untilMs) return;
      this.now = next.at;
      const state = this.states.get(next.node);
      if (state === undefined) continue;
      const [after, effects] = step(state, next.event, this.now);
      this.states.set(next.node, after);
      for (const effect of effects) this.#apply(next.node, effect);
    }
  }

  #byzantine(node: number): boolean {
    return this.opts.byzantine.includes(node);
  }

  #block(maker: number, height: bigint, parent: BlockHash, rank: number): BlockInfo {
    const hash = (++this.#serial).toString(16).padStart(64, "0");
    return { hash, height, parent, maker, rank, block: { height, parent: new Uint8Array(32), maker, rank, proposedAtMs: 0n, payload: [], signature: new Uint8Array() } };
  }

  #share(node: number, kind: CertKind, height: bigint, hash: BlockHash): void {
    const index = this.notaries.members.indexOf(node) + 1;
    for (const to of this.notaries.members) this.#send(node, to, { type: "share", kind, from: node, height, hash, index, signature: Uint8Array.of(node) });
  }

  #apply(node: number, effect: ConsensusEffect): void {
    switch (effect.type) {
      case "propose": {
        const block = this.#block(node, effect.height, effect.parent, effect.rank);
        if (!this.#byzantine(node)) return this.#broadcast(node, { type: "block", from: node, block });
        const rival = this.#block(node, effect.height, effect.parent, effect.rank);
        this.#side.set(block.hash, 0);
        this.#side.set(rival.hash, 1);
        for (const to of this.notaries.members) {
          // The equivocating maker keeps both blocks, so that as a notary it signs both.
          if (to === node) for (const b of [block, rival]) this.#send(node, to, { type: "block", from: node, block: b });
          else this.#send(node, to, { type: "block", from: node, block: to % 2 === 0 ? block : rival });
        }
        return;
      }
      case "resend_block":
        return this.#broadcast(node, { type: "block", from: node, block: effect.block });
      case "sign":
        return this.#share(node, effect.kind, effect.height, effect.hash);
      case "recover": {
        const signers = effect.partials.map((p) => this.notaries.members[p.index - 1] ?? -1);
        const signature = encodeSigners(signers);
        this.#send(node, node, { type: "cert", kind: effect.kind, from: node, height: effect.height, hash: effect.hash, signature, verified: true });
        for (const to of this.notaries.members) if (to !== node) this.#send(node, to, { type: "cert", kind: effect.kind, from: node, height: effect.height, hash: effect.hash, signature, verified: false });
        return;
      }
      case "verify": {
        const signers = new Set(effect.signature);
        const ok = signers.size >= effect.notaries.threshold && [...signers].every((s) => effect.notaries.members.includes(s));
        const { kind, height, hash } = effect;
        return this.#send(node, node, ok ? { type: "cert", kind, from: node, height, hash, signature: effect.signature, verified: true } : { type: "bad_cert", kind, height, hash });
      }
      case "notarized":
        // An equivocating notary vouches for every notarized block it signed (the machine never would).
        if (this.#byzantine(node)) this.#share(node, "f", effect.block.height, effect.block.hash);
        return;
      case "finalized": {
        const mine = this.finalized.get(node);
        for (const b of effect.blocks) mine?.set(b.height, b.hash);
        return;
      }
      case "sync":
        return this.#serveSync(effect.peer, node, effect.fromHeight);
      case "conflict":
        this.conflicts.push({ node, height: effect.height });
        return;
      case "wake":
        return this.#push(effect.at, node, { type: "tick" });
    }
  }

  /** What the driver's sync answer carries: the peer's notarized blocks with their certificates. */
  #serveSync(peer: number, to: number, from: bigint): void {
    const state = this.states.get(peer);
    if (state === undefined) return;
    for (const { block, notarization } of notarizedAbove(state, from)) {
      this.#send(peer, to, { type: "block", from: peer, block });
      this.#send(peer, to, { type: "cert", kind: "n", from: peer, height: block.height, hash: block.hash, signature: notarization, verified: false });
    }
  }

  /** Heights at which two honest nodes finalized different blocks. */
  forks(): bigint[] {
    const seen = new Map<bigint, BlockHash>();
    const forks = new Set<bigint>();
    for (const [node, blocks] of this.finalized) {
      if (this.#byzantine(node)) continue;
      for (const [height, hash] of blocks) {
        const other = seen.get(height);
        if (other === undefined) seen.set(height, hash);
        else if (other !== hash) forks.add(height);
      }
    }
    return [...forks].sort((a, b) => (a < b ? -1 : 1));
  }

  /** Lowest finalized height among honest nodes. */
  honestFinalizedHeight(): bigint {
    let min: bigint | undefined;
    for (const [node, state] of this.states) if (!this.#byzantine(node) && (min === undefined || state.finalizedHeight < min)) min = state.finalizedHeight;
    return min ?? 0n;
  }
}
