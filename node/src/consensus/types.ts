// SPDX-License-Identifier: Apache-2.0
/**
 * Vocabulary of the consensus state machine (machine.ts): what it is told (events) and what it asks
 * the driver to do (effects). Events carry only facts the driver has checked (identity signatures,
 * sizes); group signatures are checked through `verify`/`recover` effects whose outcome comes back
 * as events, so the machine itself does no I/O and no cryptography.
 */
import type { Block } from "../gen/relaylab/v1/protocol.js";

/** Hex hash of a block (sha256 of its unsigned encoding). */
export type BlockHash = string;

/** Notarization ("n") or finalization ("f"): the two kinds of threshold signatures on a block. */
export type CertKind = "n" | "f";

/** A structurally valid, maker-signed block with its hash. */
export interface BlockInfo {
  readonly hash: BlockHash;
  readonly height: bigint;
  readonly parent: BlockHash;
  readonly maker: number;
  readonly rank: number;
  readonly block: Block;
}

/** Who notarizes a height: the group the beacon of that height selects, and this node's place in it. */
export interface Notaries {
  readonly group: number;
  readonly epoch: bigint;
  /** Node indices; position i holds key share i+1. */
  readonly members: readonly number[];
  readonly threshold: number;
  /** Members that recover signatures at once; the others wait a retransmit interval (less duplicate work). */
  readonly aggregators: readonly number[];
}

/** Timing parameters (from genesis). */
export interface ConsensusParams {
  readonly blockMakerDelayMs: number;
  readonly notaryDelayMs: number;
  /** How long a height may sit without progress before own shares and block are sent again. */
  readonly retransmitMs: number;
}

export type ConsensusEvent =
  | { readonly type: "tick" }
  /** The beacon of round `height` is known: it ranks the block makers and selects the notaries of that height. */
  | { readonly type: "beacon"; readonly height: bigint; readonly ranking: readonly number[]; readonly notaries: Notaries }
  | { readonly type: "block"; readonly from: number; readonly block: BlockInfo }
  | { readonly type: "share"; readonly kind: CertKind; readonly from: number; readonly height: bigint; readonly hash: BlockHash; readonly index: number; readonly signature: Uint8Array }
  /** A group signature from a peer, not yet checked (`verified` false) or checked by the driver / recovered here (true). */
  | { readonly type: "cert"; readonly kind: CertKind; readonly from: number; readonly height: bigint; readonly hash: BlockHash; readonly signature: Uint8Array; readonly verified: boolean }
  /** A `verify` effect failed: the certificate was wrong (another copy may still be right). */
  | { readonly type: "bad_cert"; readonly kind: CertKind; readonly height: bigint; readonly hash: BlockHash }
  /** A `recover` effect failed: these share indices were invalid (they are dropped and never used again). */
  | { readonly type: "invalid_shares"; readonly kind: CertKind; readonly height: bigint; readonly hash: BlockHash; readonly indices: readonly number[] };

export type ConsensusEffect =
  /** Build, sign and send a block at `height` on `parent` with `rank`, then feed it back as a block event. */
  | { readonly type: "propose"; readonly height: bigint; readonly parent: BlockHash; readonly rank: number }
  /** Re-send this node's own block or a block it signed (no progress within the retransmit interval). */
  | { readonly type: "resend_block"; readonly block: BlockInfo }
  /** Sign a share of `kind` for the block and send it to the notaries (and feed it back as a share event). */
  | { readonly type: "sign"; readonly kind: CertKind; readonly height: bigint; readonly hash: BlockHash; readonly notaries: Notaries; readonly resend: boolean }
  /** Recover the group signature from these shares; answer with a verified cert event (and broadcast it) or invalid_shares. */
  | { readonly type: "recover"; readonly kind: CertKind; readonly height: bigint; readonly hash: BlockHash; readonly notaries: Notaries; readonly partials: readonly { readonly index: number; readonly signature: Uint8Array }[] }
  /** Check a peer's group signature; answer with a verified cert event when it holds. */
  | { readonly type: "verify"; readonly kind: CertKind; readonly height: bigint; readonly hash: BlockHash; readonly notaries: Notaries; readonly signature: Uint8Array }
  | { readonly type: "notarized"; readonly block: BlockInfo; readonly signature: Uint8Array }
  /** Newly final blocks in height order, each with the certificate that made it final (its own finalization or a descendant's). */
  | { readonly type: "finalized"; readonly blocks: readonly BlockInfo[]; readonly notarizations: readonly Uint8Array[]; readonly finalization: { readonly height: bigint; readonly signature: Uint8Array } }
  /** This notary signed several blocks at `height` (an equivocating maker), so it sends no finalization share there. */
  | { readonly type: "abstain"; readonly height: bigint }
  /** A peer is ahead of this node: ask it for its chain from `fromHeight`. */
  | { readonly type: "sync"; readonly peer: number; readonly fromHeight: bigint }
  /** A finalization contradicts this node's finalized chain: a safety violation (more than the tolerated faults). */
  | { readonly type: "conflict"; readonly height: bigint; readonly hash: BlockHash; readonly finalized: BlockHash }
  /** Call step with a tick at this clock time (the earliest moment something may change). */
  | { readonly type: "wake"; readonly at: number };
