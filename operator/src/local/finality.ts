// SPDX-License-Identifier: Apache-2.0
/**
 * The verifier's finality ledger: which block each node says it finalized at each height.
 *
 * Finality is the consensus promise that no two nodes ever finalize different blocks at one height,
 * however many byzantine notaries the threshold was chosen to survive. The first hash reported for a
 * height becomes the reference; a node reporting another hash there is a `finalized_fork`. Only a
 * window of recent heights is kept: a long run would otherwise grow without bound, and a node that
 * reports a height far below every other node's is replaying old history this ledger already judged.
 */
import type { FinalizedBlock } from "@relaylab/node/gen/relaylab/v1/public";
import type { Violation } from "./ledger.js";

/** Heights kept below the highest reported one; reports older than that are not compared. */
export const DEFAULT_RETAIN_HEIGHTS = 4096;

export interface HeightRecord {
  readonly height: number;
  readonly hashHex: string;
  /** Nodes that finalized this hash at this height. */
  readonly nodes: Set<number>;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

export class FinalityLedger {
  readonly #heights = new Map<number, HeightRecord>();
  readonly #violations: Violation[] = [];
  readonly #retain: number;
  /** Node and height of each fork already reported, so a node's repeated report counts once. */
  readonly #forked = new Set<string>();
  #highest = 0;
  #checked = 0;

  constructor(retainHeights = DEFAULT_RETAIN_HEIGHTS) {
    if (!Number.isInteger(retainHeights) || retainHeights < 1) throw new RangeError(`retainHeights must be a positive integer, got ${retainHeights}`);
    this.#retain = retainHeights;
  }

  /** Compares one node's finalized block with what other nodes finalized at that height; returns the violation it caused, if any. */
  add(node: number, block: FinalizedBlock): Violation | undefined {
    const height = Number(block.height);
    const hashHex = hex(block.hash);
    if (height <= this.#highest - this.#retain) return undefined;
    const known = this.#heights.get(height);
    if (known === undefined) {
      this.#heights.set(height, { height, hashHex, nodes: new Set([node]) });
      this.#checked++;
      if (height > this.#highest) this.#advance(height);
      return undefined;
    }
    if (known.hashHex === hashHex) {
      known.nodes.add(node);
      return undefined;
    }
    const id = `${node}/${height}`;
    if (this.#forked.has(id)) return undefined;
    this.#forked.add(id);
    const v: Violation = {
      kind: "finalized_fork",
      node,
      round: height,
      detail: `node ${node} finalized block ${hashHex.slice(0, 16)} at height ${height}, nodes ${[...known.nodes].join(",")} finalized ${known.hashHex.slice(0, 16)}`,
    };
    this.#violations.push(v);
    return v;
  }

  #advance(height: number): void {
    this.#highest = height;
    const floor = height - this.#retain;
    for (const h of this.#heights.keys()) if (h <= floor) this.#heights.delete(h);
    for (const id of this.#forked) if (Number(id.split("/")[1]) <= floor) this.#forked.delete(id);
  }

  get violations(): readonly Violation[] {
    return this.#violations;
  }

  /** Highest height any node reported finalized. */
  get highestHeight(): number {
    return this.#highest;
  }

  /** Heights compared so far (including those since pruned). */
  get checkedHeights(): number {
    return this.#checked;
  }

  /** Heights held for comparison now (at most the retained window). */
  get heldHeights(): number {
    return this.#heights.size;
  }

  height(h: number): HeightRecord | undefined {
    return this.#heights.get(h);
  }
}
