// SPDX-License-Identifier: Apache-2.0
/**
 * Runs the crypto core's DKG for every candidate group this node belongs to, over identity-signed
 * DkgPackets whose deal shares are sealed to their recipient (sealing.ts: packets may be relayed in the clear)
 * under keys made for the run and erased when it ends (sealing-keys.ts),
 * and decides which candidates get registered. Members broadcast their signed outcome (qualified dealers and
 * the group's public polynomial) to every node, and each node checks the group key itself instead of trusting
 * one member. Responses and justifications are relayed once on first sight (echo broadcast, as drand), so
 * evidence shown to one member reaches every member of the run. A run is one epoch's DKG attempt (epochs.ts
 * retries a failed epoch 0 with new candidates): every packet names its epoch and attempt, and the commitment
 * statements bind both, so packets of another run are dropped and its evidence proves nothing here.
 *
 * Registration must be the same on every node, with up to f = g − t byzantine members per group, who may
 * send their outcome to some nodes only, or sign two different outcomes (equivocate) when honest members
 * ended with different views. The rule:
 * - A member that signed two different outcomes for one candidate is an equivocator; both signed packets
 *   are proof, and its votes count for nothing.
 * - Early (before the DKG timeout), a node registers an outcome only when q = g + f − t + 1 = 2(g − t) + 1
 *   members vote for it. Any t-vote outcome another node may register then shares more than f voters with
 *   it, so an honest voter, who votes once, voted for both: they are the same outcome. Early "failed" needs
 *   best + unheard + f < t (no outcome can reach t anywhere, even with equivocators).
 * - At the timeout, a node registers the outcome with the most votes among non-equivocators if it has at
 *   least t (ties: the lowest key), and otherwise none.
 * - Every signed outcome a node holds travels on: an undecided node asks every member for its outcome, and
 *   after half the timeout asks every node; an answer carries all the signed outcomes the answerer holds for
 *   that candidate (and so any proof of equivocation). Outcomes a faulty member showed one node only, and
 *   proofs against it, thus reach every node that is still undecided.
 * Like the DKG's evidence relays, this assumes relayed packets reach every honest node before its timeout;
 * an outcome first shown within a network delay of the timeout may still be registered by some nodes only.
 *
 * The quorum exists only with a majority threshold: q ≤ g exactly when t > g/2. With t ≤ g/2 the g − t faulty
 * members could sign a t-vote outcome by themselves, so no rule makes registration agree on every node; the
 * budget is then taken as 0 and a node registers early on t agreeing votes (and gives up early once no outcome
 * can reach t), as a DKG at that threshold gives no more. Waiting for more votes would only hold the first
 * beacon back until the timeout whenever one member is slow or silent. Genesis accepts such a threshold only with
 * groups.unsafeAllowMinorityThreshold.
 */
import { equalBytes } from "@noble/curves/utils.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, hexToBytes } from "@noble/hashes/utils.js";
import type { Clock, Timer } from "../clock.js";
import { commitmentStatement, Dkg, PUBLIC_KEY_BYTES, type CommitmentGroup, type DkgMessage, type DkgSigner, type SecretShare } from "../crypto/index.js";
import type { Genesis } from "../config/index.js";
import { DkgBody, type DkgDeal, type DkgOutcome, type DkgPacket, type DkgSealingKey, type Envelope } from "../gen/relaylab/v1/protocol.js";
import { signWithIdentity, verifyIdentitySignature } from "../identity/index.js";
import type { Logger } from "../log.js";
import type { DropReason } from "../metrics/names.js";
import type { Metrics } from "../metrics/registry.js";
import type { RegisteredGroup } from "../beacon/group-set.js";
import { openShare, SealError, sealShare, type ShareSealContext } from "./sealing.js";
import { RunSealingKeys } from "./sealing-keys.js";
import { honestDkg, type DkgStrategy } from "./strategy.js";
import { fromBody, toBody, type DealMessage, type DkgRunHeader, type SealedShare } from "./wire.js";

/**
 * Byzantine members a group of `size` with `threshold` is assumed to hold at most: f = g − t with a majority
 * threshold, else 0 (see the header: below a majority the faulty members alone could make a t-vote outcome).
 */
export function faultBudget(size: number, threshold: number): number {
  return 2 * threshold > size ? size - threshold : 0;
}

/**
 * Distinct DKG packets one sender may have processed per epoch attempt (and buffered before it starts, epochs.ts):
 * an honest one sends a sealing key, a deal, a response, a justification and an outcome per candidate group; the
 * rest is slack for re-sealed deals and later justifications.
 */
export function maxPacketsPerSender(candidateGroups: number): number {
  return 5 * candidateGroups + 16;
}

/** What the DKG phase of an epoch produced. */
export interface DkgRegistration {
  readonly groups: RegisteredGroup[];
  /** This node's secret share per registered group index (only where its own run agrees with the registered key). */
  readonly shares: Map<number, SecretShare>;
  /** This node's signed outcome per candidate it was a member of: kept (and persisted) to answer late nodes' requests. */
  readonly outcomes: Map<number, DkgPacket>;
}

export interface DkgDriverOptions {
  readonly self: number;
  readonly genesis: Genesis;
  readonly identitySecret: Uint8Array;
  readonly epoch: bigint;
  /** Which attempt of the epoch's DKG this is (epochs.ts retries epoch 0); packets of other attempts are dropped. @default 0 */
  readonly attempt?: number;
  /** Candidate groups (node indices), as drawn for this epoch and attempt. */
  readonly candidates: readonly (readonly number[])[];
  readonly send: (to: number, envelope: Envelope) => void;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics | null;
  /** The deal sent to each member, and the outcome sent to each node. @default honestDkg */
  readonly strategy?: DkgStrategy;
  /** The crypto backend's G2 arithmetic for the DKG. @default NOBLE_COMMITMENTS */
  readonly commitments?: CommitmentGroup;
  /** This node's sealing secret key for a candidate's run; fresh random keys unless a test must open what it records. */
  readonly sealingSecret?: (candidate: number) => Uint8Array;
}

/** One member's signed outcome for a candidate. */
interface Vote {
  readonly key: string;
  readonly outcome: DkgOutcome;
  readonly packet: DkgPacket;
}

/** Deals kept per dealer while its sealing key is unknown: the deal, and re-sends answering complaints. */
const HELD_DEALS_PER_DEALER = 4;

/** Retransmit intervals a g − f view quorum must hold before a justification phase ends on it (quorumHeld). */
const QUORUM_GRACE_RETRANSMITS = 4;

const outcomeKey = (o: DkgOutcome): string => (o.failed ? "failed" : `${o.qualified.join(",")}|${o.commitments.map(bytesToHex).join("")}`);

interface Run {
  readonly candidate: number;
  readonly members: readonly number[];
  readonly dkg: Dkg;
  readonly signer: DkgSigner;
  /** Every packet this member sent, re-sent until the run ends (peers may start late or lose messages). */
  sent: { to: number; envelope: Envelope; deal?: true }[];
  /** This run's sealing keys: its own, erased when the run ends, and the members' announced ones. */
  readonly sealing: RunSealingKeys;
  /** The deals (as the strategy shows them) for each member, kept to seal once its key is known, or again when it changes. */
  readonly dealsTo: Map<number, DkgMessage[]>;
  /** Deals to this member sealed with a dealer key not (yet) announced here, by dealer node. */
  readonly heldDeals: Map<number, DkgBody[]>;
  phase: string;
  phaseStartedAt: number;
  /** Since when the justification phase could end on g − f matching views (Dkg.settledBy), if it can now. */
  quorumSince: number | undefined;
  readonly startedAt: number;
  finished: boolean;
}

export class DkgDriver {
  private readonly runs = new Map<number, Run>();
  /** candidate → member position → its first signed outcome (key: "failed" or hex of qualified+commitments). */
  private readonly outcomes = new Map<number, Map<number, Vote>>();
  /** candidate → member positions proven to have signed two different outcomes, with the second packet as proof. */
  private readonly equivocations = new Map<number, Map<number, DkgPacket>>();
  private timer: Timer | undefined;
  private deadline: Timer | undefined;
  private readonly identityKeys: Uint8Array[];
  private readonly startedAt: number;
  /** This process's start (wall ms): the generation of its sealing-key announcements, later after a restart. */
  private readonly generation: bigint;
  /** This node's signed outcome per candidate it was a member of, as each node is sent it (re-sent, and sent on request). */
  private readonly ownOutcomes = new Map<number, (node: number) => Envelope>();
  /** Digests of packets already processed: retransmissions are skipped before the signature check. */
  private readonly seen = new Set<string>();
  /** Distinct packets processed per sender: an honest one sends a few per candidate, a faulty one is capped. */
  private readonly seenFrom = new Map<number, number>();
  private tickDelayMs = 0;
  private done = false;
  private resolve: (r: DkgRegistration) => void = () => undefined;
  /** Settles when every candidate is decided or the DKG timeout passes. */
  readonly registration: Promise<DkgRegistration>;

  constructor(private readonly opts: DkgDriverOptions) {
    this.identityKeys = opts.genesis.nodes.map((n) => hexToBytes(n.identityKey));
    this.startedAt = opts.clock.now();
    this.generation = BigInt(opts.clock.wallNow());
    this.registration = new Promise((r) => (this.resolve = r));
  }

  private get threshold(): number {
    return this.opts.genesis.groups.threshold;
  }

  private get attempt(): number {
    return this.opts.attempt ?? 0;
  }

  /** The run a packet of this node's for `group` belongs to. */
  private header(group: number): DkgRunHeader {
    return { epoch: this.opts.epoch, attempt: this.attempt, group, sender: this.opts.self };
  }

  private get domain(): string {
    return `dkg/${this.opts.genesis.subnet}`;
  }

  /**
   * Dealer statements about commitments, signed with the identity key under their own domain and bound to the
   * epoch, attempt and candidate group, so a member can prove what a dealer committed to in this run and no other
   * (a retried epoch 0 may give the same candidate index and member position to the same dealer again).
   */
  private signer(candidate: number, members: readonly number[]): DkgSigner {
    const domain = `dkg-commitments/${this.opts.genesis.subnet}`;
    const session = new Uint8Array(16);
    new DataView(session.buffer).setBigUint64(0, this.opts.epoch);
    new DataView(session.buffer).setUint32(8, this.attempt);
    new DataView(session.buffer).setUint32(12, candidate);
    return {
      sign: (statement) => signWithIdentity(this.opts.identitySecret, domain, concatBytes(session, statement)),
      verify: (member, statement, signature) => {
        const key = this.identityKeys[members[member - 1] ?? -1];
        return key !== undefined && verifyIdentitySignature(key, domain, concatBytes(session, statement), signature);
      },
    };
  }

  start(): void {
    const { candidates, self, clock, genesis } = this.opts;
    candidates.forEach((members, candidate) => {
      const pos = members.indexOf(self);
      if (pos < 0) return;
      const signer = this.signer(candidate, members);
      const dkg = new Dkg({ self: pos + 1, members: members.length, threshold: this.threshold, signer, group: this.opts.commitments });
      const sealing = new RunSealingKeys(this.opts.sealingSecret?.(candidate));
      const run: Run = { candidate, members, dkg, signer, sent: [], sealing, dealsTo: new Map(), heldDeals: new Map(), phase: dkg.phase, phaseStartedAt: clock.now(), quorumSince: undefined, startedAt: clock.now(), finished: false };
      this.runs.set(candidate, run);
      this.opts.log.info({ event: "dkg_started", group: candidate, epoch: Number(this.opts.epoch), attempt: this.attempt, members: members.length }, "DKG started");
      // The key goes first: every deal to a member waits for that member's key.
      const announcement = this.sign({ ...this.header(candidate), sealingKey: { publicKey: sealing.publicKey, generation: this.generation } });
      for (const member of members) {
        if (member === self) continue;
        run.sent.push({ to: member, envelope: announcement });
        this.opts.send(member, announcement);
      }
      this.route(run, dkg.start());
    });
    this.deadline = clock.setTimeout(() => this.finish("timeout"), genesis.timings.dkgTimeoutMs);
    this.schedule(() => this.tick());
    this.maybeFinish();
  }

  stop(): void {
    this.timer?.cancel();
    this.deadline?.cancel();
    this.done = true;
    for (const run of this.runs.values()) run.sealing.erase();
  }

  /** Handles a DkgPacket from any peer (relays are fine: the sender's identity signature authenticates it). */
  receive(packet: DkgPacket): void {
    const drop = (reason: DropReason): void => {
      this.opts.metrics?.messagesDropped.inc({ reason });
    };
    let body: DkgBody;
    try {
      body = DkgBody.decode(packet.body);
    } catch {
      return drop("malformed");
    }
    // Once decided, only outcome requests matter (late nodes still need our outcome to register).
    if (this.done && body.outcomeRequest === undefined) return;
    const digest = bytesToHex(sha256(concatBytes(packet.body, packet.signature)));
    if (this.seen.has(digest)) return;
    const key = this.identityKeys[body.sender];
    if (key === undefined) return drop("unknown_sender");
    if (body.epoch !== this.opts.epoch) return drop("wrong_round");
    if (body.attempt !== this.attempt) return drop("wrong_attempt");
    const members = this.opts.candidates[body.group];
    if (members === undefined) return drop("wrong_group");
    const pos = members.indexOf(body.sender);
    if (pos < 0 && body.outcomeRequest === undefined) return drop("unknown_sender");
    if (!verifyIdentitySignature(key, this.domain, packet.body, packet.signature)) return drop("bad_signature");
    // Requests are re-sent byte for byte (deterministic signatures) and must be answered again if a reply was lost.
    if (body.outcomeRequest) return this.answerRequest(body.group, body.sender);
    const count = this.seenFrom.get(body.sender) ?? 0;
    if (count >= maxPacketsPerSender(this.opts.candidates.length)) return drop("over_quota");
    this.seenFrom.set(body.sender, count + 1);
    this.seen.add(digest);
    if (body.outcome) return this.recordOutcome(body.group, pos, body.outcome, packet);
    const run = this.runs.get(body.group);
    if (body.sealingKey) {
      if (run !== undefined && !run.finished) this.onSealingKey(run, body.sender, body.sealingKey);
      return;
    }
    const from = (body.deal ?? body.response ?? body.justification)?.from;
    if (from === undefined || run === undefined) return;
    if (from !== pos + 1) return drop("bad_signature");
    // Echo broadcast: responses and justifications are relayed once, as signed, so that evidence one member
    // was shown reaches every member (a faulty sender may show different ones to different members).
    if (body.deal === undefined) for (const member of run.members) if (member !== this.opts.self && member !== body.sender) this.opts.send(member, { dkg: packet });
    if (run.finished) return;
    const deal = body.deal;
    if (deal !== undefined && run.members[deal.to - 1] === this.opts.self) {
      // Sealed to a key this run no longer holds (a restart's): the dealer re-seals once it sees the new one.
      if (!equalBytes(deal.recipientKey, run.sealing.publicKey)) return;
      // Sealed with a dealer key not (yet) known here: held until the dealer's announcement of it arrives.
      const dealerKey = run.sealing.keyOf(body.sender);
      if (dealerKey === undefined || !equalBytes(deal.dealerKey, dealerKey)) {
        const held = run.heldDeals.get(body.sender) ?? [];
        if (held.length < HELD_DEALS_PER_DEALER) run.heldDeals.set(body.sender, [...held, body]);
        return;
      }
    }
    this.handle(run, body);
  }

  private handle(run: Run, body: DkgBody): void {
    const message = fromBody(body, (deal) => this.open(run, body.sender, deal));
    if (message !== undefined) this.route(run, run.dkg.receive(message));
  }

  /** A member's sealing key for the run: deals to it go out (sealed again if the key replaced another), and its held deals open. */
  private onSealingKey(run: Run, node: number, announced: DkgSealingKey): void {
    const change = run.sealing.announce(node, announced.publicKey, announced.generation);
    if (change === "invalid") {
      this.opts.metrics?.messagesDropped.inc({ reason: "malformed" });
      return;
    }
    if (change === "stale") return;
    if (change === "changed") run.sent = run.sent.filter((p) => !(p.deal && p.to === node));
    for (const deal of run.dealsTo.get(node) ?? []) this.sendSealed(run, node, deal);
    const held = run.heldDeals.get(node) ?? [];
    const ready = held.filter((body) => body.deal !== undefined && equalBytes(body.deal.dealerKey, announced.publicKey));
    run.heldDeals.set(node, held.filter((body) => !ready.includes(body)));
    for (const body of ready) {
      if (run.finished) break; // the run ended on an earlier one: its keys are erased
      this.handle(run, body);
    }
  }


  private route(run: Run, messages: DkgMessage[]): void {
    for (const message of messages) {
      if (message.type === "deal") {
        const sign = (commitments: readonly Uint8Array[]): Uint8Array => run.signer.sign(commitmentStatement(message.from, commitments));
        this.sendTo(run, run.members[message.to - 1], (this.opts.strategy ?? honestDkg).deal(message, sign));
      } else {
        const sent = message.type === "response" ? (this.opts.strategy ?? honestDkg).response(message, run.members.length) : message;
        for (const member of run.members) if (member !== this.opts.self) this.sendTo(run, member, sent);
      }
    }
    this.checkRun(run);
  }

  private sendTo(run: Run, to: number | undefined, message: DkgMessage): void {
    if (to === undefined) return;
    if (message.type === "deal") {
      run.dealsTo.set(to, [...(run.dealsTo.get(to) ?? []), message]);
      if (run.sealing.has(to)) this.sendSealed(run, to, message);
      return;
    }
    const envelope = this.sign(toBody(this.header(run.candidate), message, () => ({ sealedShare: new Uint8Array(), recipientKey: new Uint8Array(), dealerKey: new Uint8Array() })));
    run.sent.push({ to, envelope });
    this.opts.send(to, envelope);
  }

  /** Sends a deal sealed under the recipient's announced key. */
  private sendSealed(run: Run, to: number, deal: DkgMessage): void {
    const envelope = this.sign(toBody(this.header(run.candidate), deal, (d) => this.seal(run, to, d)));
    run.sent.push({ to, envelope, deal: true });
    this.opts.send(to, envelope);
  }

  /** Seals a deal's share to its recipient node's announced key; empty (the recipient complains) if that key is unusable. */
  private seal(run: Run, recipient: number, deal: DealMessage): SealedShare {
    const keys = { recipientKey: run.sealing.keyOf(recipient) ?? new Uint8Array(), dealerKey: run.sealing.publicKey };
    try {
      return { sealedShare: sealShare(run.sealing.agreement(recipient), this.sealContext(run, this.opts.self, recipient, deal), deal.share), ...keys };
    } catch (error) {
      this.logSealFailure(run, "dkg_share_not_sealed", recipient, error);
      return { sealedShare: new Uint8Array(), ...keys };
    }
  }

  /**
   * The plaintext share of a deal addressed to this node. A share that does not open (a faulty dealer, or keys
   * that do not match) becomes an empty share, which the crypto core treats like any invalid share: this member
   * complains against the dealer, who must justify publicly.
   */
  private open(run: Run, dealer: number, deal: DkgDeal): Uint8Array {
    if (run.members[deal.to - 1] !== this.opts.self) return new Uint8Array(); // not ours: the crypto core ignores it
    try {
      return openShare(run.sealing.agreement(dealer), this.sealContext(run, dealer, this.opts.self, deal), deal.sealedShare);
    } catch (error) {
      this.opts.metrics?.messagesDropped.inc({ reason: "malformed" });
      this.logSealFailure(run, "dkg_share_not_opened", dealer, error);
      return new Uint8Array();
    }
  }

  private sealContext(run: Run, dealerNode: number, recipientNode: number, deal: Pick<DealMessage, "from" | "to" | "commitments">): ShareSealContext {
    const { from, to, commitments } = deal;
    return { subnet: this.opts.genesis.subnet, epoch: this.opts.epoch, group: run.candidate, dealerNode, recipientNode, from, to, commitments };
  }

  /** Logs why a share could not be sealed or opened: the error's code or message, never key or share bytes. */
  private logSealFailure(run: Run, event: string, peer: number, error: unknown): void {
    const reason = error instanceof SealError ? error.code : error instanceof Error ? error.message : "unknown";
    this.opts.log.warn({ event, group: run.candidate, epoch: Number(this.opts.epoch), peer, reason }, "DKG share sealing failed; the member complains against the dealer");
  }

  private sign(body: DkgBody): Envelope {
    const bytes = DkgBody.encode(body).finish();
    return { dkg: { body: bytes, signature: signWithIdentity(this.opts.identitySecret, this.domain, bytes) } };
  }

  /** Notices phase changes and a run's end; on the end, broadcasts the outcome to every node. */
  private checkRun(run: Run): void {
    const { dkg } = run;
    if (dkg.phase !== run.phase) {
      run.phase = dkg.phase;
      run.phaseStartedAt = this.opts.clock.now();
    }
    if (run.finished || (dkg.phase !== "done" && dkg.phase !== "failed")) return;
    run.finished = true;
    // Forward secrecy: once the run is over nothing needs to open or seal a share of it again.
    run.sealing.erase();
    run.dealsTo.clear();
    run.heldDeals.clear();
    const seconds = (this.opts.clock.now() - run.startedAt) / 1000;
    const result = dkg.result;
    const outcome: DkgOutcome = result ? { qualified: result.qualified, commitments: result.commitments, failed: false } : { qualified: [], commitments: [], failed: true };
    this.opts.metrics?.dkgDuration.observe(seconds);
    this.opts.metrics?.dkg.inc({ result: result ? "success" : "failure" });
    this.opts.log.info(
      { event: result ? "dkg_done" : "dkg_failed", group: run.candidate, epoch: Number(this.opts.epoch), seconds, qualified: result?.qualified, reason: dkg.failureReason },
      result ? "DKG finished" : "DKG failed",
    );
    const shown = (this.opts.strategy ?? honestDkg).outcome(outcome, this.header(run.candidate));
    // Each distinct outcome is signed once: the envelopes are re-sent on every tick and request.
    const signed = new Map<string, { outcome: DkgOutcome; envelope: Envelope }>();
    const signedFor = (node: number): { outcome: DkgOutcome; envelope: Envelope } => {
      const sent = shown(node);
      const key = outcomeKey(sent);
      let entry = signed.get(key);
      if (entry === undefined) signed.set(key, (entry = { outcome: sent, envelope: this.sign({ ...this.header(run.candidate), outcome: sent }) }));
      return entry;
    };
    const envelopeFor = (node: number): Envelope => signedFor(node).envelope;
    this.ownOutcomes.set(run.candidate, envelopeFor);
    this.broadcast(envelopeFor);
    const own = signedFor(this.opts.self);
    if (own.envelope.dkg) this.recordOutcome(run.candidate, run.members.indexOf(this.opts.self), own.outcome, own.envelope.dkg);
  }

  /** Sends every other node its envelope. */
  private broadcast(envelopeFor: (node: number) => Envelope): void {
    for (const node of this.opts.genesis.nodes) if (node.index !== this.opts.self) this.opts.send(node.index, envelopeFor(node.index));
  }

  private recordOutcome(candidate: number, pos: number, outcome: DkgOutcome, packet: DkgPacket): void {
    const wellFormed = outcome.failed || (outcome.commitments.length === this.threshold && outcome.commitments.every((c) => c.length === PUBLIC_KEY_BYTES) && outcome.qualified.length >= this.threshold);
    if (!wellFormed) {
      this.opts.metrics?.messagesDropped.inc({ reason: "malformed" });
      return;
    }
    const key = outcomeKey(outcome);
    let byMember = this.outcomes.get(candidate);
    if (byMember === undefined) {
      byMember = new Map<number, Vote>();
      this.outcomes.set(candidate, byMember);
    }
    const earlier = byMember.get(pos);
    if (earlier === undefined) byMember.set(pos, { key, outcome, packet });
    else if (earlier.key !== key && this.equivocations.get(candidate)?.has(pos) !== true) {
      let proven = this.equivocations.get(candidate);
      if (proven === undefined) this.equivocations.set(candidate, (proven = new Map<number, DkgPacket>()));
      proven.set(pos, packet);
      this.opts.log.warn({ event: "dkg_outcome_equivocation", group: candidate, epoch: Number(this.opts.epoch), member: this.opts.candidates[candidate]?.[pos] }, "a member signed two different DKG outcomes; its votes no longer count");
    }
    this.maybeFinish();
  }

  /**
   * The registration decision for a candidate (see the header): an outcome, "failed", or undefined while it can
   * still change. `final` is the decision at the DKG timeout.
   */
  private decision(candidate: number, final = false): DkgOutcome | "failed" | undefined {
    const size = this.opts.candidates[candidate]?.length ?? 0;
    const byMember = this.outcomes.get(candidate) ?? new Map<number, Vote>();
    const equivocators = this.equivocations.get(candidate);
    const tally = new Map<string, { votes: number; outcome: DkgOutcome }>();
    for (const [pos, { key, outcome }] of byMember) {
      if (equivocators?.has(pos) === true || key === "failed") continue;
      tally.set(key, { votes: (tally.get(key)?.votes ?? 0) + 1, outcome });
    }
    const ranked = [...tally].sort(([ka, a], [kb, b]) => b.votes - a.votes || (ka < kb ? -1 : 1));
    const best = ranked[0]?.[1];
    const f = faultBudget(size, this.threshold);
    if (final) return best !== undefined && best.votes >= this.threshold ? best.outcome : "failed";
    // q = 2f + 1, which is 2(g − t) + 1 with a majority threshold; never below t, which the DKG itself needs.
    if (best !== undefined && best.votes >= Math.max(this.threshold, 2 * f + 1)) return best.outcome;
    return (best?.votes ?? 0) + (size - byMember.size) + f < this.threshold ? "failed" : undefined;
  }

  private maybeFinish(): void {
    if (this.done) return;
    if (this.opts.candidates.every((_, c) => this.decision(c) !== undefined)) this.finish("complete");
  }

  private finish(why: "complete" | "timeout"): void {
    if (this.done) return;
    const groups: RegisteredGroup[] = [];
    const shares = new Map<number, SecretShare>();
    this.opts.candidates.forEach((members, candidate) => {
      const decided = this.decision(candidate, why === "timeout");
      if (decided === undefined || decided === "failed") {
        const run = this.runs.get(candidate);
        if (run && !run.finished) this.opts.metrics?.dkg.inc({ result: "timeout" });
        this.opts.log.warn({ event: "group_not_registered", group: candidate, epoch: Number(this.opts.epoch), why: decided ?? "timeout" }, "group not registered");
        return;
      }
      const index = groups.length;
      groups.push({ index, candidate, members: [...members], threshold: this.threshold, commitments: decided.commitments });
      const result = this.runs.get(candidate)?.dkg.result;
      if (result && bytesToHex(result.groupPublicKey) === bytesToHex(decided.commitments[0] ?? new Uint8Array())) shares.set(index, result.secretShare);
    });
    this.opts.log.info({ event: "groups_registered", epoch: Number(this.opts.epoch), attempt: this.attempt, why, registered: groups.map((g) => g.candidate) }, "groups registered");
    // Keep re-sending our outcomes a little longer: peers that started late still need them to register.
    const resendUntil = this.startedAt + this.opts.genesis.timings.dkgTimeoutMs;
    this.stop();
    // Decided: the runs' state and retransmission lists and the replay digests are no longer needed.
    this.runs.clear();
    this.seen.clear();
    this.seenFrom.clear();
    this.lingerOutcomes(resendUntil, this.retransmitMs());
    const outcomes = new Map<number, DkgPacket>();
    for (const [candidate, envelopeFor] of this.ownOutcomes) {
      const own = envelopeFor(this.opts.self).dkg;
      if (own) outcomes.set(candidate, own);
    }
    this.resolve({ groups, shares, outcomes });
  }

  /** Re-broadcasts our outcomes with exponential backoff until the DKG deadline. */
  private lingerOutcomes(until: number, delayMs: number): void {
    if (this.opts.clock.now() >= until || this.ownOutcomes.size === 0) return;
    this.timer = this.opts.clock.setTimeout(() => {
      for (const e of this.ownOutcomes.values()) this.broadcast(e);
      this.lingerOutcomes(until, delayMs * 2);
    }, delayMs);
  }

  private retransmitMs(): number {
    return Math.max(250, this.opts.genesis.timings.shareRetransmitMs);
  }

  /** Periodic work: re-send this node's packets of unfinished runs, advance phases that timed out. */
  private tick(): void {
    if (this.done) return;
    // Generous: phases normally end by themselves (fast sync); the timeout only excludes silent members,
    // and members that time out at different moments may end with different qualified sets.
    const phaseTimeout = this.opts.genesis.timings.dkgTimeoutMs / 3;
    for (const run of this.runs.values()) {
      if (run.finished) continue;
      if (this.opts.clock.now() - run.phaseStartedAt > phaseTimeout || this.quorumHeld(run)) this.route(run, run.dkg.advance());
      else for (const { to, envelope } of run.sent) this.opts.send(to, envelope);
    }
    for (const e of this.ownOutcomes.values()) this.broadcast(e);
    this.requestOutcomes();
    this.schedule(() => this.tick());
  }

  /**
   * Whether `run`'s justification phase may end before its timeout although some member reported a view of its
   * own: g − f members, as many as are honest, reported this member's view and every complaint is answered, and
   * that has held for QUORUM_GRACE_RETRANSMITS retransmit intervals, time for relayed evidence (which goes on at
   * first sight) to reach every member. Without it one faulty member's divergent view, or false complaints,
   * hold every run it is in to the phase timeout. Evidence shown only after that may split the group, as
   * evidence shown after every view matched can (crypto/dkg.ts); registration keeps such a split from forking.
   */
  private quorumHeld(run: Run): boolean {
    const quorum = run.members.length - faultBudget(run.members.length, this.threshold);
    if (!run.dkg.settledBy(quorum)) {
      run.quorumSince = undefined;
      return false;
    }
    const now = this.opts.clock.now();
    run.quorumSince ??= now;
    return now - run.quorumSince >= QUORUM_GRACE_RETRANSMITS * this.retransmitMs();
  }

  /**
   * Asks the members of every undecided candidate for their outcome (covers late starters and missed
   * broadcasts); after half the timeout, every node, since outcomes a faulty member showed one node only may
   * be held by non-members.
   */
  private requestOutcomes(): void {
    const everyone = this.opts.clock.now() - this.startedAt >= this.opts.genesis.timings.dkgTimeoutMs / 2;
    this.opts.candidates.forEach((members, candidate) => {
      if (this.decision(candidate) !== undefined) return;
      const have = this.outcomes.get(candidate);
      const request = this.sign({ ...this.header(candidate), outcomeRequest: {} });
      if (everyone) {
        for (const node of this.opts.genesis.nodes) if (node.index !== this.opts.self) this.opts.send(node.index, request);
        return;
      }
      members.forEach((member, pos) => {
        if (member !== this.opts.self && have?.has(pos) !== true) this.opts.send(member, request);
      });
    });
  }

  /** Answers with every signed outcome held for the candidate (this node's own, others', and proofs of equivocation). */
  private answerRequest(candidate: number, requester: number): void {
    if (requester === this.opts.self) return;
    const own = this.ownOutcomes.get(candidate)?.(requester);
    if (own !== undefined) this.opts.send(requester, own);
    for (const vote of this.outcomes.get(candidate)?.values() ?? []) if (vote.packet !== own?.dkg) this.opts.send(requester, { dkg: vote.packet });
    for (const proof of this.equivocations.get(candidate)?.values() ?? []) this.opts.send(requester, { dkg: proof });
  }

  /** Schedules the next tick with exponential backoff (retransmit interval … 8× it). */
  private schedule(fn: () => void): void {
    this.tickDelayMs = Math.min(8 * this.retransmitMs(), this.tickDelayMs === 0 ? this.retransmitMs() : 2 * this.tickDelayMs);
    this.timer = this.opts.clock.setTimeout(fn, this.tickDelayMs);
  }
}
