// SPDX-License-Identifier: Apache-2.0
/**
 * The registered groups of every epoch, this node's secret shares and its own signed DKG outcomes, persisted in
 * the data dir (`groups.json`, mode 0600 because it holds key shares) so a restarted node rejoins without a new
 * DKG and still answers late nodes' outcome requests. Epoch 0's DKG attempt (`dkg-attempt.json`) is kept too: a
 * node restarted after a failed attempt resumes at the attempt the other nodes run, not at the first one.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import type { SecretShare } from "../crypto/index.js";
import type { DkgPacket } from "../gen/relaylab/v1/protocol.js";
import type { RegisteredGroup } from "../beacon/group-set.js";
import { writeDurably } from "./data-dir.js";

/** One epoch's registration as stored. */
export interface PersistedGroups {
  readonly epoch: bigint;
  readonly firstRound: bigint;
  readonly groups: readonly RegisteredGroup[];
  readonly shares: ReadonlyMap<number, SecretShare>;
  /** This node's signed outcome packet per candidate group it ran the DKG in. */
  readonly outcomes: ReadonlyMap<number, DkgPacket>;
}

interface EpochRecord {
  epoch: string;
  firstRound: string;
  groups: { index: number; candidate: number; members: number[]; threshold: number; commitments: string[] }[];
  shares: { group: number; index: number; secret: string }[];
  /** Absent in files written before outcomes were kept. */
  outcomes?: { candidate: number; body: string; signature: string }[];
}

const FILE = "groups.json";
const ATTEMPT_FILE = "dkg-attempt.json";

/** Writes every epoch atomically and durably (writeDurably), owner-readable only. */
export function saveGroups(dataDir: string, epochs: readonly PersistedGroups[]): void {
  const doc: { epochs: EpochRecord[] } = {
    epochs: epochs.map((value) => ({
      epoch: value.epoch.toString(),
      firstRound: value.firstRound.toString(),
      groups: value.groups.map((g) => ({ ...g, members: [...g.members], commitments: g.commitments.map(bytesToHex) })),
      shares: [...value.shares].map(([group, s]) => ({ group, index: s.index, secret: s.secret.toString(16) })),
      outcomes: [...value.outcomes].map(([candidate, p]) => ({ candidate, body: bytesToHex(p.body), signature: bytesToHex(p.signature) })),
    })),
  };
  writeDurably(join(dataDir, FILE), JSON.stringify(doc), 0o600);
}

/** Loads what saveGroups wrote (empty when the data dir has none). */
export function loadGroups(dataDir: string): PersistedGroups[] {
  const path = join(dataDir, FILE);
  if (!existsSync(path)) return [];
  const doc = JSON.parse(readFileSync(path, "utf8")) as { epochs: EpochRecord[] };
  return doc.epochs.map((e) => ({
    epoch: BigInt(e.epoch),
    firstRound: BigInt(e.firstRound),
    groups: e.groups.map((g) => ({ ...g, commitments: g.commitments.map(hexToBytes) })),
    shares: new Map(e.shares.map((s) => [s.group, { index: s.index, secret: BigInt(`0x${s.secret}`) }])),
    outcomes: new Map((e.outcomes ?? []).map((o) => [o.candidate, { body: hexToBytes(o.body), signature: hexToBytes(o.signature) }])),
  }));
}

/** Records that epoch 0's DKG moved on to `attempt` (written before that attempt starts). */
export function saveDkgAttempt(dataDir: string, attempt: number): void {
  writeDurably(join(dataDir, ATTEMPT_FILE), JSON.stringify({ epoch: "0", attempt }));
}

/** The attempt of epoch 0's DKG this node last started (0 when none was recorded). */
export function loadDkgAttempt(dataDir: string): number {
  const path = join(dataDir, ATTEMPT_FILE);
  if (!existsSync(path)) return 0;
  const { attempt } = JSON.parse(readFileSync(path, "utf8")) as { attempt: unknown };
  if (typeof attempt !== "number" || !Number.isSafeInteger(attempt) || attempt < 0) throw new Error(`${path}: attempt must be a non-negative integer`);
  return attempt;
}
