// SPDX-License-Identifier: Apache-2.0
/**
 * Nodes per core: `npm run bench:scale -- --json FILE [--rounds 300] [--start 16] [--step 16] [--max 128]
 * [--crypto-backend noble|mcl-wasm]` (default the node's; recorded as `cryptoBackend` in the result).
 *
 * Finds the largest local testnet (groups of 16, t = 9, one group per 16 nodes) that this
 * machine sustains at one round per second with zero stalls: each size runs `rounds` rounds;
 * it passes when no round stalled, safety held, and the median round time stayed within 10% of
 * the 1 s period. Sizes grow by `step` until one fails; a failed size records why (`problems`).
 */
import { availableParallelism } from "node:os";
import { benchFlags, benchTopology, CRYPTO_BACKEND_OPTION, cryptoBackendFlag, measuredRun, numberFlag, writeResult } from "./support.js";

const flags = benchFlags({ rounds: { type: "string" }, start: { type: "string" }, step: { type: "string" }, max: { type: "string" }, ...CRYPTO_BACKEND_OPTION });
const rounds = numberFlag(flags, "rounds", 300);
const start = numberFlag(flags, "start", 16);
const step = numberFlag(flags, "step", 16);
const max = numberFlag(flags, "max", 128);
const [groupSize, threshold, periodSeconds] = [16, 9, 1];
const cryptoBackend = cryptoBackendFlag(flags);

const attempts: { nodes: number; passed: boolean; stalls: number; p50RoundSeconds: number | null; p99RoundSeconds: number | null; rounds: number; problems?: readonly string[] }[] = [];
let maxNodes = 0;
for (let nodes = start; nodes <= max; nodes += step) {
  const groups = Math.max(1, Math.floor(nodes / groupSize));
  process.stderr.write(`scale: ${nodes} nodes, ${groups} groups of ${groupSize}, ${rounds} rounds\n`);
  const s = await measuredRun(benchTopology(nodes, groups, groupSize, threshold, { minRoundPeriodMs: periodSeconds * 1000, shareRetransmitMs: 500, stallTimeoutMs: 5000, dkgTimeoutMs: 300_000 }), rounds, cryptoBackend);
  // The run's intervals include the 1 s period; "sustains one round per second" = median within 10% of it.
  const measured = s.rounds > 1;
  const passed = measured && s.rounds >= rounds && s.stalls === 0 && s.nodeStallEvents === 0 && s.safety.agreed && s.roundLatencySeconds.p50 <= periodSeconds * 1.1;
  attempts.push({
    nodes,
    passed,
    stalls: s.stalls,
    p50RoundSeconds: measured ? s.roundLatencySeconds.p50 : null,
    p99RoundSeconds: measured ? s.roundLatencySeconds.p99 : null,
    rounds: s.rounds,
    ...(passed ? {} : { problems: s.problems }),
  });
  if (!passed) break;
  maxNodes = nodes;
}
writeResult(flags, { cryptoBackend, maxNodes, cores: availableParallelism(), groupSize, threshold, rounds, attempts });
