// SPDX-License-Identifier: Apache-2.0
/**
 * Runs the pure consensus machine (machine.ts) inside a node: checks what peers send (identity signatures,
 * sizes, share membership) before it becomes an event, carries out the machine's effects (block building
 * from the mempool, threshold signing, recovery and verification with the crypto core, sending), feeds
 * beacons in as they are accepted, and keeps the finalized archive that the Public API reads.
 */
import { hexToBytes, bytesToHex } from "@noble/hashes/utils.js";
import type { GroupSet } from "../beacon/group-set.js";
import type { Clock, Timer } from "../clock.js";
import type { Genesis } from "../config/index.js";
import type { RoundCrypto } from "../crypto/backend/round.js";
import { CryptoError, partialVerify, type SecretShare } from "../crypto/index.js";
import type { Block, Certificate, ConsensusShare, Envelope } from "../gen/relaylab/v1/protocol.js";
import type { Beacon, FinalizedBlock } from "../gen/relaylab/v1/public.js";
import { signWithIdentity, verifyIdentitySignature } from "../identity/index.js";
import { Mempool, messageId } from "../ingress/mempool.js";
import type { Logger } from "../log.js";
import type { DropReason, IngressResult } from "../metrics/names.js";
import type { Metrics } from "../metrics/registry.js";
import type { BeaconStore } from "../store/beacons.js";
import { readSignedHeight, recordSignedHeight } from "../store/guard.js";
import { FinalizedArchive } from "./archive.js";
import { initialState, LOOKAHEAD, notarizedAbove, step, workingBlocks, type ConsensusState } from "./machine.js";
import { blockHash, blockMakerRanking, certMessage, genesisHash, notariesFor, unsignedBlockBytes } from "./ranking.js";
import type { BlockInfo, CertKind, ConsensusEffect, ConsensusEvent, Notaries } from "./types.js";
import { honestConsensus, type ConsensusStrategy } from "./strategy.js";
import { blockPayloadLimit } from "./wire.js";

/** Heights of archived chain one sync answer carries (the peer asks again when it is still behind). */
const SYNC_BATCH = 64n;
/** Payload bytes one sync answer carries at most, well below the transport's per-stream buffer. */
const SYNC_BYTES = 1024 * 1024;
/** Accepted ingress is passed on in batches collected over this long (one envelope instead of hundreds)... */
const GOSSIP_BATCH_MS = 20;
/** ...or as soon as a batch holds this many bytes. */
const GOSSIP_BATCH_BYTES = 128 * 1024;

export interface ConsensusOptions {
  readonly self: number;
  readonly genesis: Genesis;
  readonly identitySecret: Uint8Array;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics | null;
  /** Signs certificate shares, recovers and verifies certificates (created once at node start). */
  readonly crypto: RoundCrypto;
  readonly beacons: BeaconStore;
  /** Where the highest height this node signed at is kept, so a restart never signs twice at one height. */
  readonly dataDir: string;
  readonly send: (to: number, envelope: Envelope) => number;
  /** The registered groups that sign beacon round `round` (undefined while that epoch's DKG runs). */
  readonly groupsFor: (round: bigint) => GroupSet | undefined;
  /** This node's key shares of an epoch's groups, by group index. */
  readonly sharesFor: (epoch: bigint) => ReadonlyMap<number, SecretShare>;
  /** Which block each node receives of this node's proposals. @default honestConsensus */
  readonly strategy?: ConsensusStrategy;
}

/** Outcome of SubmitMessage. */
export type SubmitOutcome = { readonly result: IngressResult; readonly id: string };

export class ConsensusDriver {
  private state: ConsensusState;
  private readonly mempool: Mempool;
  readonly archive = new FinalizedArchive();
  private started = false;
  private fedBeacons = 0n;
  private readonly queue: ConsensusEvent[] = [];
  private running = false;
  private timer: { at: number; handle: Timer } | undefined;
  private readonly syncAskedAt = new Map<number, number>();
  /** Locally submitted messages still waiting for finality: id → submit time (clock ms). */
  private readonly submittedAt = new Map<string, number>();
  private readonly listeners = new Set<(block: FinalizedBlock) => void>();
  /** This node's own shares by kind/height/hash, so retransmissions do not sign again (signing costs a hash-to-curve). */
  private readonly ownShares = new Map<string, { readonly height: bigint; readonly signature: Uint8Array }>();
  private readonly domain: string;
  private readonly identityKeys: Uint8Array[];
  private stopped = false;
  private gossip: { payloads: Uint8Array[]; bytes: number; timer: Timer } | undefined;
  private signedUpTo: bigint;

  constructor(private readonly opts: ConsensusOptions) {
    const { genesis } = opts;
    this.domain = `block/${genesis.subnet}`;
    this.identityKeys = genesis.nodes.map((n) => hexToBytes(n.identityKey));
    this.mempool = new Mempool(genesis.consensus.mempoolCapacity, genesis.consensus.mempoolCapacityBytes);
    // Throws when the guard exists but cannot be read: starting would risk signing a height twice.
    this.signedUpTo = readSignedHeight(opts.dataDir);
    this.state = initialState(
      opts.self,
      genesis.nodes.length,
      { blockMakerDelayMs: genesis.consensus.blockMakerDelayMs, notaryDelayMs: genesis.consensus.notaryDelayMs, retransmitMs: genesis.timings.shareRetransmitMs },
      genesisHash(genesis.seed),
      this.signedUpTo,
    );
    const { threshold, faultBudget, unsafeAllowForks } = genesis.consensus;
    if (unsafeAllowForks && 2 * threshold - genesis.groups.size <= faultBudget) {
      opts.log.warn(
        { event: "consensus_unsafe_threshold", threshold, size: genesis.groups.size, faultBudget },
        "genesis consensus.unsafeAllowForks: this threshold lets faultBudget byzantine notaries finalize two blocks at one height",
      );
    }
  }

  get finalizedHeight(): bigint {
    return this.state.finalizedHeight;
  }

  /** Starts consensus; heights open as their beacons arrive and their groups are registered. */
  start(): void {
    this.started = true;
    this.dispatch({ type: "tick" });
  }

  /** The groups that notarize `height`: the set in force for beacon round height+1, which B(height) selects from. */
  private groupsOfHeight(height: bigint): GroupSet | undefined {
    return this.opts.groupsFor(height + 1n);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.handle.cancel();
    this.gossip?.timer.cancel();
    this.listeners.clear();
  }

  /** A newly accepted beacon (from the engine): may open a height. */
  onBeacon(_beacon: Beacon): void {
    this.dispatch({ type: "tick" });
  }

  /** Calls `listener` for every block finalized from now on; returns an unsubscribe function. */
  subscribe(listener: (block: FinalizedBlock) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Public SubmitMessage: size limit, then the pool; accepted messages are gossiped to every peer. */
  submit(payload: Uint8Array): SubmitOutcome {
    const id = messageId(payload);
    const result = this.admit(payload, id);
    this.opts.metrics?.ingressMessages.inc({ result });
    if (result === "accepted" && !this.submittedAt.has(id) && this.archive.message(id) === undefined) {
      this.submittedAt.set(id, this.opts.clock.now());
      this.passOn(payload);
    }
    return { result, id };
  }

  private passOn(payload: Uint8Array): void {
    this.gossip ??= { payloads: [], bytes: 0, timer: this.opts.clock.setTimeout(() => this.flushGossip(), GOSSIP_BATCH_MS) };
    this.gossip.payloads.push(payload);
    this.gossip.bytes += payload.length;
    if (this.gossip.bytes >= GOSSIP_BATCH_BYTES) this.flushGossip();
  }

  private flushGossip(): void {
    const batch = this.gossip;
    this.gossip = undefined;
    if (batch === undefined || this.stopped) return;
    batch.timer.cancel();
    this.broadcast({ ingress: { payload: new Uint8Array(), payloads: batch.payloads } });
  }

  /** Where message `id` is: finalized (height, time), pending in the pool, or unknown. */
  messageStatus(id: string): { state: "finalized"; height: bigint; atMs: number } | { state: "pending" | "unknown" } {
    const final = this.archive.message(id);
    if (final !== undefined) return { state: "finalized", ...final };
    return { state: this.mempool.has(id) ? "pending" : "unknown" };
  }

  private admit(payload: Uint8Array, id: string): IngressResult {
    if (payload.length === 0 || payload.length > this.opts.genesis.consensus.maxMessageBytes) return payload.length === 0 ? "rejected_invalid" : "rejected_size";
    if (this.archive.message(id) !== undefined) return "accepted";
    return this.mempool.add(id, payload) === "full" ? "rejected_full" : "accepted";
  }

  /** Consensus and ingress envelopes from authenticated peer `from`. Returns false for envelopes of other kinds. */
  onEnvelope(from: number, envelope: Envelope): boolean {
    if (envelope.block) this.onBlock(from, envelope.block);
    else if (envelope.notarizationShare) this.onShare("n", from, envelope.notarizationShare);
    else if (envelope.finalizationShare) this.onShare("f", from, envelope.finalizationShare);
    else if (envelope.notarization) this.onCert("n", from, envelope.notarization);
    else if (envelope.finalization) this.onCert("f", from, envelope.finalization);
    else if (envelope.ingress) for (const payload of [envelope.ingress.payload, ...envelope.ingress.payloads]) this.onIngress(payload);
    else if (envelope.consensusSync) this.serveSync(from, envelope.consensusSync.fromHeight);
    else return false;
    return true;
  }

  private onIngress(payload: Uint8Array): void {
    if (payload.length === 0) return;
    if (payload.length > this.opts.genesis.consensus.maxMessageBytes) return this.drop("oversized");
    const id = messageId(payload);
    if (this.archive.message(id) === undefined) this.mempool.add(id, payload);
  }

  private onBlock(from: number, block: Block): void {
    const info = this.checkBlock(block);
    if (typeof info === "string") return this.drop(info);
    this.dispatch({ type: "block", from, block: info });
  }

  /** Cheap structural checks, then the maker's identity signature. */
  private checkBlock(block: Block): BlockInfo | DropReason {
    const { consensus, nodes } = this.opts.genesis;
    const key = this.identityKeys[block.maker];
    if (key === undefined || block.height < 1n || block.parent.length !== 32 || block.rank >= nodes.length) return "malformed";
    let bytes = 0;
    for (const m of block.payload) {
      if (m.length === 0 || m.length > consensus.maxMessageBytes) return "oversized";
      bytes += m.length;
    }
    if (bytes > blockPayloadLimit(consensus.maxBlockBytes)) return "oversized";
    if (!verifyIdentitySignature(key, this.domain, unsignedBlockBytes(block), block.signature)) return "bad_signature";
    return { hash: blockHash(block), height: block.height, parent: bytesToHex(block.parent), maker: block.maker, rank: block.rank, block };
  }

  private onShare(kind: CertKind, from: number, share: ConsensusShare): void {
    if (share.blockHash.length !== 32 || share.signature.length !== 48) return this.drop("malformed");
    if (share.epoch !== this.groupsOfHeight(share.height)?.epoch) return this.drop("wrong_group");
    this.dispatch({ type: "share", kind, from, height: share.height, hash: bytesToHex(share.blockHash), index: share.index, signature: share.signature });
  }

  private onCert(kind: CertKind, from: number, cert: Certificate): void {
    if (cert.blockHash.length !== 32 || cert.signature.length !== 48) return this.drop("malformed");
    if (cert.epoch !== this.groupsOfHeight(cert.height)?.epoch) return this.drop("wrong_group");
    this.dispatch({ type: "cert", kind, from, height: cert.height, hash: bytesToHex(cert.blockHash), signature: cert.signature, verified: false });
  }

  /** Runs events through the machine until no effect produces another event (never re-entrant). */
  private dispatch(event: ConsensusEvent): void {
    if (this.stopped || !this.started) return;
    this.queue.push(event);
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        const [state, effects] = step(this.state, next, this.opts.clock.now());
        this.state = state;
        for (const effect of effects) this.apply(effect);
        this.castStrategyVotes();
        this.feedBeacons();
      }
    } finally {
      this.running = false;
    }
  }

  /** Signs the shares the strategy adds to the machine's (none for an honest node) at each height this node notarizes. */
  private castStrategyVotes(): void {
    const strategy = this.opts.strategy ?? honestConsensus;
    for (const [height, h] of this.state.heights) {
      const notaries = h.notaries;
      if (notaries === undefined || !notaries.members.includes(this.opts.self)) continue;
      for (const vote of strategy.votes({ height, blocks: [...h.blocks.keys()], notarized: [...h.notarized.keys()] })) {
        if (vote.height !== height || this.ownShares.has(shareKey(vote.kind, height, vote.hash))) continue;
        this.opts.log.warn({ event: "strategy_share", kind: vote.kind, height: Number(height), hash: vote.hash }, "signing a share the protocol did not decide on");
        this.sign(vote.kind, height, vote.hash, notaries, false);
      }
    }
  }

  /** Tells the machine the beacons of the heights it keeps state for, from the verified beacon store. */
  private feedBeacons(): void {
    const { height } = this.state;
    for (let h = this.fedBeacons < height ? height : this.fedBeacons + 1n; h <= height + LOOKAHEAD; h++) {
      const beacon = this.opts.beacons.get(h);
      const groups = this.groupsOfHeight(h);
      const notaries = beacon && groups && notariesFor(beacon.signature, groups, this.opts.genesis.consensus.threshold);
      if (beacon === undefined || notaries === undefined) return;
      this.fedBeacons = h;
      this.queue.push({ type: "beacon", height: h, ranking: blockMakerRanking(beacon.signature, this.opts.genesis.nodes.length), notaries });
    }
  }

  private apply(effect: ConsensusEffect): void {
    switch (effect.type) {
      case "propose":
        return this.propose(effect.height, effect.parent, effect.rank);
      case "resend_block":
        return this.broadcast({ block: effect.block.block });
      case "sign":
        return this.sign(effect.kind, effect.height, effect.hash, effect.notaries, effect.resend);
      case "recover":
        return this.recover(effect);
      case "verify":
        return this.verifyCert(effect.kind, effect.height, effect.hash, effect.notaries, effect.signature);
      case "notarized":
        this.opts.metrics?.notarization.observe(this.sinceProposal(effect.block));
        return;
      case "finalized":
        return this.deliver(effect);
      case "abstain":
        this.opts.metrics?.finalizationAbstentions.inc();
        this.opts.log.info({ event: "finalization_abstained", height: Number(effect.height) }, "signed several blocks at this height (equivocating maker): no finalization share");
        return;
      case "sync":
        return this.askSync(effect.peer, effect.fromHeight);
      case "conflict":
        this.opts.log.error({ event: "finalization_conflict", height: Number(effect.height), hash: effect.hash, finalized: effect.finalized }, "finalization contradicts the finalized chain (more faults than tolerated)");
        return;
      case "wake":
        return this.wakeAt(effect.at);
    }
  }

  private propose(height: bigint, parent: string, rank: number): void {
    const { consensus } = this.opts.genesis;
    const taken = this.mempool.take(blockPayloadLimit(consensus.maxBlockBytes), this.idsAbove(parent, height - 1n));
    const unsigned: Block = { height, parent: hexToBytes(parent), maker: this.opts.self, rank, proposedAtMs: BigInt(this.opts.clock.wallNow()), payload: taken.map((m) => m.payload), signature: new Uint8Array() };
    const block = this.signed(unsigned);
    const info: BlockInfo = { hash: blockHash(block), height, parent, maker: this.opts.self, rank, block };
    this.opts.log.debug({ event: "block_proposed", height: Number(height), rank, messages: taken.length }, "block proposed");
    const proposal = (this.opts.strategy ?? honestConsensus).proposal(block, (other) => this.signed(other));
    for (const node of this.opts.genesis.nodes) this.opts.send(node.index, { block: proposal(node.index) });
    this.queue.push({ type: "block", from: this.opts.self, block: info });
  }

  private signed(block: Block): Block {
    return { ...block, signature: signWithIdentity(this.opts.identitySecret, this.domain, unsignedBlockBytes(block)) };
  }

  /** Ids of messages in the not-yet-final blocks from `parent` (at `height`) down to the finalized block. */
  private idsAbove(parent: string, height: bigint): Set<string> {
    const ids = new Set<string>();
    let cursor = parent;
    for (let h = height; h > this.state.finalizedHeight; h--) {
      const b = this.state.heights.get(h)?.blocks.get(cursor);
      if (b === undefined) break;
      for (const m of b.block.payload) ids.add(messageId(m));
      cursor = b.parent;
    }
    return ids;
  }

  private sign(kind: CertKind, height: bigint, hash: string, notaries: Notaries, resend: boolean): void {
    const share = this.opts.sharesFor(notaries.epoch).get(notaries.group);
    const index = notaries.members.indexOf(this.opts.self) + 1;
    if (share === undefined || index === 0) return;
    if (height > this.signedUpTo) {
      // Recorded before the share leaves: after a crash the machine starts with this as its sign floor.
      try {
        recordSignedHeight(this.opts.dataDir, height);
      } catch (err) {
        this.opts.log.error({ event: "sign_refused", height: Number(height), err: (err as Error).message }, "cannot record the signed height in the double-signing guard: not signing");
        return;
      }
      this.signedUpTo = height;
    }
    const cacheKey = shareKey(kind, height, hash);
    const signature = this.ownShares.get(cacheKey)?.signature ?? this.opts.crypto.partialSign(share, certMessage(kind, height, hash)).signature;
    this.ownShares.set(cacheKey, { height, signature });
    const wire: ConsensusShare = { height, blockHash: hexToBytes(hash), group: notaries.group, epoch: notaries.epoch, index, signature };
    for (const member of notaries.members) this.opts.send(member, kind === "n" ? { notarizationShare: wire } : { finalizationShare: wire });
    if (!resend) this.queue.push({ type: "share", kind, from: this.opts.self, height, hash, index, signature });
  }

  private recover(effect: Extract<ConsensusEffect, { type: "recover" }>): void {
    const { kind, height, hash, notaries, partials } = effect;
    const groups = this.groupsOfHeight(height);
    const groupKey = groups?.epoch === notaries.epoch ? groups.publicKey(notaries.group) : undefined;
    if (groups === undefined || groupKey === undefined) return;
    const message = certMessage(kind, height, hash);
    const memberKey = (i: number): Uint8Array => groups.memberKey(notaries.group, i);
    try {
      const { signature, invalid } = this.opts.crypto.recoverVerified({ groupPublicKey: groupKey, message, partials, threshold: notaries.threshold, publicKeyShare: memberKey });
      if (invalid.length > 0) this.queue.push({ type: "invalid_shares", kind, height, hash, indices: invalid });
      const cert: Certificate = { height, blockHash: hexToBytes(hash), group: notaries.group, epoch: notaries.epoch, signature };
      this.broadcast(kind === "n" ? { notarization: cert } : { finalization: cert });
      this.queue.push({ type: "cert", kind, from: this.opts.self, height, hash, signature, verified: true });
    } catch (err) {
      if (!(err instanceof CryptoError)) throw err;
      // Fewer than t valid shares: name the bad ones so they are never used again, and wait for more.
      const invalid = partials.filter((p) => !safely(() => partialVerify(memberKey(p.index), message, p))).map((p) => p.index);
      this.queue.push({ type: "invalid_shares", kind, height, hash, indices: invalid });
    }
  }

  private verifyCert(kind: CertKind, height: bigint, hash: string, notaries: Notaries, signature: Uint8Array): void {
    const groups = this.groupsOfHeight(height);
    const groupKey = groups?.epoch === notaries.epoch ? groups.publicKey(notaries.group) : undefined;
    if (groupKey !== undefined && safely(() => this.opts.crypto.verify(groupKey, certMessage(kind, height, hash), signature))) {
      this.queue.push({ type: "cert", kind, from: this.opts.self, height, hash, signature, verified: true });
    } else {
      this.drop("bad_signature");
      this.queue.push({ type: "bad_cert", kind, height, hash });
    }
  }

  private deliver(effect: Extract<ConsensusEffect, { type: "finalized" }>): void {
    const { metrics } = this.opts;
    const now = this.opts.clock.now();
    const wall = this.opts.clock.wallNow();
    effect.blocks.forEach((block, i) => {
      const ids = block.block.payload.map((m) => messageId(m));
      const isTop = block.height === effect.finalization.height;
      const notarization = effect.notarizations[i] ?? new Uint8Array();
      const cert = isTop || notarization.length === 0 ? { kind: "f" as const, signature: effect.finalization.signature } : { kind: "n" as const, signature: notarization };
      const summary = this.archive.add({ block, cert }, ids, block.block.payload.reduce((n, m) => n + m.length, 0), wall);
      this.mempool.remove(ids);
      for (const id of ids) {
        const submitted = this.submittedAt.get(id);
        if (submitted === undefined) continue;
        this.submittedAt.delete(id);
        metrics?.ingressLatency.observe((now - submitted) / 1000);
      }
      metrics?.blockFinalization.observe(this.sinceProposal(block));
      for (const listener of this.listeners) listener(summary);
    });
    metrics?.finalizedHeight.set(Number(effect.finalization.height));
    for (const [k, v] of this.ownShares) if (v.height <= effect.finalization.height) this.ownShares.delete(k);
    this.opts.log.info({ event: "block_finalized", height: Number(effect.finalization.height), blocks: effect.blocks.length }, "block finalized");
  }

  private sinceProposal(block: BlockInfo): number {
    return Math.max(0, this.opts.clock.wallNow() - Number(block.block.proposedAtMs)) / 1000;
  }

  /** At most one sync request per peer per retransmit interval. */
  private askSync(peer: number, fromHeight: bigint): void {
    const now = this.opts.clock.now();
    const last = this.syncAskedAt.get(peer);
    if (last !== undefined && now - last < this.opts.genesis.timings.shareRetransmitMs) return;
    this.syncAskedAt.set(peer, now);
    this.opts.send(peer, { consensusSync: { fromHeight } });
  }

  /** Answers a sync request: archived final blocks with their certificates, the notarized blocks above them, then the working height's. */
  private serveSync(peer: number, fromHeight: bigint): void {
    if (fromHeight < 1n) return this.drop("malformed");
    let bytes = 0;
    let height = fromHeight;
    const top = this.archive.finalizedHeight < fromHeight + SYNC_BATCH ? this.archive.finalizedHeight : fromHeight + SYNC_BATCH - 1n;
    for (; height <= top && bytes < SYNC_BYTES; height++) {
      const entry = this.archive.block(height);
      if (entry === undefined) continue;
      bytes += this.opts.send(peer, { block: entry.block.block });
      const cert = this.certificate(entry.block, entry.cert.signature);
      bytes += this.opts.send(peer, entry.cert.kind === "n" ? { notarization: cert } : { finalization: cert });
    }
    if (height <= this.archive.finalizedHeight) return;
    for (const { block, notarization } of notarizedAbove(this.state, this.state.finalizedHeight + 1n)) {
      this.opts.send(peer, { block: block.block });
      this.opts.send(peer, { notarization: this.certificate(block, notarization) });
    }
    for (const block of workingBlocks(this.state)) this.opts.send(peer, { block: block.block });
  }

  private certificate(block: BlockInfo, signature: Uint8Array): Certificate {
    const beacon = this.opts.beacons.get(block.height);
    const groups = this.groupsOfHeight(block.height);
    const notaries = beacon && groups && notariesFor(beacon.signature, groups, this.opts.genesis.consensus.threshold);
    return { height: block.height, blockHash: hexToBytes(block.hash), group: notaries?.group ?? 0, epoch: notaries?.epoch ?? 0n, signature };
  }

  private broadcast(envelope: Envelope): void {
    for (const node of this.opts.genesis.nodes) this.opts.send(node.index, envelope);
  }

  private wakeAt(at: number): void {
    if (this.timer !== undefined && this.timer.at <= at && this.timer.at > this.opts.clock.now()) return;
    this.timer?.handle.cancel();
    const handle = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      this.dispatch({ type: "tick" });
    }, Math.max(0, at - this.opts.clock.now()));
    this.timer = { at, handle };
  }

  private drop(reason: DropReason): void {
    this.opts.metrics?.messagesDropped.inc({ reason });
  }
}

/** Key of one of this node's shares in `ownShares`. */
function shareKey(kind: CertKind, height: bigint, hash: string): string {
  return `${kind}/${height}/${hash}`;
}

function safely(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
