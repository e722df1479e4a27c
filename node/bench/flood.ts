// SPDX-License-Identifier: Apache-2.0
/**
 * Flood benchmark: `npm run bench:flood -- [--seconds S] [--json FILE]` from the repository root.
 * Starts a real 3-node testnet (separate node processes, group of 3, threshold 2). This process then acts as a
 * byzantine node 2: it holds node 2's identity key (node 2 also runs honestly) and, one message type at a
 * time for S seconds each, floods node 0 with shares for junk rounds and with garbage signatures, DKG packets
 * (signed junk for a DKG not started yet, and unsigned garbage), beacons with bad signatures for the open
 * round, SyncChain requests it never reads, and 64 KiB ingress messages. Before and after each phase it reads
 * node 0's resident memory (process_resident_memory_bytes) and the subnet's round, so the report shows what
 * each flood costs in memory and whether beacons kept coming. Exits 1 when a phase stalled the subnet,
 * 2 on bad flags.
 */
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { hexToBytes } from "@noble/hashes/utils.js";
import { systemClock } from "../src/clock.js";
import { FaultController } from "../src/faults/controller.js";
import { DkgBody, ProtocolClient, type Envelope } from "../src/gen/relaylab/v1/protocol.js";
import { signWithIdentity } from "../src/identity/index.js";
import { silentLogger } from "../src/log.js";
import { NODE_METRICS, PROCESS_METRICS } from "../src/metrics/names.js";
import { Transport } from "../src/net/transport.js";
import { ProcessCluster } from "../test/harness/cluster.js";
import { sample, scrape } from "../test/harness/metrics.js";
import { pinnedChannel } from "../src/net/tls.js";
import { createTestnet } from "../test/harness/testnet.js";

const ATTACKER = 2;
const TARGET = 0;

function usageError(message: string): never {
  process.stderr.write(`bench:flood: ${message} (usage: npm run bench:flood -- [--seconds S] [--json FILE])\n`);
  process.exit(2);
}

interface Phase {
  readonly name: string;
  readonly sent: number;
  readonly rssBeforeMiB: number;
  readonly rssAfterMiB: number;
  readonly roundBefore: number;
  readonly roundAfter: number;
  readonly dropped: Record<string, number>;
}

const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));

async function main(): Promise<void> {
  let values: { json?: string | undefined; seconds?: string | undefined };
  try {
    ({ values } = parseArgs({ options: { json: { type: "string" }, seconds: { type: "string" } }, allowPositionals: false }));
  } catch (err) {
    usageError((err as Error).message);
  }
  const seconds = values.seconds === undefined ? 20 : Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds < 1) usageError(`--seconds must be a number of at least 1, got '${values.seconds ?? ""}'`);

  const net = await createTestnet({ nodes: 3, groups: 1, size: 3, threshold: 2, timings: { minRoundPeriodMs: 500 } });
  const cluster = new ProcessCluster(net);
  const secret = hexToBytes(net.identities[ATTACKER]?.secretKey ?? "");
  const log = silentLogger();
  const transport = new Transport({ self: ATTACKER, genesis: net.genesis, identitySecret: secret, clock: systemClock, faults: new FaultController(() => "dc-a", systemClock, log, null), log, metrics: null });
  const phases: Phase[] = [];
  let failed = false;
  try {
    process.stderr.write("starting 3 nodes…\n");
    await cluster.startAll();
    await cluster.waitForRound(3n, 300_000);
    const node = cluster.node(TARGET);
    const target = net.genesis.nodes[TARGET]?.address ?? "";
    const pinned = pinnedChannel(net.genesis.nodes[TARGET]?.certificate);
    const protocol = new ProtocolClient(target, pinned.credentials, pinned.options);
    const metrics = async (): Promise<{ rss: number; round: number; dropped: Record<string, number> }> => {
      const text = await scrape(node.addresses.metrics);
      const dropped: Record<string, number> = {};
      for (const reason of ["malformed", "bad_signature", "wrong_round", "wrong_group", "over_quota", "oversized", "unknown_sender"]) dropped[reason] = sample(text, NODE_METRICS.messagesDropped, { reason });
      return { rss: sample(text, PROCESS_METRICS.residentMemory) / 2 ** 20, round: sample(text, NODE_METRICS.beaconRound), dropped };
    };
    const dkgDomain = `dkg/${net.genesis.subnet}`;
    /** [name, messages per 50 ms tick, one flood step]: paced so node 0 receives the flood instead of this process's send buffer dropping it. */
    const floods: [string, number, () => Promise<number> | number][] = [
      ["shares (junk rounds, garbage signatures)", 100, () => {
        const round = BigInt(Date.now());
        transport.send(TARGET, { share: { round, group: 0, index: 3, signature: random(48), epoch: 0n } });
        transport.send(TARGET, { share: { round: 1n, group: 0, index: 3, signature: random(48), epoch: 0n } });
        return 2;
      }],
      ["DKG packets (signed junk for a later epoch, unsigned garbage)", 50, () => {
        const body = DkgBody.encode({ epoch: 1n, group: 0, sender: ATTACKER, attempt: 0, outcome: { qualified: [Date.now() % 1000], commitments: [random(96)], failed: false } }).finish();
        transport.send(TARGET, { dkg: { body, signature: signWithIdentity(secret, dkgDomain, body) } });
        transport.send(TARGET, { dkg: { body: random(512), signature: random(64) } });
        return 2;
      }],
      ["beacons (bad signatures, repeated and new)", 20, async () => {
        const status = await cluster.status(TARGET);
        const repeated: Envelope = { beacon: { round: status.round + 1n, signature: new Uint8Array(48).fill(7), previousSignature: new Uint8Array(48), group: 0, epoch: 0n } };
        transport.send(TARGET, repeated);
        transport.send(TARGET, { beacon: { round: status.round + 1n, signature: random(48), previousSignature: random(48), group: 0, epoch: 0n } });
        return 2;
      }],
      ["SyncChain requests, never read", 5, () => {
        const stream = protocol.syncChain({ fromRound: 1n, requester: ATTACKER });
        stream.pause();
        stream.on("error", () => undefined);
        setTimeout(() => stream.cancel(), 5_000);
        return 1;
      }],
      ["ingress messages (64 KiB each)", 20, async () => {
        await node.client.submitMessage(random(64 * 1024), { deadlineMs: 30_000 }).catch(() => undefined);
        return 1;
      }],
    ];
    for (const [name, perTick, flood] of floods) {
      const before = await metrics();
      process.stderr.write(`${name}: flooding for ${seconds} s (node ${TARGET} RSS ${before.rss.toFixed(1)} MiB, round ${before.round})…\n`);
      let sent = 0;
      const until = Date.now() + seconds * 1000;
      while (Date.now() < until) {
        for (let i = 0; i < perTick; i++) sent += await flood();
        await new Promise((r) => setTimeout(r, 50));
      }
      // Let the node settle, then check beacons kept coming.
      const roundAt = before.round;
      await cluster.waitForRound(BigInt(roundAt + 2), 120_000, [TARGET]).catch(() => undefined);
      const after = await metrics();
      const dropped: Record<string, number> = {};
      for (const [reason, n] of Object.entries(after.dropped)) if (n !== (before.dropped[reason] ?? 0)) dropped[reason] = n - (before.dropped[reason] ?? 0);
      const phase: Phase = { name, sent, rssBeforeMiB: Number(before.rss.toFixed(1)), rssAfterMiB: Number(after.rss.toFixed(1)), roundBefore: before.round, roundAfter: after.round, dropped };
      phases.push(phase);
      process.stderr.write(`${name}: sent ${sent}, RSS ${phase.rssBeforeMiB} → ${phase.rssAfterMiB} MiB, round ${phase.roundBefore} → ${phase.roundAfter}, dropped ${JSON.stringify(dropped)}\n`);
      if (after.round < roundAt + 2) failed = true;
    }
    protocol.close();
  } finally {
    transport.close();
    await cluster.stopAll();
    net.remove();
  }
  const report = { loadAverage1m: Number((loadavg()[0] ?? 0).toFixed(1)), secondsPerPhase: seconds, phases, subnetKeptProducing: !failed };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (values.json !== undefined) {
    const file = resolve(process.env.INIT_CWD ?? process.cwd(), values.json);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`wrote ${file}\n`);
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
