// SPDX-License-Identifier: Apache-2.0
/**
 * Joint-Feldman distributed key generation (Pedersen 1991; as analysed by Gennaro, Jarecki, Krawczyk, Rabin,
 * J. Cryptology 2007) with complaints and justifications, shaped like drand/kyber `share/dkg`, as a pure state
 * machine: messages in → messages out, no timers, no I/O.
 *
 * Phases (members 1..g, threshold t):
 * 1. deal: every member deals a random degree t−1 polynomial: Feldman commitments, the dealer's signature over
 *    their digest, plus a private share to each member. A received share is checked against the commitments.
 * 2. response (broadcast): for every dealer, the dealer-signed digest of the commitments received (two
 *    different ones prove equivocation, i.e. different commitments to different members) and complaints against
 *    dealers whose deal was missing or invalid. A digest without the dealer's valid signature is ignored, so a
 *    lying member cannot cast doubt on an honest dealer.
 * 3. justification (broadcast, from every member): a dealer with complaints reveals the complainers' shares and
 *    re-sends the deal privately to each complainer, who may never have received the commitments; every member
 *    reports its view (the digest of the evidence it holds).
 * Responses are not agreed on: a faulty member may send different ones to different members. The transport
 * relays every broadcast on first sight, and evidence is pooled: all responses of a member count (their signed
 * digests and complaints) until this member finishes, and a complaint that arrives late is answered by a further
 * justification. A dealer is qualified iff exactly one signed digest is known for it, at least t members report
 * it, and every complaint against it is answered by a share that verifies against its commitments. A member
 * ends early (fast sync) when every responding member reported the view it holds itself and every complaint is
 * answered, or when its caller accepts a quorum of matching views (settledBy: dkg/driver.ts holds g − f of them
 * for a few relay intervals, so one member reporting a view of its own holds no one up); otherwise it waits for
 * the phase timeout, by which time relays have brought every honest member's evidence to all. Then honest members compute the same qualified set and the same group key
 * Σ_{d∈Q} A_{d,0}; each member's share is Σ_{d∈Q} f_d(self). Both paths assume that a relay reaches every
 * honest member before it ends: evidence a faulty member shows one honest member only after the views matched,
 * or just before that member's deadline, may still split the group (an agreement round on the evidence, or
 * Dolev–Strong signature chains, would close this). With a majority threshold, registration (dkg/driver.ts) keeps
 * such a split from forking the subnet: every node registers the same one outcome or none, and a member whose own
 * result differs from the registered key holds no share for it.
 * Limitation of the message contract: commitments travel only in private deals, so a qualified dealer that
 * withholds them from a complainer (while answering the complaint publicly) makes that one member fail
 * ("never received its commitments"); carrying the commitments in the justification would close this.
 *
 * Fast sync (as drand): a phase ends as soon as every expected message has arrived; advance() ends it on the
 * caller's timeout with whatever arrived. Messages from a later phase are kept for when it starts; deals of an
 * earlier phase (other than a re-sent deal answering this member's complaint), duplicates and malformed messages
 * are ignored.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { CryptoError } from "./errors.js";
import { NOBLE_COMMITMENTS, type CommitmentGroup, type CommitmentPoint } from "./commitments.js";
import { decodeScalar, encodeScalar } from "./points.js";
import { assertIndex, assertThreshold, evaluatePolynomial, randomPolynomial } from "./poly.js";
import { Fr } from "./scheme.js";
import type { SecretShare } from "./tbls.js";

/** Domain of the statement a dealer signs about its commitments (the signer adds the session: epoch, group). */
const COMMITMENT_STATEMENT_DST = utf8ToBytes("relaylab/dkg/commitments/v1");

/**
 * Signatures by the members' long-term keys, bound by the caller to this DKG session (epoch, group): the core
 * signs and checks only the statements a dealer makes about its commitments.
 */
export interface DkgSigner {
  sign(statement: Uint8Array): Uint8Array;
  /** False for any invalid or malformed signature. */
  verify(member: number, statement: Uint8Array, signature: Uint8Array): boolean;
}

/** A DKG protocol message. Messages with `to` are private to that member; the others are broadcast to all. */
export type DkgMessage =
  | { type: "deal"; from: number; to: number; commitments: Uint8Array[]; digestSignature: Uint8Array; share: Uint8Array }
  | { type: "response"; from: number; commitmentDigests: { dealer: number; digest: Uint8Array; signature: Uint8Array }[]; complaints: number[] }
  | { type: "justification"; from: number; shares: { to: number; share: Uint8Array }[]; view: Uint8Array };

/** What a member ends a successful DKG with. */
export interface DkgResult {
  groupPublicKey: Uint8Array;
  secretShare: SecretShare;
  /** [i-1] = member i's public key share. */
  publicKeyShares: Uint8Array[];
  /** The group's public polynomial: the sum of the qualified dealers' commitments. */
  commitments: Uint8Array[];
  /** Dealer indices whose contributions were used, ascending. */
  qualified: number[];
}

/** Where the state machine is. */
export type DkgPhase = "deal" | "response" | "justification" | "done" | "failed";

/** Who this member is in a DKG among `members` members with the given threshold. */
export interface DkgConfig {
  self: number;
  members: number;
  threshold: number;
  signer: DkgSigner;
  /** The backend's G2 arithmetic for the commitments. @default NOBLE_COMMITMENTS */
  group?: CommitmentGroup | undefined;
}

interface ReceivedDeal {
  readonly commitments: readonly CommitmentPoint[] | undefined; // undefined: malformed or not signed by the dealer
  readonly digest: string | undefined;
  readonly signature: Uint8Array | undefined;
  readonly share: bigint | undefined; // undefined: share missing, malformed or not matching the commitments
}

/** The statement a dealer signs: its index and the digest of its encoded commitments. */
export function commitmentStatement(dealer: number, commitments: readonly Uint8Array[]): Uint8Array {
  return statementOf(dealer, hexBytes(digestOf(commitments)));
}

/** One member's side of a Joint-Feldman DKG. */
export class Dkg {
  readonly #self: number;
  readonly #members: number;
  readonly #threshold: number;
  readonly #polynomial: readonly bigint[];
  readonly #commitmentBytes: Uint8Array[];
  readonly #digestSignature: Uint8Array;
  readonly #signer: DkgSigner;
  readonly #group: CommitmentGroup;
  readonly #deals = new Map<number, ReceivedDeal>();
  /** Pooled evidence from every response seen: dealer → dealer-signed digest → members reporting it. */
  readonly #digests = new Map<number, Map<string, Set<number>>>();
  /** Pooled evidence: dealer → members complaining against it. */
  readonly #complaints = new Map<number, Set<number>>();
  /** Members with at least one response seen, and the distinct responses seen (by content). */
  readonly #respondents = new Set<number>();
  readonly #responsesSeen = new Set<string>();
  /** Dealer-signed digests already verified ("dealer:digest:signature"): every response repeats them. */
  readonly #verified = new Set<string>();
  /** dealer → complainer → every share the dealer revealed for it (a faulty dealer may reveal several). */
  readonly #justified = new Map<number, Map<number, bigint[]>>();
  /** member → the views it reported. */
  readonly #views = new Map<number, Set<string>>();
  /** Complainers this member, as a dealer, has answered. */
  readonly #answered = new Set<number>();
  #phase: DkgPhase = "deal";
  #started = false;
  #result: DkgResult | undefined;
  #failureReason: string | undefined;

  constructor(config: DkgConfig) {
    assertThreshold(config.threshold);
    assertIndex(config.members);
    if (config.members < config.threshold) {
      throw new CryptoError("invalid_argument", `members (${config.members}) must be at least the threshold (${config.threshold})`);
    }
    assertIndex(config.self);
    if (config.self > config.members) throw new CryptoError("invalid_index", `self (${config.self}) must be in [1, ${config.members}]`);
    this.#self = config.self;
    this.#members = config.members;
    this.#threshold = config.threshold;
    this.#signer = config.signer;
    this.#group = config.group ?? NOBLE_COMMITMENTS;
    this.#polynomial = randomPolynomial(config.threshold);
    const commitments = this.#group.commit(this.#polynomial);
    this.#commitmentBytes = commitments.map((c) => this.#group.encode(c));
    this.#digestSignature = config.signer.sign(commitmentStatement(this.#self, this.#commitmentBytes));
    this.#deals.set(this.#self, {
      commitments,
      digest: digestOf(this.#commitmentBytes),
      signature: this.#digestSignature,
      share: evaluatePolynomial(this.#polynomial, BigInt(this.#self)),
    });
  }

  get phase(): DkgPhase {
    return this.#phase;
  }

  get result(): DkgResult | undefined {
    return this.#result;
  }

  get failureReason(): string | undefined {
    return this.#failureReason;
  }

  /** This member's deals, one private message per other member. Call once. */
  start(): DkgMessage[] {
    if (this.#started) return [];
    this.#started = true;
    const out: DkgMessage[] = this.#others().map((to) => this.#dealFor(to));
    return [...out, ...this.#progress()];
  }

  /** Takes one message from the network; returns the messages to send in reaction (possibly none). */
  receive(message: DkgMessage): DkgMessage[] {
    if (this.#phase === "done" || this.#phase === "failed" || !this.#isMember(message.from) || message.from === this.#self) return [];
    switch (message.type) {
      case "deal":
        this.#onDeal(message);
        break;
      case "response":
        this.#onResponse(message.from, message);
        break;
      case "justification":
        this.#onJustification(message);
        break;
    }
    return this.#started ? this.#progress() : [];
  }

  /** Phase timeout: ends the current phase with whatever has arrived. */
  advance(): DkgMessage[] {
    if (!this.#started) return [];
    switch (this.#phase) {
      case "deal":
        return this.#endDealPhase();
      case "response":
        return this.#endResponsePhase();
      case "justification":
        this.#finish();
        return [];
      default:
        return [];
    }
  }

  #dealFor(to: number): DkgMessage {
    return {
      type: "deal",
      from: this.#self,
      to,
      commitments: this.#commitmentBytes.map((c) => Uint8Array.from(c)),
      digestSignature: Uint8Array.from(this.#digestSignature),
      share: encodeScalar(evaluatePolynomial(this.#polynomial, BigInt(to))),
    };
  }

  #others(): number[] {
    return Array.from({ length: this.#members }, (_, i) => i + 1).filter((i) => i !== this.#self);
  }

  #isMember(index: unknown): index is number {
    return typeof index === "number" && Number.isSafeInteger(index) && index >= 1 && index <= this.#members;
  }

  #onDeal(message: Extract<DkgMessage, { type: "deal" }>): void {
    if (message.to !== this.#self) return;
    // A deal re-sent with a justification answers this member's own complaint; it may overtake other responses.
    const lateResend = this.#phase !== "deal" && this.#complaints.get(message.from)?.has(this.#self) === true;
    if (this.#phase !== "deal" && !lateResend) return;
    const previous = this.#deals.get(message.from);
    if (previous !== undefined && !lateResend) return;
    if (lateResend && previous?.share !== undefined) return;
    const received = this.#checkDeal(message);
    if (lateResend && previous?.commitments !== undefined && previous.digest !== received.digest) {
      // This member reported the commitments it holds, and everyone judges the dealer against the reported
      // ones: a re-send under other commitments may bring only a share that matches the ones held.
      const share = this.#validShare(message.share, previous.commitments, this.#self);
      if (share !== undefined) this.#deals.set(message.from, { ...previous, share });
      return;
    }
    this.#deals.set(message.from, received);
  }

  #checkDeal(message: Extract<DkgMessage, { type: "deal" }>): ReceivedDeal {
    const invalid = { commitments: undefined, digest: undefined, signature: undefined, share: undefined };
    const commitments = this.#decodeCommitments(message.commitments);
    if (commitments === undefined) return invalid;
    const digest = digestOf(message.commitments);
    if (!this.#signedBy(message.from, digest, message.digestSignature)) return invalid;
    return { commitments, digest, signature: message.digestSignature, share: this.#validShare(message.share, commitments, this.#self) };
  }

  /** Whether `signature` is `dealer`'s over `digest`; each distinct triple is verified once. */
  #signedBy(dealer: number, digest: string, signature: unknown): boolean {
    if (!(signature instanceof Uint8Array)) return false;
    const key = `${dealer}:${digest}:${bytesToHex(signature)}`;
    if (this.#verified.has(key)) return true;
    if (!this.#signer.verify(dealer, statementOf(dealer, hexBytes(digest)), signature)) return false;
    this.#verified.add(key);
    return true;
  }

  /** Pools the evidence of a response; every distinct response of a member counts, until this member finishes. */
  #onResponse(from: number, message: Extract<DkgMessage, { type: "response" }>): void {
    const digests: [number, string][] = [];
    for (const entry of Array.isArray(message.commitmentDigests) ? message.commitmentDigests : []) {
      if (!this.#isMember(entry.dealer) || !(entry.digest instanceof Uint8Array) || entry.digest.length !== 32) continue;
      const digest = bytesToHex(entry.digest);
      if (this.#signedBy(entry.dealer, digest, entry.signature)) digests.push([entry.dealer, digest]);
    }
    const complaints = (Array.isArray(message.complaints) ? message.complaints : []).filter((d) => this.#isMember(d));
    const key = `${from}|${digests.map(([d, h]) => `${d}:${h}`).sort().join(",")}|${[...new Set(complaints)].sort((a, b) => a - b).join(",")}`;
    if (this.#responsesSeen.has(key)) return;
    this.#responsesSeen.add(key);
    this.#respondents.add(from);
    for (const [dealer, digest] of digests) {
      const byDigest = this.#digests.get(dealer) ?? new Map<string, Set<number>>();
      this.#digests.set(dealer, byDigest);
      byDigest.set(digest, (byDigest.get(digest) ?? new Set<number>()).add(from));
    }
    for (const dealer of complaints) this.#complaints.set(dealer, (this.#complaints.get(dealer) ?? new Set<number>()).add(from));
  }

  #onJustification(message: Extract<DkgMessage, { type: "justification" }>): void {
    for (const entry of Array.isArray(message.shares) ? message.shares : []) {
      if (!this.#isMember(entry.to)) continue;
      let share: bigint;
      try {
        share = decodeScalar(entry.share, "justified share");
      } catch {
        continue; // A malformed justification share leaves that complaint unanswered.
      }
      const byComplainer = this.#justified.get(message.from) ?? new Map<number, bigint[]>();
      this.#justified.set(message.from, byComplainer);
      const shares = byComplainer.get(entry.to) ?? [];
      if (!shares.includes(share)) byComplainer.set(entry.to, [...shares, share]);
    }
    if (message.view instanceof Uint8Array && message.view.length === 32) {
      this.#views.set(message.from, (this.#views.get(message.from) ?? new Set<string>()).add(bytesToHex(message.view)));
    }
  }

  /** Fast sync: ends every phase whose expected messages have all arrived; answers complaints that came late. */
  #progress(): DkgMessage[] {
    const out: DkgMessage[] = [];
    for (;;) {
      if (this.#phase === "deal" && this.#others().every((d) => this.#deals.has(d))) out.push(...this.#endDealPhase());
      else if (this.#phase === "response" && this.#respondents.size === this.#members) out.push(...this.#endResponsePhase());
      else if (this.#phase === "justification" && this.#unanswered().length > 0) out.push(...this.#justify());
      else if (this.#phase === "justification" && this.#settled()) this.#finish();
      else return out;
    }
  }

  #endDealPhase(): DkgMessage[] {
    if (this.#phase !== "deal") return [];
    const commitmentDigests: { dealer: number; digest: Uint8Array; signature: Uint8Array }[] = [];
    const complaints: number[] = [];
    for (let dealer = 1; dealer <= this.#members; dealer++) {
      const deal = this.#deals.get(dealer);
      if (deal?.digest !== undefined && deal.signature !== undefined) commitmentDigests.push({ dealer, digest: hexBytes(deal.digest), signature: deal.signature });
      if (deal?.share === undefined) complaints.push(dealer);
    }
    const response: DkgMessage = { type: "response", from: this.#self, commitmentDigests, complaints };
    this.#phase = "response";
    this.#onResponse(this.#self, response);
    return [response, ...this.#progress()];
  }

  #endResponsePhase(): DkgMessage[] {
    if (this.#phase !== "response") return [];
    this.#phase = "justification";
    return [...this.#justify(), ...this.#progress()];
  }

  /** Complainers against this member it has not answered yet. */
  #unanswered(): number[] {
    return [...(this.#complaints.get(this.#self) ?? [])].filter((c) => !this.#answered.has(c)).sort((a, b) => a - b);
  }

  /**
   * This member's justification: the shares of the complainers not answered yet (with the deal re-sent to each
   * of them privately) and its view. Sent when the response phase ends and again for complaints that come later.
   */
  #justify(): DkgMessage[] {
    const complainers = this.#unanswered();
    for (const c of complainers) this.#answered.add(c);
    const shares = complainers.map((to) => ({ to, share: encodeScalar(evaluatePolynomial(this.#polynomial, BigInt(to))) }));
    const justification: DkgMessage = { type: "justification", from: this.#self, shares, view: hexBytes(this.#view()) };
    // Recorded here too, as every other member records it: without it this dealer would judge
    // its own complaints unanswered and disqualify itself while everyone else qualifies it.
    this.#onJustification(justification);
    return [...complainers.filter((to) => to !== this.#self).map((to) => this.#dealFor(to)), justification];
  }

  /** Digest of the pooled evidence the verdicts depend on (signed digests with their reporters, complaints). */
  #view(): string {
    const parts: string[] = [];
    for (let dealer = 1; dealer <= this.#members; dealer++) {
      const digests = [...(this.#digests.get(dealer) ?? new Map<string, Set<number>>())].map(([h, r]) => `${h}:${sorted(r).join(",")}`).sort();
      parts.push(`${dealer}|${digests.join(";")}|${sorted(this.#complaints.get(dealer) ?? new Set()).join(",")}`);
    }
    return bytesToHex(sha256(utf8ToBytes(parts.join("\n"))));
  }

  /**
   * Whether the justification phase could end now on the evidence of `quorum` members: at least `quorum`
   * respondents (this member among them) reported this member's own view and no other, and every complaint is
   * answered as #settled requires. The caller decides when that is enough (dkg/driver.ts: g − f members, held
   * for a while); a member reporting a view of its own, as a faulty one may forever, then holds no one up.
   */
  settledBy(quorum: number): boolean {
    return this.#phase === "justification" && this.#unanswered().length === 0 && this.#settled(quorum);
  }

  /**
   * Whether this member may end before the timeout: `quorum` responding members (by default every one) reported
   * this member's own view (and no other), and every dealer still in the running has answered every complaint
   * with a valid share (for this member's own complaints, the re-sent deal with the commitments has arrived too).
   * A verdict that rests on missing evidence waits for the timeout, as relays may still bring the evidence.
   */
  #settled(quorum = this.#respondents.size): boolean {
    const view = this.#view();
    let matching = 0;
    for (const member of this.#respondents) {
      const views = this.#views.get(member);
      if (views?.size === 1 && views.has(view)) matching++;
    }
    if (matching < quorum) return false;
    for (const [dealer, complainers] of this.#complaints) {
      const digest = this.#agreedDigest(dealer);
      if (digest === undefined || complainers.size === 0) continue;
      const deal = this.#deals.get(dealer);
      if (deal?.digest !== digest || deal.commitments === undefined) return false;
      const commitments = deal.commitments;
      for (const complainer of complainers) if (this.#answer(dealer, complainer, commitments) === undefined) return false;
    }
    return true;
  }

  /**
   * The one dealer-signed commitment digest known for `dealer`, or undefined when there are two (proven
   * equivocation) or fewer than t members report it: a dealer whose commitments reached fewer than t members
   * cannot be used, because the members without them could not compute the group key.
   */
  #agreedDigest(dealer: number): string | undefined {
    const digests = [...(this.#digests.get(dealer) ?? [])];
    const [only] = digests;
    return digests.length === 1 && only !== undefined && only[1].size >= this.#threshold ? only[0] : undefined;
  }

  /** A share `dealer` revealed for `complainer` that verifies against `commitments`. */
  #answer(dealer: number, complainer: number, commitments: readonly CommitmentPoint[]): bigint | undefined {
    return this.#justified.get(dealer)?.get(complainer)?.find((share) => this.#group.verifyShare(commitments, complainer, share));
  }

  #finish(): void {
    let qualified: number[] = [];
    let missing: number | undefined;
    for (let dealer = 1; dealer <= this.#members; dealer++) {
      const status = this.#dealerStatus(dealer);
      if (status === "qualified") qualified.push(dealer);
      else if (status === "qualified-but-unknown" && missing === undefined) missing = dealer;
    }
    if (missing !== undefined && qualified.length + 1 >= this.#threshold) {
      this.#fail(`dealer ${missing} qualified but this member never received its commitments and share`);
      return;
    }
    // Commitments were decoded without the subgroup check: t checks on the sum here instead of g·t on receipt.
    // A coefficient outside G2 means some qualified dealers committed to such points there: drop them (all
    // honest members hold the same commitments for qualified dealers, so they drop the same ones) and repeat.
    let polynomial = this.#publicPolynomial(qualified);
    for (let bad = this.#outsideG2(polynomial); bad.length > 0; bad = this.#outsideG2(polynomial)) {
      qualified = qualified.filter((d) => bad.every((j) => this.#inSubgroup(this.#deals.get(d)?.commitments?.[j])));
      polynomial = this.#publicPolynomial(qualified);
    }
    if (qualified.length < this.#threshold) {
      this.#fail(`only ${qualified.length} dealers qualified, the threshold is ${this.#threshold}`);
      return;
    }
    this.#result = this.#combine(qualified, polynomial);
    this.#phase = "done";
  }

  /** Same verdict at every honest member, except that only this member knows whether it holds the deal. */
  #dealerStatus(dealer: number): "qualified" | "disqualified" | "qualified-but-unknown" {
    const digest = this.#agreedDigest(dealer);
    if (digest === undefined) return "disqualified";
    const deal = this.#deals.get(dealer);
    const commitments = deal?.digest === digest ? deal.commitments : undefined;
    for (const complainer of this.#complaints.get(dealer) ?? []) {
      if (commitments === undefined) {
        // Without the commitments the revealed shares cannot be checked here: at least one must exist.
        if ((this.#justified.get(dealer)?.get(complainer)?.length ?? 0) === 0) return "disqualified";
      } else if (this.#answer(dealer, complainer, commitments) === undefined) return "disqualified";
    }
    if (commitments === undefined) return "qualified-but-unknown";
    return "qualified";
  }

  #myShareFrom(dealer: number): bigint {
    const deal = this.#deals.get(dealer);
    const share = deal?.share ?? (deal?.commitments === undefined ? undefined : this.#answer(dealer, this.#self, deal.commitments));
    if (share === undefined) throw new Error(`internal: no share from qualified dealer ${dealer}`);
    return share;
  }

  /** Σ_{d∈qualified} C_d: the group's public polynomial in G2. */
  #publicPolynomial(qualified: readonly number[]): CommitmentPoint[] {
    const group = this.#group;
    let sum: CommitmentPoint[] = Array.from({ length: this.#threshold }, () => group.zero);
    for (const dealer of qualified) {
      const commitments = this.#deals.get(dealer)?.commitments ?? [];
      sum = sum.map((acc, j) => group.add(acc, commitments[j] ?? group.zero));
    }
    return sum;
  }

  #combine(qualified: readonly number[], polynomial: readonly CommitmentPoint[]): DkgResult {
    const group = this.#group;
    const secret = qualified.reduce((acc, dealer) => Fr.add(acc, this.#myShareFrom(dealer)), 0n);
    const indices = Array.from({ length: this.#members }, (_, i) => i + 1);
    return {
      groupPublicKey: group.encode(polynomial[0] ?? group.zero),
      secretShare: { index: this.#self, secret },
      publicKeyShares: indices.map((i) => group.encode(group.evaluate(polynomial, i))),
      commitments: polynomial.map((c) => group.encode(c)),
      qualified: [...qualified],
    };
  }

  /** The share if it decodes and matches `commitments` at `index`; undefined otherwise. */
  #validShare(bytes: Uint8Array, commitments: readonly CommitmentPoint[], index: number): bigint | undefined {
    let share: bigint;
    try {
      share = decodeScalar(bytes, "DKG share");
    } catch {
      return undefined;
    }
    return this.#group.verifyShare(commitments, index, share) ? share : undefined;
  }

  /** Positions of the coefficients that are not in the prime-order subgroup. */
  #outsideG2(polynomial: readonly CommitmentPoint[]): number[] {
    return polynomial.flatMap((a, j) => (this.#group.inSubgroup(a) ? [] : [j]));
  }

  #inSubgroup(point: CommitmentPoint | undefined): boolean {
    return point !== undefined && this.#group.inSubgroup(point);
  }

  #decodeCommitments(commitments: unknown): CommitmentPoint[] | undefined {
    if (!Array.isArray(commitments) || commitments.length !== this.#threshold) return undefined;
    try {
      return commitments.map((c: unknown, j) => {
        if (!(c instanceof Uint8Array)) throw new CryptoError("malformed_point", `commitment ${j} is not bytes`);
        return this.#group.decodeOnCurve(c, `commitment ${j}`);
      });
    } catch (error) {
      if (error instanceof CryptoError) return undefined;
      throw error;
    }
  }

  #fail(reason: string): void {
    this.#phase = "failed";
    this.#failureReason = reason;
  }
}

function digestOf(commitments: readonly Uint8Array[]): string {
  const all = new Uint8Array(commitments.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of commitments) {
    all.set(c, offset);
    offset += c.length;
  }
  return bytesToHex(sha256(all));
}

/** What a dealer signs about its commitments, from their digest. */
function statementOf(dealer: number, digest: Uint8Array): Uint8Array {
  const index = new Uint8Array(4);
  new DataView(index.buffer).setUint32(0, dealer);
  return concatBytes(COMMITMENT_STATEMENT_DST, index, digest);
}

function sorted(members: ReadonlySet<number>): number[] {
  return [...members].sort((a, b) => a - b);
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}
