// SPDX-License-Identifier: Apache-2.0
// Epoch 0 has no previous groups to carry over, so a DKG that registers no group is retried with fresh candidate
// groups. EpochManagers in one process over an in-memory network (manual clock): n = 4, two candidates of 3 with
// t = 3, and nodes 2 and 3 cut off during the first attempt, so every candidate (any 3 of the 4 nodes) misses a
// member and fails. Nodes 0 and 1 decide that early, 2 and 3 at the DKG timeout; all retry, and the second
// attempt registers the same groups everywhere, while replayed packets of the first attempt are dropped.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { pino } from "pino";
import { drawGroups } from "../../src/beacon/groups.js";
import { parseGenesis } from "../../src/config/index.js";
import { epochZeroRandomness } from "../../src/dkg/epochs.js";
import { DkgBody, type DkgPacket } from "../../src/gen/relaylab/v1/protocol.js";
import { generateIdentity, signWithIdentity } from "../../src/identity/index.js";
import { NODE_METRICS } from "../../src/metrics/names.js";
import { sample } from "../harness/metrics.js";
import { epochNetwork } from "./epoch-net.js";

const N = 4;
const CUT_OFF = [2, 3];
const identities = Array.from({ length: N }, () => generateIdentity());
const secrets = identities.map((id) => hexToBytes(id.secretKey));
const genesis = parseGenesis({
  version: 1,
  subnet: "dkg-retry",
  seed: "5e".repeat(32),
  nodes: identities.map((id, index) => ({ index, address: `127.0.0.1:${7300 + index}`, identityKey: id.publicKey, dataCenter: "dc-a" })),
  groups: { count: 2, size: 3, threshold: 3 },
  timings: { minRoundPeriodMs: 0, shareRetransmitMs: 100, stallTimeoutMs: 5000, dkgTimeoutMs: 6000 },
});
const root = mkdtempSync(join(tmpdir(), "relaylab-dkg-retry-"));
after(() => rmSync(root, { recursive: true, force: true }));

const attemptOf = (packet: DkgPacket): number => DkgBody.decode(packet.body).attempt;

/** The network of the tests: nodes 2 and 3 are cut off from every packet of the first attempt. */
function network(dirs: readonly string[]) {
  const logs: string[][] = dirs.map(() => []);
  const net = epochNetwork({
    genesis,
    secrets,
    dirs,
    log: (self) => pino({ level: "info" }, { write: (line: string) => logs[self]!.push(line) }),
    deliver: (from, to, packet) => attemptOf(packet) !== 0 || !(CUT_OFF.includes(from) || CUT_OFF.includes(to)),
  });
  /** Every packet of the first attempt that was sent, delivered or not. */
  const firstAttempt = (): DkgPacket[] => net.sent.flatMap(({ envelope }) => (envelope.dkg !== undefined && attemptOf(envelope.dkg) === 0 ? [envelope.dkg] : []));
  return { ...net, logs, firstAttempt };
}

const logged = (lines: readonly string[], event: string): string[] => lines.filter((l) => l.includes(`"event":"${event}"`));

describe("epoch 0's DKG retry", () => {
  const dirs = Array.from({ length: N }, (_, i) => join(root, `node-${i}`));
  const net = network(dirs);
  after(() => net.managers.forEach((m) => m.stop()));

  it("registers groups drawn for the second attempt on every node after the first registers none", async () => {
    net.managers.forEach((m) => m.start(() => undefined, 0n));
    await net.pumpUntil("every node to retry", () => net.logs.every((l) => logged(l, "dkg_retry").length > 0));
    // Nodes 0 and 1 started the second attempt first; what they sent reached 2 and 3 during their first.
    for (const lines of net.logs) {
      assert.equal(logged(lines, "epoch_registered").length, 0, "the failed attempt registered (empty) groups");
      assert.match(logged(lines, "dkg_retry")[0]!, /"attempt":1/);
    }
    // Replay the whole first attempt to every node: deals, responses, outcomes and requests of attempt 0.
    for (const packet of net.firstAttempt()) for (const m of net.managers) m.receive(packet);
    await net.pumpUntil("epoch 0 registered", () => net.managers.every((m) => m.groupsOf(0n) !== undefined));

    const drawn = drawGroups(epochZeroRandomness(hexToBytes(genesis.seed), 1), 0n, N, genesis.groups.count, genesis.groups.size);
    const reference = net.managers[0]!.groupsOf(0n)!;
    assert.deepEqual(
      reference.groups.map((g) => g.members),
      drawn,
      "both candidates of the second attempt registered",
    );
    for (const [i, m] of net.managers.entries()) {
      const groups = m.groupsOf(0n)!.groups;
      assert.deepEqual(groups.map((g) => [g.members, bytesToHex(g.commitments[0]!)]), reference.groups.map((g) => [g.members, bytesToHex(g.commitments[0]!)]), `node ${i} registered other groups`);
      assert.equal(m.sharesFor(0n).size, groups.filter((g) => g.members.includes(i)).length, `node ${i} lacks a share of a group it is in`);
      const text = await net.registries[i]!.metrics();
      assert.equal(sample(text, NODE_METRICS.dkgRetries), 1);
      assert.ok(sample(text, NODE_METRICS.messagesDropped, { reason: "wrong_attempt" }) > 0, `node ${i} counted no packet of the failed attempt`);
      assert.equal(logged(net.logs[i]!, "dkg_retry").length, 1);
    }
  });

  it("a restarted node keeps the second attempt: it answers that attempt's outcome requests, and the first's with an outcome of the second", () => {
    net.managers[0]!.stop();
    const restarted = network([dirs[0]!, join(root, "unused-1"), join(root, "unused-2"), join(root, "unused-3")]);
    const node0 = restarted.managers[0]!;
    const group = node0.groupsOf(0n)?.groups.find((g) => g.members.includes(0));
    assert.ok(group, "epoch 0's groups were not loaded");
    const request = (attempt: number): DkgPacket => {
      const bytes = DkgBody.encode({ epoch: 0n, attempt, group: group.candidate, sender: 1, outcomeRequest: {} }).finish();
      return { body: bytes, signature: signWithIdentity(secrets[1]!, `dkg/${genesis.subnet}`, bytes) };
    };
    // A node still in the first attempt (or back at it, having lost its data dir) is shown the second.
    node0.receive(request(0));
    const shown = restarted.sent.map(({ envelope }) => DkgBody.decode(envelope.dkg!.body));
    assert.equal(shown.length, 1, "a request of the failed attempt was not answered once");
    assert.equal(shown[0]!.attempt, 1, "a request of the failed attempt was answered with an outcome of it");
    restarted.sent.length = 0;
    node0.receive(request(1));
    const answer = restarted.sent.find((s) => s.from === 0 && s.to === 1)?.envelope.dkg;
    assert.ok(answer, "no answer to the second attempt's outcome request");
    const body = DkgBody.decode(answer.body);
    assert.equal(body.attempt, 1);
    assert.equal(bytesToHex(body.outcome!.commitments[0]!), bytesToHex(group.commitments[0]!));
    restarted.managers.forEach((m) => m.stop());
  });
});
