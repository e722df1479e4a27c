// SPDX-License-Identifier: Apache-2.0
// Malformed and oversized messages, unknown senders and bad identity signatures are
// dropped and counted, and the node keeps running.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { hexToBytes } from "@noble/hashes/utils.js";
import { test } from "node:test";
import { DkgBody, Envelope } from "../src/gen/relaylab/v1/protocol.js";
import { probeExchange } from "../src/client/index.js";
import { signedHello } from "../src/net/hello.js";
import { generateIdentity } from "../src/identity/index.js";
import { NODE_METRICS } from "../src/metrics/names.js";
import { sample, scrape } from "./harness/metrics.js";
import { useProcessTestnet } from "./harness/fixture.js";
import { waitFor } from "./harness/wait.js";

const fx = useProcessTestnet({ nodes: 4, groups: 1, size: 4, threshold: 3 }, { ready: (f) => f.cluster.waitForRound(2n) });
/** Opens a raw Exchange stream to node 0 and writes what `build` makes of its challenge; resolves with the call's status. */
function exchange(build: (challenge: Uint8Array) => Uint8Array[]): Promise<grpc.StatusObject> {
  return probeExchange(fx.cluster.node(0).addresses.grpc, fx.net.genesis.nodes[0]?.certificate, build);
}

function hello(from: number, secret: Uint8Array, challenge: Uint8Array): Uint8Array {
  return signedHello({ subnet: fx.net.genesis.subnet, from, to: 0, challenge, timeMs: Date.now() }, secret);
}

async function dropped(reason: string): Promise<number> {
  return sample(await scrape(fx.cluster.node(0).addresses.metrics), NODE_METRICS.messagesDropped, { reason });
}

test("garbage before a hello, unknown senders and forged hellos are dropped and counted", async () => {
  const before = { malformed: await dropped("malformed"), unknown: await dropped("unknown_sender"), bad: await dropped("bad_signature") };
  const share = Envelope.encode({ share: { round: 1n, group: 0, index: 1, signature: new Uint8Array(48), epoch: 0n } }).finish();
  await exchange(() => [Buffer.from("\xff\xff\xff\xff not protobuf", "latin1")]);
  await exchange(() => [share]); // no hello first
  await exchange((c) => [hello(99, hexToBytes(generateIdentity().secretKey), c), share]); // index not in genesis
  await exchange((c) => [hello(1, hexToBytes(generateIdentity().secretKey), c), share]); // node 1's index, wrong key
  await waitFor("drop counters", async () => {
    const now = { malformed: await dropped("malformed"), unknown: await dropped("unknown_sender"), bad: await dropped("bad_signature") };
    return now.malformed >= before.malformed + 1 && now.unknown >= before.unknown + 2 && now.bad >= before.bad + 1 ? now : undefined;
  }, { timeoutMs: 30_000 });
});

test("a Hello replayed from another stream, or signed without the stream's challenge, is refused and counted", async () => {
  const key1 = hexToBytes(fx.net.identities[1]?.secretKey ?? "");
  const share = Envelope.encode({ share: { round: 1n << 40n, group: 0, index: 2, signature: new Uint8Array(48), epoch: 0n } }).finish();
  const before = await dropped("bad_signature");
  // A genuine Hello of node 1, as one who saw it on one stream (the TLS links keep path attackers out) holds it...
  let captured: Uint8Array | undefined;
  const first = await exchange((c) => {
    captured = hello(1, key1, c);
    return [captured];
  });
  assert.equal(first.code, grpc.status.OK, "node 1's own Hello opens its stream");
  // ...is refused on the next stream, whose challenge differs, and so is one that signs no challenge.
  const replayed = await exchange(() => [captured ?? new Uint8Array(), share]);
  assert.equal(replayed.code, grpc.status.UNAUTHENTICATED);
  const unchallenged = await exchange(() => [hello(1, key1, new Uint8Array()), share]);
  assert.equal(unchallenged.code, grpc.status.UNAUTHENTICATED);
  await waitFor("bad_signature drops", async () => ((await dropped("bad_signature")) >= before + 2 ? true : undefined), { timeoutMs: 30_000 });
});

test("an authenticated peer's oversized, malformed and forged messages are dropped and counted", async () => {
  const key1 = hexToBytes(fx.net.identities[1]?.secretKey ?? "");
  const before = { oversized: await dropped("oversized"), malformed: await dropped("malformed"), bad: await dropped("bad_signature"), round: await dropped("wrong_round") };
  // An outcome request: a decided DKG still answers (and so authenticates) those, while it ignores other late packets unread.
  const forgedDkg = Envelope.encode({ dkg: { body: DkgBody.encode({ epoch: 0n, group: 0, sender: 2, attempt: 0, outcomeRequest: {} }).finish(), signature: new Uint8Array(64) } }).finish();
  const farFuture = Envelope.encode({ share: { round: 1n << 40n, group: 0, index: 2, signature: new Uint8Array(48), epoch: 0n } }).finish();
  await exchange((c) => [
    hello(1, key1, c),
    new Uint8Array(300 * 1024), // over the 256 KiB envelope limit
    Buffer.from([0x0a, 0xff, 0xff, 0xff]), // truncated length-delimited field
    forgedDkg, // DKG outcome request claiming node 2, signature of zeros
    farFuture,
  ]);
  await waitFor("drop counters", async () => {
    const now = { oversized: await dropped("oversized"), malformed: await dropped("malformed"), bad: await dropped("bad_signature"), round: await dropped("wrong_round") };
    return now.oversized > before.oversized && now.malformed > before.malformed && now.bad > before.bad && now.round > before.round ? now : undefined;
  }, { timeoutMs: 30_000 });
});

test("a share claimed for another member is counted as an unknown sender", async () => {
  const key1 = hexToBytes(fx.net.identities[1]?.secretKey ?? "");
  const shares = async (): Promise<number> => sample(await scrape(fx.cluster.node(0).addresses.metrics), NODE_METRICS.shares, { result: "unknown_sender" });
  const before = await shares();
  // Node 1 sends a share for the open round under every share index; those of other members are not its to send.
  // Rounds are short here: when one closes before the shares arrive they count as late, so try again.
  await waitFor(
    "unknown_sender shares",
    async () => {
      const status = await fx.cluster.status(0);
      const messages = [1, 2, 3, 4].map((index) => Envelope.encode({ share: { round: status.round + 1n, group: 0, index, signature: new Uint8Array(48), epoch: 0n } }).finish());
      await exchange((c) => [hello(1, key1, c), ...messages]);
      return (await shares()) > before ? true : undefined;
    },
    { timeoutMs: 60_000 },
  );
});

test("the node is still running and producing beacons", async () => {
  const round = (await fx.cluster.status(0)).round;
  await fx.cluster.waitForRound(round + 3n);
  assert.equal(fx.cluster.node(0).child.exitCode, null);
});
