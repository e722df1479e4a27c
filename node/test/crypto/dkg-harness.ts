// SPDX-License-Identifier: Apache-2.0
// In-memory network for the DKG state machine: delivers private messages to their recipient and broadcasts to
// everyone else, calls advance() on every unfinished member when the network goes quiet (the phase timeout), and
// lets chosen dealers misbehave by rewriting or dropping what they send.
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { commitmentStatement, Dkg, type CommitmentGroup, type DkgMessage, type DkgSigner } from "../../src/crypto/index.js";
import { encodeG2Unchecked, order13G2 } from "./fixtures.js";

/** How a member misbehaves; "honest" follows the protocol. */
export type Behaviour =
  | "honest"
  | "bad-share" // sends member `victim` a wrong share and never justifies it
  | "bad-share-justified" // sends a wrong share, then answers the complaint with the right one
  | "bad-commitment" // sends everyone commitments that do not match the shares
  | "malformed-commitment" // sends everyone a commitment that is not a G2 point
  | "equivocate" // sends different (each self-consistent) commitments to different members
  | "victim-malformed-commitment" // sends member `victim` a malformed commitment, re-sends a good deal on complaint
  | "resend-other-commitments" // sends member `victim` a wrong share, re-sends it a deal under other commitments
  | "torsion-commitment" // adds (x^13 − x)·T, T of order 13, to its commitments: every Feldman check still passes
  | "lying-digests" // deals honestly, reports a random digest for every dealer
  | "split-responses" // its response to odd members is honest; even members get one without digests or complaints
  | "split-complaints" // its response to odd members is honest; even members get one that also complains against member 1
  | "false-complaints" // deals honestly, and complains against every other dealer
  | "equivocate-to-accomplice" // sends member `accomplice` a deal under other (self-consistent) commitments
  | "silent"; // sends nothing at all

export interface RunOptions {
  members: number;
  threshold: number;
  behaviours?: ReadonlyMap<number, Behaviour>;
  /** Deliver every message twice (duplicates must be ignored). */
  duplicate?: boolean;
  /** Hold relayed messages back until every direct one has been delivered (members may reach a phase's end first). */
  slowRelays?: boolean;
  /** The G2 arithmetic member i uses (its node's crypto backend). @default noble for every member */
  groupOf?: (member: number) => CommitmentGroup;
}

export interface Run {
  dkgs: Dkg[];
  /** How many times the network had to fall back to phase timeouts. */
  timeouts: number;
}

const VICTIM = 1;
export const ACCOMPLICE = 5;

/** One ed25519 key per member (index 1..members): member i signs with signers[i-1] and checks the others' keys. */
export function testSigners(members: number): DkgSigner[] {
  const secrets = Array.from({ length: members }, () => ed25519.utils.randomSecretKey());
  const publicKeys = secrets.map((s) => ed25519.getPublicKey(s));
  const verify = (member: number, statement: Uint8Array, signature: Uint8Array): boolean => {
    const key = publicKeys[member - 1];
    return key !== undefined && signature.length === 64 && ed25519.verify(signature, statement, key);
  };
  return secrets.map((secret) => ({ sign: (statement) => ed25519.sign(statement, secret), verify }));
}

/** A message on its way: private deals go to their recipient, other messages to `to` or else to every member. */
interface Outgoing {
  readonly message: DkgMessage;
  readonly to?: number;
}

/**
 * Runs one DKG to completion (every member done or failed). Like the driver, every member relays each broadcast
 * message the first time it sees it (the same object: a relay keeps the sender's signature, not a copy).
 */
export function runDkg(options: RunOptions): Run {
  const { members, threshold } = options;
  const signers = testSigners(members);
  const adversary = new Adversary(members, threshold, options.behaviours ?? new Map(), signers);
  const dkgs = signers.map((signer, i) => new Dkg({ self: i + 1, members, threshold, signer, group: options.groupOf?.(i + 1) }));
  const relayed = dkgs.map(() => new Set<DkgMessage>());
  const queue: Outgoing[] = [];
  const relays: Outgoing[] = [];
  const push = (out: Outgoing): void => {
    queue.push(out);
    if (options.duplicate === true) queue.push(out);
  };
  const send = (from: number, messages: DkgMessage[]): void => {
    for (const message of messages) for (const out of adversary.rewrite(from, message)) push(out);
  };

  dkgs.forEach((dkg, i) => send(i + 1, dkg.start()));
  let timeouts = 0;
  for (let guard = 0; guard < 10; guard++) {
    for (let out = queue.shift() ?? relays.shift(); out !== undefined; out = queue.shift() ?? relays.shift()) {
      const { message, to } = out;
      dkgs.forEach((dkg, i) => {
        const recipient = i + 1;
        const addressed = message.type === "deal" ? message.to === recipient : message.from !== recipient && (to === undefined || to === recipient);
        if (!addressed) return;
        const reaction = dkg.receive(message);
        if (message.type !== "deal" && !relayed[i]?.has(message) && (adversary.behaviours.get(recipient) ?? "honest") !== "silent") {
          relayed[i]?.add(message);
          if (options.slowRelays === true) relays.push({ message });
          else push({ message });
        }
        send(recipient, reaction);
      });
    }
    if (dkgs.every((d) => d.phase === "done" || d.phase === "failed")) return { dkgs, timeouts };
    timeouts++;
    dkgs.forEach((dkg, i) => send(i + 1, dkg.advance()));
  }
  throw new Error("DKG did not terminate after 10 rounds of timeouts");
}

/** Rewrites the outgoing messages of misbehaving members. */
class Adversary {
  readonly #twinDeals = new Map<number, DkgMessage[]>();
  readonly #corrupted = new Set<number>();
  #torsion: ReturnType<typeof order13G2> | undefined;

  constructor(
    readonly members: number,
    readonly threshold: number,
    readonly behaviours: ReadonlyMap<number, Behaviour>,
    /** The faulty members sign what they like with their own keys. */
    readonly signers: readonly DkgSigner[],
  ) {}

  rewrite(from: number, message: DkgMessage): Outgoing[] {
    const behaviour = this.behaviours.get(from);
    if (message.type === "response" && (behaviour === "split-responses" || behaviour === "split-complaints")) {
      const other = behaviour === "split-responses" ? { ...message, commitmentDigests: [], complaints: [] } : { ...message, complaints: [...message.complaints, VICTIM] };
      return Array.from({ length: this.members }, (_, i) => i + 1)
        .filter((to) => to !== from)
        .map((to) => ({ message: to % 2 === 0 ? other : message, to }));
    }
    return this.#rewrite(from, message).map((m) => ({ message: m }));
  }

  #rewrite(from: number, message: DkgMessage): DkgMessage[] {
    const behaviour = this.behaviours.get(from) ?? "honest";
    if (behaviour === "silent") return [];
    if (message.type === "justification" && behaviour === "bad-share") return [];
    if (message.type === "response" && behaviour === "torsion-commitment") {
      // Its own (honest) digest would differ from what it sent and give it away as equivocating.
      return [{ ...message, commitmentDigests: message.commitmentDigests.filter((d) => d.dealer !== from) }];
    }
    if (message.type === "response" && behaviour === "false-complaints") {
      return [{ ...message, complaints: Array.from({ length: this.members }, (_, i) => i + 1).filter((d) => d !== from) }];
    }
    if (message.type === "response" && behaviour === "lying-digests") {
      return [{ ...message, commitmentDigests: message.commitmentDigests.map(({ dealer }) => ({ dealer, digest: randomBytes(32), signature: randomBytes(64) })) }];
    }
    if (message.type !== "deal") return [message];
    switch (behaviour) {
      case "bad-share":
      case "bad-share-justified":
        // Only the first deal to the victim is corrupted; a deal re-sent with a justification is intact.
        if (message.to !== VICTIM || this.#corrupted.has(from)) return [message];
        this.#corrupted.add(from);
        return [{ ...message, share: bump(message.share) }];
      case "bad-commitment":
        return [{ ...message, commitments: this.#twinDeal(from, message.to).commitments, digestSignature: this.#twinDeal(from, message.to).digestSignature }];
      case "resend-other-commitments":
        // The re-sent deal is a consistent deal of another polynomial: its commitments differ from the agreed ones.
        if (message.to !== VICTIM) return [message];
        if (this.#corrupted.has(from)) return [this.#twinDeal(from, message.to)];
        this.#corrupted.add(from);
        return [{ ...message, share: bump(message.share) }];
      case "malformed-commitment":
        return [withMalformedCommitment(message)];
      case "victim-malformed-commitment":
        if (message.to !== VICTIM || this.#corrupted.has(from)) return [message];
        this.#corrupted.add(from);
        return [withMalformedCommitment(message)];
      case "torsion-commitment":
        return [this.#withTorsion(message)];
      case "equivocate-to-accomplice":
        return [message.to === ACCOMPLICE ? this.#twinDeal(from, message.to) : message];
      case "equivocate":
        return [message.to % 2 === 0 ? this.#twinDeal(from, message.to) : message];
      default:
        return [message];
    }
  }

  /**
   * C_1 − T and C_13 + T: the committed polynomial gains (x^13 − x)·T, which vanishes at every integer (Fermat),
   * so shares still verify and only a subgroup check can tell.
   */
  #withTorsion(deal: Extract<DkgMessage, { type: "deal" }>): DkgMessage {
    this.#torsion ??= order13G2();
    const torsion = this.#torsion;
    const commitments = deal.commitments.map((c, j) => {
      if (j !== 1 && j !== 13) return c;
      const point = bls12_381.G2.Point.fromBytes(c);
      return encodeG2Unchecked(j === 1 ? point.subtract(torsion) : point.add(torsion));
    });
    return { ...deal, commitments, digestSignature: this.#signer(deal.from).sign(commitmentStatement(deal.from, commitments)) };
  }

  #signer(member: number): DkgSigner {
    const signer = this.signers[member - 1];
    if (signer === undefined) throw new Error(`no signer for member ${member}`);
    return signer;
  }

  /** The deal a second, independent instance of dealer `from` sends to `to` (another polynomial). */
  #twinDeal(from: number, to: number): Extract<DkgMessage, { type: "deal" }> {
    let deals = this.#twinDeals.get(from);
    if (deals === undefined) {
      deals = new Dkg({ self: from, members: this.members, threshold: this.threshold, signer: this.#signer(from) }).start();
      this.#twinDeals.set(from, deals);
    }
    const deal = deals.find((m) => m.type === "deal" && m.to === to);
    if (deal?.type !== "deal") throw new Error(`twin of dealer ${from} has no deal for member ${to}`);
    return deal;
  }
}

function withMalformedCommitment(deal: Extract<DkgMessage, { type: "deal" }>): DkgMessage {
  return { ...deal, commitments: deal.commitments.map((c, j) => (j === 1 ? new Uint8Array(96).fill(0xaa) : c)) };
}

/** A different, wrong share (last byte plus one). */
function bump(share: Uint8Array): Uint8Array {
  const out = Uint8Array.from(share);
  out[out.length - 1] = ((out[out.length - 1] ?? 0) + 1) & 0xff;
  return out;
}
