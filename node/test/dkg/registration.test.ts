// SPDX-License-Identifier: Apache-2.0
// Group registration must come out the same on every node, with up to g − t byzantine members that send their
// signed outcome to some nodes only, or sign two different outcomes. Two observer nodes (not members) run their
// DKG drivers over an in-memory network on a manual clock; the members' signed outcomes are made by the test,
// so honest members that ended with different views (what a faulty member's late evidence can cause) are
// staged directly. g = 5, t = 3: f = 2, and an early registration needs q = 2(g − t) + 1 = 5 votes. A group whose
// threshold is at most half its size (g = 4, t = 2) has no such quorum and registers on t agreeing votes.
// Last, every node runs a real driver and one member the byzantine strategy that signs two outcomes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { pino } from "pino";
import { parseGenesis } from "../../src/config/index.js";
import { DkgDriver, type DkgRegistration } from "../../src/dkg/driver.js";
import { FaultController } from "../../src/faults/controller.js";
import { faultStrategies } from "../../src/faults/byzantine.js";
import { ByzantineBehaviour } from "../../src/gen/relaylab/v1/control.js";
import { DkgBody, type Envelope } from "../../src/gen/relaylab/v1/protocol.js";
import { generateIdentity, signWithIdentity } from "../../src/identity/index.js";
import { silentLogger } from "../../src/log.js";
import { FakeClock } from "../../src/testing/fake-clock.js";

const G = 5;
const T = 3;
const MEMBERS = [0, 1, 2, 3, 4];
/** The faulty member (node index). */
const BYZANTINE = 4;
const OBSERVERS = [5, 6] as const;
const DKG_TIMEOUT_MS = 10_000;

const identities = Array.from({ length: 7 }, () => generateIdentity());
const secrets = identities.map((id) => hexToBytes(id.secretKey));
/** Seven nodes, one candidate group of the first `size` of them. */
const genesisOf = (size: number, threshold: number) =>
  parseGenesis({
    version: 1,
    subnet: "dkg-registration",
    seed: "ab".repeat(32),
    nodes: identities.map((id, index) => ({ index, address: `127.0.0.1:${7200 + index}`, identityKey: id.publicKey, dataCenter: "dc-a" })),
    // A threshold of at most half the group is a case of its own below, so it is asked for explicitly.
    groups: { count: 1, size, threshold, unsafeAllowMinorityThreshold: 2 * threshold <= size },
    timings: { minRoundPeriodMs: 0, shareRetransmitMs: 100, stallTimeoutMs: 5000, dkgTimeoutMs: DKG_TIMEOUT_MS },
  });
const genesis = genesisOf(G, T);
type Genesis = typeof genesis;

/** A well-formed outcome for threshold `t`: `tag` tells outcomes apart (its commitments are t distinct 96-byte strings). */
function outcome(tag: number, t = T) {
  return { qualified: [1, 2, 3], commitments: Array.from({ length: t }, (_, i) => new Uint8Array(96).fill(tag * 16 + i + 1)), failed: false };
}

/** Member `node`'s signed outcome packet. */
function signedOutcome(node: number, tag: number, t = T): Envelope {
  const bytes = DkgBody.encode({ epoch: 0n, group: 0, sender: node, attempt: 0, outcome: outcome(tag, t) }).finish();
  return { dkg: { body: bytes, signature: signWithIdentity(secrets[node]!, `dkg/${genesis.subnet}`, bytes) } };
}

interface Result {
  registrations: DkgRegistration[];
  /** Manual clock time when both observers had registered. */
  elapsedMs: number;
  logs: string[];
}

/**
 * Starts `drivers` and delivers what they send (to `deliver`, by node index), advancing the clock by the
 * retransmit interval whenever nothing is in flight, until every driver has registered.
 */
async function runDrivers(drivers: readonly DkgDriver[], queue: { to: number; envelope: Envelope }[], clock: FakeClock, deliver: (to: number, envelope: Envelope) => void, net: Genesis = genesis, beforeRun = (): void => undefined): Promise<DkgRegistration[]> {
  const registrations: (DkgRegistration | undefined)[] = drivers.map(() => undefined);
  drivers.forEach((d, i) => void d.registration.then((r) => (registrations[i] = r)));
  drivers.forEach((d) => d.start());
  beforeRun();
  for (let step = 0; registrations.some((r) => r === undefined); step++) {
    assert.ok(step < 200_000, "the drivers did not register");
    const next = queue.shift();
    if (next === undefined) {
      await new Promise((r) => setImmediate(r));
      if (queue.length === 0 && registrations.some((r) => r === undefined)) clock.advance(net.timings.shareRetransmitMs);
      continue;
    }
    deliver(next.to, next.envelope);
  }
  drivers.forEach((d) => d.stop());
  return registrations as DkgRegistration[];
}

/**
 * Runs both observers' drivers. `shown[i]` are the signed outcomes observer i receives at the start; the members
 * themselves run no driver (requests to them go unanswered), so what else an observer learns comes from the other.
 */
async function observe(shown: readonly [Envelope[], Envelope[]], net: Genesis = genesis): Promise<Result> {
  const clock = new FakeClock(0);
  const logs: string[] = [];
  const queue: { to: number; envelope: Envelope }[] = [];
  const drivers = OBSERVERS.map(
    (self) =>
      new DkgDriver({
        self,
        genesis: net,
        identitySecret: secrets[self]!,
        epoch: 0n,
        candidates: [MEMBERS.slice(0, net.groups.size)],
        send: (to, envelope) => queue.push({ to, envelope }),
        clock,
        log: pino({ level: "info" }, { write: (line: string) => logs.push(line) }),
        metrics: null,
      }),
  );
  const registrations = await runDrivers(
    drivers,
    queue,
    clock,
    (to, envelope) => {
      const at = OBSERVERS.indexOf(to as (typeof OBSERVERS)[number]);
      if (at >= 0 && envelope.dkg) drivers[at]!.receive(envelope.dkg);
    },
    net,
    () =>
      drivers.forEach((d, i) => {
        for (const e of shown[i]!) if (e.dkg) d.receive(e.dkg);
      }),
  );
  return { registrations, elapsedMs: clock.now(), logs };
}

const groupKeys = (r: Result): string[] => r.registrations.map((reg) => (reg.groups[0] ? bytesToHex(reg.groups[0].commitments[0]!) : "none"));

describe("DKG group registration with byzantine members", () => {
  it("registers at once when q = 2(g - t) + 1 members vote for one outcome", async () => {
    const all = MEMBERS.map((m) => signedOutcome(m, 1));
    const r = await observe([all, all]);
    assert.deepEqual(groupKeys(r), [bytesToHex(outcome(1).commitments[0]!), bytesToHex(outcome(1).commitments[0]!)]);
    assert.equal(r.elapsedMs, 0, "no timeout was needed");
  });

  it("an outcome a faulty member shows one node only still reaches the other: both register the same group", async () => {
    // Members 2 and 3 are silent; 0, 1 and the faulty member 4 make t. Member 4 tells only the first observer.
    const r = await observe([[signedOutcome(0, 1), signedOutcome(1, 1), signedOutcome(BYZANTINE, 1)], [signedOutcome(0, 1), signedOutcome(1, 1)]]);
    const keys = groupKeys(r);
    assert.equal(keys[0], bytesToHex(outcome(1).commitments[0]!));
    assert.deepEqual(keys[1], keys[0], "the second observer registered what the first did");
    assert.ok(r.elapsedMs >= DKG_TIMEOUT_MS, "with fewer than q votes, registration waits for the timeout");
  });

  it("a member that signs two outcomes, one to each half, gets neither registered anywhere", async () => {
    // Honest members ended split 2/2 (late evidence); the faulty member votes for both sides, one per observer.
    const r = await observe([
      [signedOutcome(0, 1), signedOutcome(1, 1), signedOutcome(BYZANTINE, 1)],
      [signedOutcome(2, 2), signedOutcome(3, 2), signedOutcome(BYZANTINE, 2)],
    ]);
    assert.deepEqual(groupKeys(r), ["none", "none"], "no node registered a key the others do not have");
    assert.ok(r.logs.filter((l) => l.includes('"event":"dkg_outcome_equivocation"')).length >= 2, "both observers saw the proof");
  });

  it("without the faulty member's second vote, the larger honest side is registered by both", async () => {
    const r = await observe([
      [signedOutcome(0, 1), signedOutcome(1, 1), signedOutcome(2, 1)],
      [signedOutcome(3, 2), signedOutcome(BYZANTINE, 2)],
    ]);
    assert.deepEqual(groupKeys(r), [bytesToHex(outcome(1).commitments[0]!), bytesToHex(outcome(1).commitments[0]!)]);
  });

  it("with a threshold at most half the group (g = 4, t = 2), t agreeing votes register at once", async () => {
    // No quorum of 2(g − t) + 1 fits in the group, and the faulty members could make t votes alone: registration
    // cannot be agreement-safe here, so it is as quick as the DKG allows. Members 2 and 3 are silent.
    const votes = [signedOutcome(0, 1, 2), signedOutcome(1, 1, 2)];
    const r = await observe([votes, votes], genesisOf(4, 2));
    assert.deepEqual(groupKeys(r), [bytesToHex(outcome(1, 2).commitments[0]!), bytesToHex(outcome(1, 2).commitments[0]!)]);
    assert.equal(r.elapsedMs, 0, "no timeout was needed");
  });
});

/**
 * Every node runs its driver on a manual clock for one candidate group of the first `size` nodes; member BYZANTINE
 * runs `behaviour`'s DKG strategy. Returns each node's registration and log lines, and the manual time at which
 * the last node registered.
 */
async function realDrivers(behaviour: ByzantineBehaviour, size = G, threshold = T): Promise<{ registrations: DkgRegistration[]; logs: string[][]; elapsedMs: number }> {
  const net = genesisOf(size, threshold);
  const clock = new FakeClock(0);
  const nodes = identities.map((_, i) => i);
  const logs: string[][] = nodes.map(() => []);
  const faults = new FaultController(() => "dc-a", clock, silentLogger(), null);
  faults.apply({ links: [], byzantine: [behaviour], selectivePeers: [], pauseMs: 0 });
  const queue: { to: number; envelope: Envelope }[] = [];
  const drivers = nodes.map((self) => {
    const log = pino({ level: "info" }, { write: (line: string) => logs[self]!.push(line) });
    return new DkgDriver({
      self,
      genesis: net,
      identitySecret: secrets[self]!,
      epoch: 0n,
      candidates: [nodes.slice(0, size)],
      send: (to, envelope) => queue.push({ to, envelope }),
      clock,
      log,
      metrics: null,
      ...(self === BYZANTINE ? { strategy: faultStrategies(faults, log).dkg } : {}),
    });
  });
  const registrations = await runDrivers(
    drivers,
    queue,
    clock,
    (to, envelope) => {
      if (envelope.dkg) drivers[to]!.receive(envelope.dkg);
    },
    net,
  );
  return { registrations, logs, elapsedMs: clock.now() };
}

describe("DKG registration with a member that equivocates on its outcome (real drivers)", () => {
  it("every honest node registers the same group, and those shown the second outcome log the equivocation", async () => {
    // Every node runs its driver; member 4 runs the DkgOutcomeEquivocate strategy: its outcome to the
    // even-numbered nodes, a second one (another group key) to the odd-numbered. The even nodes see q = 5 votes
    // for the run's outcome at once; the odd ones see four and a rival, fetch every signed outcome after half
    // the timeout, find both of member 4's, and register the four honest votes (≥ t) at the timeout.
    const { registrations, logs } = await realDrivers(ByzantineBehaviour.BYZANTINE_BEHAVIOUR_DKG_OUTCOME_EQUIVOCATE);
    const nodes = identities.map((_, i) => i);

    assert.equal(logs[BYZANTINE]!.filter((l) => l.includes('"event":"equivocating_dkg_outcome"')).length, 1, "the faulty member signed no second outcome");
    const honest = nodes.filter((i) => i !== BYZANTINE);
    const keys = honest.map((i) => registrations[i]!.groups.map((g) => bytesToHex(g.commitments[0]!)));
    assert.equal(keys[0]!.length, 1, "the group was not registered");
    for (const [at, node] of honest.entries()) assert.deepEqual(keys[at], keys[0], `node ${node} registered another group`);
    for (const node of honest.filter((i) => i % 2 === 1)) {
      assert.ok(logs[node]!.some((l) => l.includes('"event":"dkg_outcome_equivocation"')), `node ${node} did not log the equivocation`);
    }
    // The shares the members hold belong to the registered key: it is the run's own, not the rival's.
    for (const node of MEMBERS.filter((i) => i !== BYZANTINE)) assert.ok(registrations[node]!.shares.has(0), `member ${node} holds no share of the registered group`);
  });
});

describe("DKG with a member whose view differs from everyone's (real drivers)", () => {
  it("a member complaining against every dealer holds no one to the phase timeout, and every dealer qualifies", async () => {
    // g = 6, t = 4: f = 2, and early registration needs q = 5 votes, so the honest members' own. Member 4 runs
    // DkgFalseComplaints: it deals honestly and complains against the other five dealers, who each publish a
    // justification. Its own pooled evidence holds the honest response it computed, so the view it reports
    // matches no one's, forever: on every-view-matches alone, each member would wait out the justification phase
    // (DKG_TIMEOUT_MS / 3). The five honest views are more than g − f = 4, so the phase ends a few retransmit
    // intervals after they match.
    const { registrations, elapsedMs } = await realDrivers(ByzantineBehaviour.BYZANTINE_BEHAVIOUR_DKG_FALSE_COMPLAINTS, 6, 4);
    assert.ok(elapsedMs < DKG_TIMEOUT_MS / 3, `the DKG took ${elapsedMs} ms of manual time, the phase timeout is ${DKG_TIMEOUT_MS / 3} ms`);
    const keys = registrations.map((r) => r.groups.map((g) => bytesToHex(g.commitments[0]!)).join());
    assert.equal(registrations[0]!.groups.length, 1, "the group was not registered");
    for (const [node, key] of keys.entries()) assert.equal(key, keys[0], `node ${node} registered another group`);
    const own = registrations[0]!.outcomes.get(0);
    assert.ok(own !== undefined);
    assert.deepEqual(DkgBody.decode(own.body).outcome?.qualified, [1, 2, 3, 4, 5, 6], "a falsely accused dealer was disqualified");
    for (const node of [0, 1, 2, 3, 5]) assert.ok(registrations[node]!.shares.has(0), `member ${node} holds no share of the registered group`);
  });
});
