// SPDX-License-Identifier: Apache-2.0
/**
 * Joint-Feldman distributed key generation (Pedersen 1991; as analysed by Gennaro, Jarecki, Krawczyk, Rabin,
 * J. Cryptology 2007) with complaints and justifications, shaped like drand/kyber `share/dkg`, as a pure state
 * machine: messages in → messages out, no timers, no I/O.
 *
 * Phases (members 1..g, threshold t):
 * 1. deal: every member deals a random degree t−1 polynomial: Feldman commitments plus a private share to each
 *    member. A received share is checked against the commitments.
 * 2. response (broadcast): for every dealer, the digest of the commitments received (exposes equivocation,
 *    i.e. different commitments to different members) and complaints against dealers whose deal was missing or
 *    invalid.
 * 3. justification (broadcast): a dealer with complaints reveals the complainers' shares; it also re-sends the
 *    deal privately to each complainer, who may never have received the commitments.
 * A dealer is qualified iff all digests reported for it agree, at least t members report one, and every
 * complaint against it is answered by a share that verifies against its commitments. All honest members see the same broadcasts, so they compute the
 * same qualified set and the same group key Σ_{d∈Q} A_{d,0}; each member's share is Σ_{d∈Q} f_d(self).
 * Limitation of the message contract: commitments travel only in private deals, so a qualified dealer that
 * withholds them from a complainer (while answering the complaint publicly) makes that one member fail
 * ("never received its commitments"); carrying the commitments in the justification would close this.
 *
 * Fast sync (as drand): a phase ends as soon as every expected message has arrived; advance() ends it on the
 * caller's timeout with whatever arrived. Messages from a later phase are kept for when it starts; messages of
 * an earlier phase, duplicates and malformed messages are ignored.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { CryptoError } from "./errors.js";
import { decodeG2OnCurve, decodeScalar, encodeG2, encodeScalar } from "./points.js";
import { assertIndex, assertThreshold, commitPolynomial, evaluateCommitments, evaluatePolynomial, randomPolynomial, verifyShare } from "./poly.js";
import { Fr, G2, type G2Point } from "./scheme.js";
import type { SecretShare } from "./tbls.js";

/** A DKG protocol message. Messages with `to` are private to that member; the others are broadcast to all. */
export type DkgMessage =
  | { type: "deal"; from: number; to: number; commitments: Uint8Array[]; share: Uint8Array }
  | { type: "response"; from: number; commitmentDigests: { dealer: number; digest: Uint8Array }[]; complaints: number[] }
  | { type: "justification"; from: number; shares: { to: number; share: Uint8Array }[] };

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
}

interface ReceivedDeal {
  readonly commitments: readonly G2Point[] | undefined; // undefined: malformed commitments
  readonly digest: string | undefined;
  readonly share: bigint | undefined; // undefined: share missing, malformed or not matching the commitments
}

interface Response {
  readonly digests: ReadonlyMap<number, string>;
  readonly complaints: ReadonlySet<number>;
}

/** One member's side of a Joint-Feldman DKG. */
export class Dkg {
  readonly #self: number;
  readonly #members: number;
  readonly #threshold: number;
  readonly #polynomial: readonly bigint[];
  readonly #commitmentBytes: Uint8Array[];
  readonly #deals = new Map<number, ReceivedDeal>();
  readonly #responses = new Map<number, Response>();
  readonly #justifications = new Map<number, ReadonlyMap<number, bigint>>();
  #phase: DkgPhase = "deal";
  #started = false;
  #complaintsAgainst = new Map<number, Set<number>>();
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
    this.#polynomial = randomPolynomial(config.threshold);
    const commitments = commitPolynomial(this.#polynomial);
    this.#commitmentBytes = commitments.map(encodeG2);
    this.#deals.set(this.#self, {
      commitments,
      digest: digestOf(this.#commitmentBytes),
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
    const lateResend = this.#phase !== "deal" && this.#responses.get(this.#self)?.complaints.has(message.from) === true;
    if (this.#phase !== "deal" && !lateResend) return;
    const previous = this.#deals.get(message.from);
    if (previous !== undefined && !lateResend) return;
    if (lateResend && previous?.share !== undefined) return;
    const received = this.#checkDeal(message);
    if (lateResend && previous?.commitments !== undefined && previous.digest !== received.digest) {
      // This member reported the commitments it holds, and everyone judges the dealer against the reported
      // ones: a re-send under other commitments may bring only a share that matches the ones held.
      const share = decodeValidShare(message.share, previous.commitments, this.#self);
      if (share !== undefined) this.#deals.set(message.from, { ...previous, share });
      return;
    }
    this.#deals.set(message.from, received);
  }

  #checkDeal(message: Extract<DkgMessage, { type: "deal" }>): ReceivedDeal {
    const commitments = decodeCommitments(message.commitments, this.#threshold);
    if (commitments === undefined) return { commitments: undefined, digest: undefined, share: undefined };
    return { commitments, digest: digestOf(message.commitments), share: decodeValidShare(message.share, commitments, this.#self) };
  }

  #onResponse(from: number, message: Extract<DkgMessage, { type: "response" }>): void {
    if (this.#phase !== "deal" && this.#phase !== "response") return;
    if (this.#responses.has(from)) return;
    const digests = new Map<number, string>();
    for (const entry of Array.isArray(message.commitmentDigests) ? message.commitmentDigests : []) {
      if (this.#isMember(entry.dealer) && entry.digest instanceof Uint8Array && entry.digest.length === 32) {
        digests.set(entry.dealer, bytesToHex(entry.digest));
      }
    }
    const complaints = new Set((Array.isArray(message.complaints) ? message.complaints : []).filter((d) => this.#isMember(d)));
    this.#responses.set(from, { digests, complaints });
  }

  #onJustification(message: Extract<DkgMessage, { type: "justification" }>): void {
    if (this.#phase === "done" || this.#phase === "failed" || this.#justifications.has(message.from)) return;
    const shares = new Map<number, bigint>();
    for (const entry of Array.isArray(message.shares) ? message.shares : []) {
      if (!this.#isMember(entry.to)) continue;
      try {
        shares.set(entry.to, decodeScalar(entry.share, "justified share"));
      } catch {
        // A malformed justification share leaves that complaint unanswered.
      }
    }
    this.#justifications.set(message.from, shares);
  }

  /** Fast sync: ends every phase whose expected messages have all arrived. */
  #progress(): DkgMessage[] {
    const out: DkgMessage[] = [];
    for (;;) {
      if (this.#phase === "deal" && this.#others().every((d) => this.#deals.has(d))) out.push(...this.#endDealPhase());
      else if (this.#phase === "response" && this.#responses.size === this.#members) out.push(...this.#endResponsePhase());
      else if (this.#phase === "justification" && this.#allJustificationsIn()) this.#finish();
      else return out;
    }
  }

  #endDealPhase(): DkgMessage[] {
    if (this.#phase !== "deal") return [];
    const commitmentDigests: { dealer: number; digest: Uint8Array }[] = [];
    const complaints: number[] = [];
    for (let dealer = 1; dealer <= this.#members; dealer++) {
      const deal = this.#deals.get(dealer);
      if (deal?.digest !== undefined) commitmentDigests.push({ dealer, digest: hexBytes(deal.digest) });
      if (deal?.share === undefined) complaints.push(dealer);
    }
    const response: DkgMessage = { type: "response", from: this.#self, commitmentDigests, complaints };
    this.#phase = "response";
    this.#onResponse(this.#self, response);
    return [response, ...this.#progress()];
  }

  #endResponsePhase(): DkgMessage[] {
    if (this.#phase !== "response") return [];
    this.#complaintsAgainst = new Map();
    for (const [from, response] of this.#responses) {
      for (const dealer of response.complaints) {
        const set = this.#complaintsAgainst.get(dealer) ?? new Set<number>();
        set.add(from);
        this.#complaintsAgainst.set(dealer, set);
      }
    }
    this.#phase = "justification";
    const out: DkgMessage[] = [];
    const againstMe = this.#complaintsAgainst.get(this.#self);
    if (againstMe !== undefined && againstMe.size > 0) {
      const complainers = [...againstMe].sort((a, b) => a - b);
      const shares = complainers.map((to) => ({ to, share: encodeScalar(evaluatePolynomial(this.#polynomial, BigInt(to))) }));
      out.push(...complainers.filter((to) => to !== this.#self).map((to) => this.#dealFor(to)));
      const justification: DkgMessage = { type: "justification", from: this.#self, shares };
      // Recorded here too, as every other member records it: without it this dealer would judge
      // its own complaints unanswered and disqualify itself while everyone else qualifies it.
      this.#onJustification(justification);
      out.push(justification);
    }
    return [...out, ...this.#progress()];
  }

  /**
   * Justifications are awaited only from dealers that were complained against and did not equivocate; for this
   * member's own complaints, also the re-sent deal that carries the commitments.
   */
  #allJustificationsIn(): boolean {
    for (const [dealer, complainers] of this.#complaintsAgainst) {
      const digest = this.#agreedDigest(dealer);
      if (dealer === this.#self || digest === undefined) continue;
      if (!this.#justifications.has(dealer)) return false;
      if (complainers.has(this.#self) && this.#deals.get(dealer)?.digest !== digest) return false;
    }
    return true;
  }

  /**
   * The commitment digest reported for `dealer`, or undefined when responses conflict (equivocation) or fewer
   * than t members report one: a dealer whose commitments reached fewer than t members cannot be used, because
   * the members without them could not compute the group key.
   */
  #agreedDigest(dealer: number): string | undefined {
    const seen = new Set<string>();
    let reporters = 0;
    for (const response of this.#responses.values()) {
      const digest = response.digests.get(dealer);
      if (digest === undefined) continue;
      seen.add(digest);
      reporters++;
    }
    return seen.size === 1 && reporters >= this.#threshold ? [...seen][0] : undefined;
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
    for (let bad = outsideG2(polynomial); bad.length > 0; bad = outsideG2(polynomial)) {
      qualified = qualified.filter((d) => bad.every((j) => this.#deals.get(d)?.commitments?.[j]?.isTorsionFree() === true));
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
    const justified = this.#justifications.get(dealer);
    for (const complainer of this.#complaintsAgainst.get(dealer) ?? []) {
      const share = justified?.get(complainer);
      if (share === undefined) return "disqualified";
      if (commitments !== undefined && !verifyShare(commitments, complainer, share)) return "disqualified";
    }
    if (commitments === undefined) return "qualified-but-unknown";
    return "qualified";
  }

  #myShareFrom(dealer: number): bigint {
    const deal = this.#deals.get(dealer);
    const share = deal?.share ?? this.#justifications.get(dealer)?.get(this.#self);
    if (share === undefined) throw new Error(`internal: no share from qualified dealer ${dealer}`);
    return share;
  }

  /** Σ_{d∈qualified} C_d: the group's public polynomial in G2. */
  #publicPolynomial(qualified: readonly number[]): G2Point[] {
    let sum: G2Point[] = Array.from({ length: this.#threshold }, () => G2.ZERO);
    for (const dealer of qualified) {
      const commitments = this.#deals.get(dealer)?.commitments ?? [];
      sum = sum.map((acc, j) => acc.add(commitments[j] ?? G2.ZERO));
    }
    return sum;
  }

  #combine(qualified: readonly number[], polynomial: readonly G2Point[]): DkgResult {
    const secret = qualified.reduce((acc, dealer) => Fr.add(acc, this.#myShareFrom(dealer)), 0n);
    const indices = Array.from({ length: this.#members }, (_, i) => i + 1);
    return {
      groupPublicKey: encodeG2(polynomial[0] ?? G2.ZERO),
      secretShare: { index: this.#self, secret },
      publicKeyShares: indices.map((i) => encodeG2(evaluateCommitments(polynomial, i))),
      commitments: polynomial.map(encodeG2),
      qualified: [...qualified],
    };
  }

  #fail(reason: string): void {
    this.#phase = "failed";
    this.#failureReason = reason;
  }
}

/** The share if it decodes and matches `commitments` at `index`; undefined otherwise. */
function decodeValidShare(bytes: Uint8Array, commitments: readonly G2Point[], index: number): bigint | undefined {
  let share: bigint;
  try {
    share = decodeScalar(bytes, "DKG share");
  } catch {
    return undefined;
  }
  return verifyShare(commitments, index, share) ? share : undefined;
}

/** Positions of the coefficients that are not in the prime-order subgroup. */
function outsideG2(polynomial: readonly G2Point[]): number[] {
  return polynomial.flatMap((a, j) => (a.isTorsionFree() ? [] : [j]));
}

function decodeCommitments(commitments: unknown, threshold: number): G2Point[] | undefined {
  if (!Array.isArray(commitments) || commitments.length !== threshold) return undefined;
  try {
    return commitments.map((c: unknown, j) => {
      if (!(c instanceof Uint8Array)) throw new CryptoError("malformed_point", `commitment ${j} is not bytes`);
      return decodeG2OnCurve(c, `commitment ${j}`);
    });
  } catch (error) {
    if (error instanceof CryptoError) return undefined;
    throw error;
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

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}
