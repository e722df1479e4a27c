// SPDX-License-Identifier: Apache-2.0
/**
 * Accepted beacons, in memory and in an append-only file in the data dir (`beacons.bin`): each record is
 * a 4-byte big-endian length and an encoded Beacon. A torn last record (crash mid-write) is cut off on load.
 */
import { appendFileSync, existsSync, readFileSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { Beacon } from "../gen/relaylab/v1/public.js";

export class BeaconStore {
  private readonly beacons: Beacon[] = [];
  private readonly file: string | undefined;

  /** Opens (and loads) the store in `dataDir`; without a dir the store lives in memory only. */
  constructor(dataDir: string | undefined) {
    this.file = dataDir === undefined ? undefined : join(dataDir, "beacons.bin");
    if (this.file !== undefined && existsSync(this.file)) this.load(this.file);
  }

  /** Highest stored round (0 when empty). */
  get latestRound(): bigint {
    return this.beacons.at(-1)?.round ?? 0n;
  }

  latest(): Beacon | undefined {
    return this.beacons.at(-1);
  }

  get(round: bigint): Beacon | undefined {
    if (round < 1n || round > this.latestRound) return undefined;
    return this.beacons[Number(round) - 1];
  }

  /** Stored beacons with round ≥ from, in order. */
  *from(round: bigint): Generator<Beacon> {
    for (let r = round < 1n ? 1n : round; r <= this.latestRound; r++) {
      const b = this.get(r);
      if (b) yield b;
    }
  }

  /** Appends the beacon of round latestRound+1 (the caller has verified it). */
  append(beacon: Beacon): void {
    if (beacon.round !== this.latestRound + 1n) throw new Error(`beacon store: expected round ${this.latestRound + 1n}, got ${beacon.round}`);
    if (this.file !== undefined) {
      const body = Beacon.encode(beacon).finish();
      const record = Buffer.alloc(4 + body.length);
      record.writeUInt32BE(body.length, 0);
      record.set(body, 4);
      appendFileSync(this.file, record);
    }
    this.beacons.push(beacon);
  }

  private load(file: string): void {
    const data = readFileSync(file);
    let off = 0;
    while (off + 4 <= data.length) {
      const len = data.readUInt32BE(off);
      if (off + 4 + len > data.length) break;
      let beacon: Beacon;
      try {
        beacon = Beacon.decode(data.subarray(off + 4, off + 4 + len));
      } catch {
        break;
      }
      if (beacon.round !== this.latestRound + 1n) break;
      this.beacons.push(beacon);
      off += 4 + len;
    }
    if (off < data.length) truncateSync(file, off);
  }
}
