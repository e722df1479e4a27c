// SPDX-License-Identifier: Apache-2.0
// A node that lost its data dir starts epoch 0's DKG again at attempt 0. It must reach the attempt its peers
// are at (or registered) at once, not one DKG timeout per attempt, and no byzantine member alone may move it.
// EpochManagers in one process over an in-memory network (manual clock): n = 5, two candidates of 4 with t = 3,
// so each group's byzantine budget is f = g − t = 1 and a jump needs 2 members of one candidate.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { pino } from "pino";
import { drawGroups } from "../../src/beacon/groups.js";
import { parseGenesis } from "../../src/config/index.js";
import type { EpochManager } from "../../src/dkg/epochs.js";
import { epochZeroRandomness } from "../../src/dkg/epochs.js";
import { DkgBody, type DkgPacket } from "../../src/gen/relaylab/v1/protocol.js";
import { generateIdentity, signWithIdentity } from "../../src/identity/index.js";
import { NODE_METRICS } from "../../src/metrics/names.js";
import { loadDkgAttempt } from "../../src/store/groups.js";
import { sample } from "../harness/metrics.js";
import { epochNetwork } from "./epoch-net.js";

const N = 5;
/** Cut off from every packet of attempts 0 and 1: every candidate (any 4 of the 5 nodes) keeps at most 2 < t members. */
const CUT_OFF = [2, 3, 4];
const identities = Array.from({ length: N }, () => generateIdentity());
const secrets = identities.map((id) => hexToBytes(id.secretKey));
const genesis = parseGenesis({
  version: 1,
  subnet: "dkg-catch-up",
  seed: "3c".repeat(32),
  nodes: identities.map((id, index) => ({ index, address: `127.0.0.1:${7400 + index}`, identityKey: id.publicKey, dataCenter: "dc-a" })),
  groups: { count: 2, size: 4, threshold: 3 },
  timings: { minRoundPeriodMs: 0, shareRetransmitMs: 100, stallTimeoutMs: 5000, dkgTimeoutMs: 6000 },
});
const seed = hexToBytes(genesis.seed);
const candidatesOf = (attempt: number): number[][] => drawGroups(epochZeroRandomness(seed, attempt), 0n, N, genesis.groups.count, genesis.groups.size);
const root = mkdtempSync(join(tmpdir(), "relaylab-dkg-catch-up-"));
after(() => rmSync(root, { recursive: true, force: true }));

const attemptOf = (packet: DkgPacket): number => DkgBody.decode(packet.body).attempt;
const logged = (lines: readonly string[], event: string): string[] => lines.filter((l) => l.includes(`"event":"${event}"`));
const keys = (m: EpochManager): [readonly number[], string][] => m.groupsOf(0n)!.groups.map((g) => [g.members, bytesToHex(g.commitments[0]!)]);

function network(dirs: readonly string[], cutOff: () => boolean) {
  const logs: string[][] = dirs.map(() => []);
  const net = epochNetwork({
    genesis,
    secrets,
    dirs,
    log: (self) => pino({ level: "info" }, { write: (line: string) => logs[self]!.push(line) }),
    deliver: (from, to, packet) => !cutOff() || attemptOf(packet) >= 2 || !(CUT_OFF.includes(from) || CUT_OFF.includes(to)),
  });
  return { ...net, logs };
}

describe("a node that lost its data dir catches up to epoch 0's attempt", () => {
  const dirs = Array.from({ length: N }, (_, i) => join(root, `node-${i}`));
  let cutting = true;
  const net = network(dirs, () => cutting);
  after(() => net.managers.forEach((m) => m.stop()));

  it("registers the others' groups of attempt 2 within one DKG timeout, without running attempts 0 and 1 out", async () => {
    net.managers.forEach((m) => m.start(() => undefined, 0n));
    await net.pumpUntil("epoch 0 registered", () => net.managers.every((m) => m.groupsOf(0n) !== undefined));
    cutting = false;
    const reference = keys(net.managers[0]!);
    assert.deepEqual(
      reference.map(([members]) => members),
      candidatesOf(2),
      "the third attempt's candidates were not the ones registered",
    );
    for (const m of net.managers) assert.deepEqual(keys(m), reference);
    for (const dir of dirs) assert.equal(loadDkgAttempt(dir), 2);
    // Let every driver's lingering outcome broadcasts end: the node restarted below hears of attempt 2 only by asking.
    const registeredAt = net.clock.now();
    await net.pumpUntil("lingering broadcasts over", () => net.clock.now() >= registeredAt + genesis.timings.dkgTimeoutMs);

    // Node 4 lost its data dir. Nodes 0 and 1 restart from theirs (they answer from the store); 2 and 3 keep
    // running with their decided drivers.
    const lost = join(root, "node-4-empty");
    net.logs[4] = [];
    const restarted = [net.restart(0, dirs[0]!), net.restart(1, dirs[1]!), net.restart(4, lost)];
    const restartedAt = net.clock.now();
    restarted.forEach((m) => m.start(() => undefined, 0n));
    const node4 = net.managers[4]!;
    await net.pumpUntil("the restarted node registered", () => node4.groupsOf(0n) !== undefined);

    const elapsed = net.clock.now() - restartedAt;
    assert.ok(elapsed <= genesis.timings.dkgTimeoutMs, `registered after ${elapsed} ms, more than one DKG timeout`);
    assert.deepEqual(logged(net.logs[4], "dkg_retry"), [], "the restarted node ran out attempts the others had finished");
    const caughtUp = logged(net.logs[4], "dkg_attempt_caught_up");
    assert.equal(caughtUp.length, 1);
    assert.match(caughtUp[0]!, /"from":0,"to":2/);
    assert.equal(loadDkgAttempt(lost), 2, "the attempt caught up to was not persisted");
    assert.deepEqual(keys(node4), reference, "the restarted node registered other groups");
    assert.equal(sample(await net.registries[4]!.metrics(), NODE_METRICS.dkgCatchUps), 1);
    for (const i of [0, 1, 2, 3]) assert.deepEqual(keys(net.managers[i]!), reference, `node ${i} changed its groups`);

    // Both kinds of peer show a node behind where they are: 0 from its store, 2 past its still-held driver.
    const bytes = DkgBody.encode({ epoch: 0n, attempt: 0, group: 0, sender: 4, outcomeRequest: {} }).finish();
    const request: DkgPacket = { body: bytes, signature: signWithIdentity(secrets[4]!, `dkg/${genesis.subnet}`, bytes) };
    for (const peer of [0, 2]) {
      const before = net.sent.length;
      net.managers[peer]!.receive(request);
      const answers = net.sent.slice(before).map(({ to, envelope }) => ({ to, body: DkgBody.decode(envelope.dkg!.body) }));
      assert.equal(answers.length, 1, `node ${peer} did not answer a request of attempt 0 once`);
      assert.equal(answers[0]!.to, 4);
      assert.equal(answers[0]!.body.attempt, 2);
      assert.ok(answers[0]!.body.outcome !== undefined, `node ${peer} answered with no outcome`);
    }
  });
});

describe("signed packets of a far attempt from at most f members of a candidate group", () => {
  const FAR = 7;
  // The rule counts members of the candidate groups of the attempt the node is at (0 here), not of the one claimed.
  const candidate = candidatesOf(0)[0]!;
  const [byzantine, accomplice] = [candidate[0]!, candidate[1]!];
  /** Validly signed packets of attempt FAR from `sender`: outcomes and outcome requests for every candidate. */
  const forged = (sender: number): DkgPacket[] =>
    candidatesOf(FAR).flatMap((_, group) =>
      [{ outcome: { qualified: [], commitments: [], failed: true } }, { outcomeRequest: {} }].map((kind) => {
        const bytes = DkgBody.encode({ epoch: 0n, attempt: FAR, group, sender, ...kind }).finish();
        return { body: bytes, signature: signWithIdentity(secrets[sender]!, `dkg/${genesis.subnet}`, bytes) };
      }),
    );

  it("do not move an honest node: attempt 0 runs and registers its own candidates everywhere", async () => {
    const dirs = Array.from({ length: N }, (_, i) => join(root, `byz-${i}`));
    const net = network(dirs, () => false);
    const honest = net.managers.filter((_, i) => i !== byzantine);
    try {
      for (const m of honest) for (const p of forged(byzantine)) m.receive(p);
      net.managers.forEach((m) => m.start(() => undefined, 0n));
      for (const m of honest) for (const p of forged(byzantine)) m.receive(p);
      await net.pumpUntil("epoch 0 registered", () => net.managers.every((m) => m.groupsOf(0n) !== undefined));
      for (const [i, m] of net.managers.entries()) {
        assert.deepEqual(logged(net.logs[i]!, "dkg_attempt_caught_up"), [], `node ${i} jumped on one member's word`);
        assert.deepEqual(logged(net.logs[i]!, "dkg_retry"), []);
        assert.equal(loadDkgAttempt(dirs[i]!), 0);
        assert.deepEqual(
          keys(m).map(([members]) => members),
          candidatesOf(0),
          `node ${i} registered groups other than attempt 0's`,
        );
        assert.deepEqual(keys(m), keys(net.managers[0]!));
      }
    } finally {
      net.managers.forEach((m) => m.stop());
    }
  });

  it("while f + 1 members of one candidate do (so the forged packets above were counted, and fell short)", () => {
    const dirs = Array.from({ length: N }, (_, i) => join(root, `byz2-${i}`));
    const net = network(dirs, () => false);
    const victim = [...Array(N).keys()].find((i) => i !== byzantine && i !== accomplice)!;
    try {
      net.managers[victim]!.start(() => undefined, 0n);
      for (const p of forged(byzantine)) net.managers[victim]!.receive(p);
      assert.deepEqual(logged(net.logs[victim]!, "dkg_attempt_caught_up"), []);
      for (const p of forged(accomplice)) net.managers[victim]!.receive(p);
      const caughtUp = logged(net.logs[victim]!, "dkg_attempt_caught_up");
      assert.equal(caughtUp.length, 1);
      assert.match(caughtUp[0]!, new RegExp(`"from":0,"to":${FAR}`));
      assert.equal(loadDkgAttempt(dirs[victim]!), FAR);
    } finally {
      net.managers.forEach((m) => m.stop());
    }
  });
});
