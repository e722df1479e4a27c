// SPDX-License-Identifier: Apache-2.0
/**
 * Round latency at the crypto floor: `npm run bench:latency -- --json FILE [--crypto-backend noble|mcl-wasm]`.
 *
 * Runs a local 16-node testnet (4 groups of 7, t = 4) with minimum round period 0 and compares
 * its median round time with the crypto floor of one round — one partial signature, recovery
 * from t shares and one verification — measured in this process before the testnet starts, so
 * the floor is not inflated by the testnet's own load. Floor and nodes use the same round crypto
 * (--crypto-backend, default the node's), recorded as `cryptoBackend` in the result.
 *
 * It also relates the signing latency (round opened to beacon accepted, no pacing in it) to the CPU floor of the
 * work every node must do per round on this machine:
 *
 *   cpuFloorSeconds = nodes × PAIRING_CHECKS_PER_ROUND × pairingCheckSeconds / cores
 *
 * where a pairing check is one verification of a group signature on the nodes' round crypto, and every node checks
 * three per round: the beacon, and the notarization and finalization certificates of the round's height. With all
 * nodes on `cores` cores, no round can be signed faster than that: `signingRatioToCpuFloor` = signing p50 / floor.
 */
import { availableParallelism } from "node:os";
import { loadRoundCrypto, type RoundCrypto } from "@relaylab/node/crypto/backend";
import { dealShares } from "@relaylab/node/crypto";
import { median as medianOf } from "@relaylab/node/quantile";
import { benchFlags, benchTopology, CRYPTO_BACKEND_OPTION, cryptoBackendFlag, measuredRun, numberFlag, usageError, writeResult } from "./support.js";

const flags = benchFlags({ rounds: { type: "string" }, nodes: { type: "string" }, ...CRYPTO_BACKEND_OPTION });
const rounds = numberFlag(flags, "rounds", 100);
const nodes = numberFlag(flags, "nodes", 16);
const [groups, groupSize, threshold] = [4, 7, 4];
if (nodes < groupSize) usageError(`--nodes must be at least the group size, ${groupSize}; got ${nodes}`);
// The floor is measured with the round crypto the nodes are started with.
const roundCrypto = await loadRoundCrypto(cryptoBackendFlag(flags));

function cryptoFloorSeconds({ partialSign, recoverVerified }: RoundCrypto, iterations: number): number {
  const dealt = dealShares(threshold, groupSize);
  const [first] = dealt.secretShares;
  if (!first) throw new Error("dealShares returned no shares");
  const keyShare = (index: number): Uint8Array => {
    const key = dealt.publicKeyShares[index - 1];
    if (!key) throw new Error(`no public key share ${index}`);
    return key;
  };
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const message = crypto.getRandomValues(new Uint8Array(32));
    const others = dealt.secretShares.slice(1, threshold).map((s) => partialSign(s, message));
    const start = performance.now();
    const own = partialSign(first, message);
    recoverVerified({ groupPublicKey: dealt.groupPublicKey, message, partials: [own, ...others], threshold, publicKeyShare: keyShare });
    samples.push((performance.now() - start) / 1000);
  }
  return medianOf(samples);
}

/** Median time of one pairing check: verifying a recovered group signature, as every node does for each beacon and certificate. */
function pairingCheckSeconds({ partialSign, recoverVerified, verify }: RoundCrypto, iterations: number): number {
  const dealt = dealShares(threshold, groupSize);
  const message = crypto.getRandomValues(new Uint8Array(32));
  const partials = dealt.secretShares.slice(0, threshold).map((s) => partialSign(s, message));
  const { signature } = recoverVerified({ groupPublicKey: dealt.groupPublicKey, message, partials, threshold, publicKeyShare: (i) => dealt.publicKeyShares[i - 1] ?? new Uint8Array() });
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    if (!verify(dealt.groupPublicKey, message, signature)) throw new Error("a recovered group signature did not verify");
    samples.push((performance.now() - start) / 1000);
  }
  return medianOf(samples);
}

/** Group-signature verifications every node does per round: the beacon, and its height's notarization and finalization. */
const PAIRING_CHECKS_PER_ROUND = 3;

const floor = cryptoFloorSeconds(roundCrypto, 30);
const pairingCheck = pairingCheckSeconds(roundCrypto, 30);
const cores = availableParallelism();
const cpuFloor = (nodes * PAIRING_CHECKS_PER_ROUND * pairingCheck) / cores;
const summary = await measuredRun(benchTopology(nodes, groups, groupSize, threshold, { minRoundPeriodMs: 0, shareRetransmitMs: 200, stallTimeoutMs: 5000, dkgTimeoutMs: 120_000 }), rounds, roundCrypto.backend);
const median = summary.roundLatencySeconds.p50;
const signing = summary.signingLatencySeconds.p50;
writeResult(flags, {
  cryptoBackend: roundCrypto.backend,
  medianRoundSeconds: median,
  cryptoFloorSeconds: floor,
  ratio: floor > 0 ? median / floor : 0,
  roundsPerSecond: median > 0 ? 1 / median : 0,
  signingP50Seconds: signing,
  signingP99Seconds: summary.signingLatencySeconds.p99,
  pairingCheckSeconds: pairingCheck,
  pairingChecksPerRound: PAIRING_CHECKS_PER_ROUND,
  cores,
  cpuFloorSeconds: cpuFloor,
  signingRatioToCpuFloor: cpuFloor > 0 ? signing / cpuFloor : 0,
  nodes,
  groups,
  groupSize,
  threshold,
  rounds: summary.rounds,
  p99RoundSeconds: summary.roundLatencySeconds.p99,
  stalls: summary.stalls,
  safe: summary.safety.agreed,
});
