// SPDX-License-Identifier: Apache-2.0
/**
 * What this node keeps of the finalized chain, in memory and bounded: recent finalized blocks (with the
 * certificate that lets a syncing peer check them), a summary per height for the Public API, and when each
 * message was finalized. Older entries are forgotten, oldest first.
 */
import { hexToBytes } from "@noble/hashes/utils.js";
import type { FinalizedBlock } from "../gen/relaylab/v1/public.js";
import type { BlockInfo, CertKind } from "./types.js";

/** Finalized blocks kept with their payload (what a lagging peer can sync). */
const RETAIN_BLOCKS = 1024;
/** Finalized block summaries kept for GetFinalizedBlock / WatchFinalized. */
const RETAIN_SUMMARIES = 16_384;
/** Finalized message ids remembered for GetMessageStatus. */
const RETAIN_MESSAGES = 262_144;

export interface ArchivedBlock {
  readonly block: BlockInfo;
  readonly cert: { readonly kind: CertKind; readonly signature: Uint8Array };
}

export class FinalizedArchive {
  private readonly blocks = new Map<bigint, ArchivedBlock>();
  private readonly summaries = new Map<bigint, FinalizedBlock>();
  private readonly messages = new Map<string, { height: bigint; atMs: number }>();
  private latest = 0n;

  get finalizedHeight(): bigint {
    return this.latest;
  }

  /** Records one finalized block; `messageIds` are the hex ids of its payload, in order. */
  add(entry: ArchivedBlock, messageIds: readonly string[], payloadBytes: number, atMs: number): FinalizedBlock {
    const { block } = entry;
    const summary: FinalizedBlock = {
      height: block.height,
      hash: hexToBytes(block.hash),
      parent: hexToBytes(block.parent),
      maker: block.maker,
      rank: block.rank,
      messageIds: messageIds.map((id) => hexToBytes(id)),
      payloadBytes: BigInt(payloadBytes),
      finalizedAtMs: BigInt(atMs),
    };
    this.latest = block.height;
    this.blocks.set(block.height, entry);
    this.summaries.set(block.height, summary);
    // The first finalized copy of a message counts; a maker that repeats it later changes nothing.
    for (const id of messageIds) if (!this.messages.has(id)) this.messages.set(id, { height: block.height, atMs });
    trim(this.blocks, RETAIN_BLOCKS);
    trim(this.summaries, RETAIN_SUMMARIES);
    trim(this.messages, RETAIN_MESSAGES);
    return summary;
  }

  block(height: bigint): ArchivedBlock | undefined {
    return this.blocks.get(height);
  }

  summary(height: bigint): FinalizedBlock | undefined {
    return this.summaries.get(height);
  }

  /** Summaries from `height` upwards that are still retained. */
  *summariesFrom(height: bigint): Generator<FinalizedBlock> {
    for (let h = height; h <= this.latest; h++) {
      const s = this.summaries.get(h);
      if (s !== undefined) yield s;
    }
  }

  message(id: string): { height: bigint; atMs: number } | undefined {
    return this.messages.get(id);
  }
}

function trim<K, V>(map: Map<K, V>, max: number): void {
  for (const k of map.keys()) {
    if (map.size <= max) return;
    map.delete(k);
  }
}
