// SPDX-License-Identifier: Apache-2.0
/**
 * Where a node's CPU goes during beacon rounds: `npx tsx node/bench/profile-summary.ts [--json FILE] P.cpuprofile…`
 * (profiles from bench/cpu-profile.ts). The window is from the first to the last sample inside the beacon
 * engine (so process start-up, module loading and most of the DKG fall outside it); each sample in the window is
 * put in the first category, in the order below, whose frame is on its stack. Prints per-profile and summed
 * milliseconds, and the window's busy (non-idle) share.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

type FrameMatcher = (frame: CallFrame) => boolean;
/** True for a sample whose stack (leaf first) belongs to the category. */
type Matcher = (stack: readonly CallFrame[]) => boolean;
const fn = (...names: string[]): FrameMatcher => (f) => names.includes(f.functionName);
const url = (...parts: string[]): FrameMatcher => (f) => parts.some((p) => f.url.includes(p));
const any = (frame: FrameMatcher): Matcher => (stack) => stack.some(frame);
const all = (...frames: FrameMatcher[]): Matcher => (stack) => frames.every((f) => stack.some(f));

/** Categories, most specific first: a sample goes to the first one that matches its stack. */
const CATEGORIES: readonly [string, Matcher][] = [
  ["idle", any(fn("(idle)"))],
  ["gc", any(fn("(garbage collector)"))],
  ["consensus: BLS crypto", all(url("/src/consensus/"), url("/src/crypto/"))],
  ["consensus: other", any(url("/src/consensus/"))],
  ["dkg", any(url("/src/dkg/", "/crypto/dkg.ts"))],
  ["beacon: verify beacon (pairing check)", any(fn("verifyBeacon"))],
  ["beacon: recover (interpolate + verify once)", any(fn("recoverVerified"))],
  ["beacon: partial verify (fallback)", any(fn("partialVerify"))],
  ["beacon: sign share", any(fn("partialSign"))],
  ["sync", any(url("/net/sync.ts"))],
  ["hello (ed25519)", any(fn("checkHello", "signWithIdentity"))],
  ["protobuf encode/decode", any(url("/src/gen/", "@bufbuild/protobuf"))],
  ["logging (pino)", any(url("/pino/", "sonic-boom", "thread-stream", "/src/log.ts"))],
  ["metrics (prom-client)", any(url("prom-client", "/metrics/"))],
  ["grpc-js + http2", any(url("@grpc/grpc-js", "node:internal/http2", "node:http2"))],
  ["streams/net (node internals)", any(url("node:internal/streams", "node:net", "node:internal/stream_base", "node:internal/net"))],
  ["module loading (tsx/esbuild)", any(url("/tsx/", "esbuild", "node:internal/modules"))],
  ["engine bookkeeping", any(url("/src/beacon/"))],
  ["transport bookkeeping", any(url("/src/net/"))],
  ["faults", any(url("/src/faults/"))],
  ["(program)", any(fn("(program)"))],
];
/** Frames that mark a sample as beacon-round work, for the window. */
const ENGINE: Matcher = any(url("/src/beacon/engine.ts"));

interface Summary {
  file: string;
  windowMs: number;
  busyMs: number;
  byCategory: Record<string, number>;
}

function summarise(file: string): Summary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const stackOf = (id: number): CallFrame[] => {
    const frames: CallFrame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node !== undefined) frames.push(node.callFrame);
    }
    return frames;
  };
  const categoryCache = new Map<number, string>();
  const categoryOf = (id: number): string => {
    let category = categoryCache.get(id);
    if (category === undefined) {
      const stack = stackOf(id);
      category = CATEGORIES.find(([, match]) => match(stack))?.[0] ?? "other";
      categoryCache.set(id, category);
    }
    return category;
  };
  const engineCache = new Map<number, boolean>();
  const inEngine = (id: number): boolean => {
    let value = engineCache.get(id);
    if (value === undefined) {
      value = ENGINE(stackOf(id));
      engineCache.set(id, value);
    }
    return value;
  };
  // Sample i lasts timeDeltas[i + 1] (the delta is recorded at the next sample).
  const times: number[] = [];
  let t = 0;
  for (const delta of profile.timeDeltas) times.push((t += delta));
  const engineSamples = profile.samples.map((id, i) => (inEngine(id) ? i : -1)).filter((i) => i >= 0);
  const first = engineSamples[0] ?? 0;
  const last = engineSamples.at(-1) ?? profile.samples.length - 1;
  const byCategory: Record<string, number> = {};
  for (let i = first; i <= last; i++) {
    const id = profile.samples[i];
    if (id === undefined) continue;
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const category = categoryOf(id);
    byCategory[category] = (byCategory[category] ?? 0) + ms;
  }
  const windowMs = ((times[last] ?? 0) - (times[first] ?? 0)) / 1000;
  const busyMs = Object.entries(byCategory).reduce((sum, [k, v]) => (k === "idle" ? sum : sum + v), 0);
  return { file: basename(file), windowMs, busyMs, byCategory };
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { json: { type: "string" }, rounds: { type: "string" } }, allowPositionals: true });
  if (positionals.length === 0) throw new Error("usage: profile-summary.ts [--rounds R] [--json FILE] PROFILE.cpuprofile…");
  const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
  const summaries = positionals.map(summarise);
  const total: Record<string, number> = {};
  for (const s of summaries) for (const [k, v] of Object.entries(s.byCategory)) total[k] = (total[k] ?? 0) + v;
  const busy = summaries.reduce((sum, s) => sum + s.busyMs, 0);
  const window = summaries.reduce((sum, s) => sum + s.windowMs, 0);
  process.stdout.write(`${summaries.length} profiles, window ${(window / 1000).toFixed(1)} s summed, busy ${(busy / 1000).toFixed(1)} s (${((100 * busy) / window).toFixed(0)}%)\n`);
  const rows = Object.entries(total).filter(([k]) => k !== "idle").sort((a, b) => b[1] - a[1]);
  for (const [category, ms] of rows) {
    const perRound = rounds === undefined ? "" : `  ${(ms / summaries.length / rounds).toFixed(2)} ms/node/round`;
    process.stdout.write(`${category.padEnd(38)} ${ms.toFixed(0).padStart(8)} ms  ${((100 * ms) / busy).toFixed(1).padStart(5)}%${perRound}\n`);
  }
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify({ windowMs: window, busyMs: busy, rounds, total, profiles: summaries }, null, 2)}\n`);
}

main();
