// SPDX-License-Identifier: Apache-2.0
/**
 * The pool of ingress messages waiting for a block: bounded by message count and by payload bytes, oldest
 * first. Both bounds matter: 10,000 messages of 64 KiB would be 640 MB. Messages are named by sha256 of
 * their payload, so a message submitted to several nodes (or gossiped) is held once.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

/** The id of an ingress message: hex sha256 of its payload. */
export function messageId(payload: Uint8Array): string {
  return bytesToHex(sha256(payload));
}

export type AddResult = "added" | "duplicate" | "full";

export class Mempool {
  /** Insertion-ordered, so blocks take the oldest messages first. */
  private readonly pending = new Map<string, Uint8Array>();
  private heldBytes = 0;

  constructor(
    private readonly capacity: number,
    private readonly capacityBytes: number,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Payload bytes held. */
  get bytes(): number {
    return this.heldBytes;
  }

  has(id: string): boolean {
    return this.pending.has(id);
  }

  add(id: string, payload: Uint8Array): AddResult {
    if (this.pending.has(id)) return "duplicate";
    if (this.pending.size >= this.capacity || this.heldBytes + payload.length > this.capacityBytes) return "full";
    this.pending.set(id, payload);
    this.heldBytes += payload.length;
    return "added";
  }

  /** The oldest messages that fit in `maxBytes` together, skipping those `exclude` names (already in the chain). */
  take(maxBytes: number, exclude: ReadonlySet<string>): { id: string; payload: Uint8Array }[] {
    const out: { id: string; payload: Uint8Array }[] = [];
    let bytes = 0;
    for (const [id, payload] of this.pending) {
      if (exclude.has(id)) continue;
      if (bytes + payload.length > maxBytes) {
        // Keep looking for smaller messages only while the block is not nearly full.
        if (maxBytes - bytes < 64) break;
        continue;
      }
      out.push({ id, payload });
      bytes += payload.length;
    }
    return out;
  }

  remove(ids: Iterable<string>): void {
    for (const id of ids) {
      const payload = this.pending.get(id);
      if (payload === undefined) continue;
      this.pending.delete(id);
      this.heldBytes -= payload.length;
    }
  }
}
