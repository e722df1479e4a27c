// SPDX-License-Identifier: Apache-2.0
/**
 * Bandwidth per group signature: `npm run bench:bandwidth -- --json FILE` from the repository root.
 *
 * Simulates a subnet of g nodes forming one group of g members (threshold t) in one process: every node runs the
 * real BeaconEngine (small fan-in to the round's aggregators, a fan-out that doubles per retransmit interval
 * without a beacon, beacon broadcast, late-share replies, SyncChain catch-up) with trusted-dealer key shares and real
 * noble BLS crypto. Messages are encoded with the generated protobuf codec and charged the framing of
 * node/src/net/framing.ts (5-B gRPC prefix + 9-B HTTP/2 DATA header per message on the long-lived Exchange
 * stream); SyncChain calls also pay HEADERS frames (bandwidth/simulator.ts). Per member and round, bytes sent
 * plus received are attributed to the round the message names; rounds 2..R+1 are measured (round 1 starts all
 * members at once), and the run continues until every live node accepted round R+2 so late messages count.
 *
 * Flags: --json FILE, --rounds R (default 3), --g G (400), --t T (201), --seed N, --rows a,b|all (default: the
 * rows not marked opt-in; engine-escalated costs every member a recovery per round, ~10 CPU-minutes at g = 400).
 * Not a test: prints a table and writes {"g","t","meanBytesPerMember","p99BytesPerMember", …, "rows": […]}.
 */
import { execSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { previousOfFirstRound } from "../src/beacon/chain.js";
import { AGGREGATORS, pickAggregators } from "../src/beacon/engine.js";
import { GroupSet } from "../src/beacon/group-set.js";
import { drawGroups } from "../src/beacon/groups.js";
import { parseGenesis, type Genesis, type Timings } from "../src/config/index.js";
import { dealShares, type SecretShare } from "../src/crypto/index.js";
import { quantile } from "../src/metrics/quantile.js";
import { Envelope } from "../src/gen/relaylab/v1/protocol.js";
import { STREAM_MESSAGE_FRAMING_BYTES, wireBytes } from "../src/net/framing.js";
import { Simulation, type ByteKind, type RoundBytes } from "./bandwidth/simulator.js";

/** One configuration of the simulated group. */
interface Row {
  readonly name: string;
  readonly description: string;
  readonly timings: Partial<Timings>;
  readonly cpuScale: number;
  /** Fraction of nodes crashed before the start. */
  readonly crashed: number;
  /** Measure at most this many rounds (for rows whose rounds are slow to simulate). */
  readonly maxRounds?: number;
  /** Run only when named in --rows (or --rows all): minutes of CPU per round. */
  readonly optIn?: boolean;
}

const ROWS: readonly Row[] = [
  {
    name: "engine",
    description: "BeaconEngine as committed, genesis default timings, crypto at this machine's measured CPU speed",
    timings: {},
    cpuScale: 1,
    crashed: 0,
  },
  {
    name: "engine-free-crypto",
    description: "same, but handlers take no virtual time (the protocol's own bytes with instant crypto)",
    timings: {},
    cpuScale: 0,
    crashed: 0,
  },
  {
    name: "engine-escalated",
    description:
      "BeaconEngine as committed with shareRetransmitMs 100: no beacon arrives within the retransmit interval, so members escalate, re-sending to twice as many members per retransmit (what happens when the round's aggregators are slow or unreachable); 1 measured round",
    timings: { shareRetransmitMs: 100 },
    cpuScale: 1,
    crashed: 0,
    maxRounds: 1,
    optIn: true,
  },
];

const KINDS: readonly ByteKind[] = ["shareSent", "shareReceived", "beaconSent", "beaconReceived", "syncSent", "syncReceived"];

interface RowResult {
  name: string;
  description: string;
  timings: Timings;
  cpuScale: number;
  crashedNodes: number;
  measuredRounds: string;
  samples: number;
  meanBytesPerMember: number;
  p50BytesPerMember: number;
  p99BytesPerMember: number;
  maxBytesPerMember: number;
  meanBytesPerAggregator: number;
  meanBytesPerOtherMember: number;
  meanByKind: Record<ByteKind, number>;
  meanMessagesPerMember: number;
  /** Members that sent their share to more than the AGGREGATORS (escalated), mean per round. */
  escalatedMembersPerRound: number;
  groupBytesPerSignature: number;
  /** Mean bytes per member if every message also paid 40 B of TCP/IPv4 headers (one segment each, no ACKs). */
  meanBytesPerMemberWithTcpIp: number;
  meanRoundMs: number;
  wallSeconds: number;
}

function main(): void {
  const { values } = parseArgs({
    options: { json: { type: "string" }, rounds: { type: "string" }, g: { type: "string" }, t: { type: "string" }, seed: { type: "string" }, rows: { type: "string" } },
  });
  const g = intFlag(values.g, 400, "g");
  const t = intFlag(values.t, Math.floor(g / 2) + 1, "t");
  const rounds = intFlag(values.rounds, 3, "rounds");
  const seed = intFlag(values.seed, 1, "seed");
  const wanted = values.rows === "all" ? ROWS.map((r) => r.name) : (values.rows?.split(",") ?? ROWS.filter((r) => r.optIn !== true).map((r) => r.name));
  const unknown = wanted.filter((w) => !ROWS.some((r) => r.name === w));
  if (unknown.length > 0) throw new Error(`unknown --rows ${unknown.join(",")}; known: ${ROWS.map((r) => r.name).join(",")}`);

  const loadBefore = loadavg();
  process.stderr.write(`dealing a (${t}, ${g}) sharing…\n`);
  const dealt = dealShares(t, g);
  const results = ROWS.filter((r) => wanted.includes(r.name)).map((row) => {
    process.stderr.write(`row ${row.name}…\n`);
    const result = runRow(row, g, t, Math.min(rounds, row.maxRounds ?? rounds), seed, dealt.commitments, dealt.secretShares);
    process.stderr.write(`  mean ${result.meanBytesPerMember} B, p99 ${result.p99BytesPerMember} B, ${result.wallSeconds} s\n`);
    return result;
  });
  const loadAfter = loadavg();
  const [first] = results;
  if (first === undefined) throw new Error("no rows ran");
  printTable(results);
  const report = {
    g,
    t,
    meanBytesPerMember: first.meanBytesPerMember,
    p99BytesPerMember: first.p99BytesPerMember,
    row: first.name,
    target: { meanBytesPerMember: 20_000, stretch: 12_000 },
    messageBytes: messageSizes(),
    framingBytesPerMessage: STREAM_MESSAGE_FRAMING_BYTES,
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? "unknown", node: process.version, loadavgBefore: loadBefore, loadavgAfter: loadAfter, at: new Date().toISOString() },
    command: `npm run bench:bandwidth -- ${process.argv.slice(2).join(" ")}`.trim(),
    commit: gitHead(),
    rows: results,
  };
  if (values.json !== undefined) {
    // npm runs workspace scripts in the workspace folder; resolve FILE against where the command was typed.
    const target = resolve(process.env.INIT_CWD ?? process.cwd(), values.json);
    writeFileSync(target, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`wrote ${target}\n`);
  }
}

function runRow(row: Row, g: number, t: number, rounds: number, seed: number, commitments: Uint8Array[], secretShares: readonly SecretShare[]): RowResult {
  const random = mulberry32(seed);
  const genesis = genesisFor(g, t, row.timings, seed);
  const [members] = drawGroups(genesis.seed, 0n, g, 1, g);
  if (members === undefined) throw new Error("drawGroups returned no group");
  const groups = new GroupSet(0n, 1n, [{ index: 0, candidate: 0, members, threshold: t, commitments }]);
  const shares = genesis.nodes.map((n) => {
    const position = members.indexOf(n.index);
    const share = secretShares[position];
    return share === undefined ? new Map<number, SecretShare>() : new Map([[0, share]]);
  });
  const down = new Set<number>();
  while (down.size < Math.floor(row.crashed * g)) down.add(Math.floor(random() * g));
  const latency = latencyModel(g, random);
  const sim = new Simulation({ genesis, groups, shares, latencyMs: latency, cpuScale: row.cpuScale, down, random });
  const live = genesis.nodes.map((n) => n.index).filter((i) => !down.has(i));
  const last = BigInt(rounds + 2);
  const started = performance.now();
  simulate(sim, live, last, started);
  const wallSeconds = (performance.now() - started) / 1000;
  if (!live.every((i) => (sim.stores[i]?.latestRound ?? 0n) >= last)) throw new Error(`row ${row.name}: not every live node reached round ${last} within an hour of virtual time`);

  const samples: number[] = [];
  const aggregatorSamples: number[] = [];
  const otherSamples: number[] = [];
  const byKind = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<ByteKind, number>;
  let messages = 0;
  let escalated = 0;
  let groupBytes = 0;
  let roundMs = 0;
  const reference = sim.stores[live[0] ?? 0];
  for (let r = 2n; r <= BigInt(rounds + 1); r++) {
    const previous = reference?.get(r - 1n)?.signature ?? previousOfFirstRound(genesis.seed);
    const aggregators = new Set(pickAggregators(previous, members));
    for (const node of live) {
      const bytes: RoundBytes | undefined = sim.ledger[node]?.get(r);
      const total = bytes === undefined ? 0 : KINDS.reduce((sum, k) => sum + bytes[k], 0);
      groupBytes += bytes === undefined ? 0 : bytes.shareSent + bytes.beaconSent + bytes.syncSent;
      if (!members.includes(node)) continue;
      samples.push(total);
      (aggregators.has(node) ? aggregatorSamples : otherSamples).push(total);
      for (const k of KINDS) byKind[k] += bytes?.[k] ?? 0;
      messages += (bytes?.messagesSent ?? 0) + (bytes?.messagesReceived ?? 0);
      if (!aggregators.has(node) && (bytes?.shareSent ?? 0) > AGGREGATORS * shareWire()) escalated++;
    }
    roundMs += Math.max(...live.map((i) => sim.acceptedAt[i]?.get(r) ?? 0)) - Math.max(...live.map((i) => sim.acceptedAt[i]?.get(r - 1n) ?? 0));
  }
  samples.sort((a, b) => a - b);
  const n = samples.length;
  const mean = (xs: readonly number[]): number => (xs.length === 0 ? 0 : Math.round(xs.reduce((a, b) => a + b, 0) / xs.length));
  return {
    name: row.name,
    description: row.description,
    timings: genesis.timings,
    cpuScale: row.cpuScale,
    crashedNodes: down.size,
    measuredRounds: `2..${rounds + 1}`,
    samples: n,
    meanBytesPerMember: mean(samples),
    p50BytesPerMember: quantile(samples, 0.5),
    p99BytesPerMember: quantile(samples, 0.99),
    maxBytesPerMember: samples[n - 1] ?? 0,
    meanBytesPerAggregator: mean(aggregatorSamples),
    meanBytesPerOtherMember: mean(otherSamples),
    meanByKind: Object.fromEntries(KINDS.map((k) => [k, Math.round(byKind[k] / Math.max(1, n))])) as Record<ByteKind, number>,
    meanMessagesPerMember: Math.round((messages / Math.max(1, n)) * 10) / 10,
    escalatedMembersPerRound: Math.round((escalated / rounds) * 10) / 10,
    groupBytesPerSignature: Math.round(groupBytes / rounds),
    meanBytesPerMemberWithTcpIp: Math.round(mean(samples) + (40 * messages) / Math.max(1, n)),
    meanRoundMs: Math.round(roundMs / rounds),
    wallSeconds: Math.round(wallSeconds * 10) / 10,
  };
}

/** Runs the simulation until every live node has accepted round `last`, printing progress. */
function simulate(sim: Simulation, live: readonly number[], last: bigint, started: number): void {
  let reached = 0n;
  sim.start();
  sim.runUntil(() => {
    const lowest = live.reduce((min, i) => {
      const r = sim.stores[i]?.latestRound ?? 0n;
      return r < min ? r : min;
    }, last);
    if (lowest > reached) {
      reached = lowest;
      process.stderr.write(`  every node has round ${lowest} (virtual ${(sim.now / 1000).toFixed(2)} s, ${((performance.now() - started) / 1000).toFixed(0)} s real)\n`);
    }
    return lowest >= last;
  }, 3_600_000);
  sim.stop();
}

/** A genesis of g nodes (addresses are never dialled: the network is simulated) forming one group of g. */
function genesisFor(g: number, t: number, timings: Partial<Timings>, seed: number): Genesis {
  const hex = (i: number): string => (i + 1).toString(16).padStart(64, "0");
  return parseGenesis({
    version: 1,
    subnet: "bandwidth",
    seed: hex(seed),
    nodes: Array.from({ length: g }, (_, i) => ({ index: i, address: `127.0.0.1:${10_000 + i}`, identityKey: hex(i), dataCenter: `dc-${i % 4}` })),
    groups: { count: 1, size: g, threshold: t },
    timings,
  });
}

/**
 * One-way latency: nodes sit in 4 data centers (dc-(i mod 4)); 1 ms inside a data center, 10–60 ms between two
 * (drawn once per pair of data centers), plus 0–5 ms fixed per node pair.
 */
function latencyModel(g: number, random: () => number): (from: number, to: number) => number {
  const dcs = 4;
  const between = Array.from({ length: dcs * dcs }, () => 10 + 50 * random());
  const jitter = Array.from({ length: g }, () => 5 * random());
  return (from, to) => {
    const [a, b] = [from % dcs, to % dcs];
    const base = a === b ? 1 : (between[Math.min(a, b) * dcs + Math.max(a, b)] ?? 30);
    return base + ((jitter[from] ?? 0) + (jitter[to] ?? 0)) / 2;
  };
}

/** Wire bytes of a share envelope for a typical round (what the escalation check compares against). */
function shareWire(): number {
  return wireBytes(Envelope.encode({ share: { round: 3n, group: 0, index: 200, signature: new Uint8Array(48), epoch: 0n } }).finish().length);
}

/** Encoded and wire sizes of the two per-round messages, for the report. */
function messageSizes(): Record<string, number> {
  const share = Envelope.encode({ share: { round: 3n, group: 0, index: 200, signature: new Uint8Array(48), epoch: 0n } }).finish().length;
  const beacon = Envelope.encode({ beacon: { round: 3n, signature: new Uint8Array(48), previousSignature: new Uint8Array(48), group: 0, epoch: 0n } }).finish().length;
  return { shareEnvelope: share, shareWire: wireBytes(share), beaconEnvelope: beacon, beaconWire: wireBytes(beacon) };
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function intFlag(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return n;
}

function gitHead(): string {
  try {
    return execSync("git rev-parse --short HEAD", { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

function printTable(results: readonly RowResult[]): void {
  const columns: [string, (r: RowResult) => string][] = [
    ["row", (r) => r.name],
    ["mean B", (r) => String(r.meanBytesPerMember)],
    ["p50 B", (r) => String(r.p50BytesPerMember)],
    ["p99 B", (r) => String(r.p99BytesPerMember)],
    ["max B", (r) => String(r.maxBytesPerMember)],
    ["aggregator B", (r) => String(r.meanBytesPerAggregator)],
    ["other B", (r) => String(r.meanBytesPerOtherMember)],
    ["escalated/round", (r) => String(r.escalatedMembersPerRound)],
    ["group B/sig", (r) => String(r.groupBytesPerSignature)],
    ["round ms", (r) => String(r.meanRoundMs)],
  ];
  const rows = [columns.map(([name]) => name), ...results.map((r) => columns.map(([, cell]) => cell(r)))];
  const widths = columns.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? "").length)));
  process.stdout.write("bytes a member sends + receives per group signature (gRPC + HTTP/2 DATA framing)\n");
  for (const row of rows) process.stdout.write(`${row.map((cell, c) => cell.padStart(widths[c] ?? 0)).join("  ")}\n`);
}

main();
