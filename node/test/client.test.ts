// SPDX-License-Identifier: Apache-2.0
// NodeClient against the node's own Public and Control services on an in-process gRPC server: calls,
// deadlines, errors, the fault mapping, channel lifetime and the pool.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { BYZANTINE_BEHAVIOURS, faultSetJson, NodeClient, NodeClientPool, pushFaults, toProtoFaultSet, type FaultSetSpec } from "../src/client/index.js";
import { systemClock } from "../src/clock.js";
import { FaultController } from "../src/faults/controller.js";
import { ByzantineBehaviour, ControlService } from "../src/gen/relaylab/v1/control.js";
import { NodeStatus, PublicService, type Beacon } from "../src/gen/relaylab/v1/public.js";
import { silentLogger } from "../src/log.js";
import { controlService } from "../src/net/control-service.js";
import { publicService } from "../src/net/public-service.js";
import { BeaconStore } from "../src/store/beacons.js";

const beacon = (round: bigint): Beacon => ({ round, signature: new Uint8Array(48).fill(Number(round)), previousSignature: new Uint8Array(48), group: 0, epoch: 0n });
const STATUS: NodeStatus = NodeStatus.fromPartial({ subnet: "s", index: 2, dataCenter: "dc-a", ready: true, round: 3n, registeredGroups: 1, epoch: 0n, activeFaults: ["pause"], roundLatencyP50Seconds: 0.5 });

const SPEC: FaultSetSpec = {
  links: [{ peers: [1], dataCenters: ["dc-b"], delayMs: 40, jitterMs: 5, loss: 0.1, bandwidthBps: 1_000_000, partition: false }],
  byzantine: ["WithholdShares", "SelectiveShares"],
  selectivePeers: [3],
  pauseMs: 0,
};

function listen(server: grpc.Server): Promise<string> {
  return new Promise((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(`127.0.0.1:${port}`))));
}

describe("NodeClient", () => {
  const store = new BeaconStore(undefined);
  // The engine's part here is only to announce accepted beacons; the beacons are read from the store.
  const listeners = new Set<(b: Beacon) => void>();
  const engine = {
    subscribe: (fn: (b: Beacon) => void): (() => void) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
  const exits: number[] = [];
  const server = new grpc.Server();
  const faults = new FaultController(() => undefined, systemClock, silentLogger(), null);
  let addresses: { public: string; control: string };
  // The Control service is served on the same server here; a node serves it on its own loopback listener.
  server.addService(PublicService, publicService({ engine, store, status: () => STATUS, groupsOf: () => undefined }));
  server.addService(ControlService, controlService({ faults, log: silentLogger(), exit: (code) => exits.push(code), auth: undefined, metrics: null, now: () => Date.now() }));

  before(async () => {
    const address = await listen(server);
    addresses = { public: address, control: address };
    for (let r = 1n; r <= 3n; r++) store.append(beacon(r));
  });
  after(() => server.forceShutdown());

  it("reads status and beacons, and a missing beacon fails with NOT_FOUND", async () => {
    const client = new NodeClient(addresses);
    try {
      assert.deepEqual(await client.status(), STATUS);
      assert.equal((await client.beacon(2n)).round, 2n);
      await assert.rejects(client.beacon(9n), (err: grpc.ServiceError) => err.code === grpc.status.NOT_FOUND);
      await assert.rejects(client.groups(0n), (err: grpc.ServiceError) => err.code === grpc.status.NOT_FOUND);
    } finally {
      client.close();
    }
  });

  it("streams stored beacons and then new ones as they are accepted", async () => {
    const client = new NodeClient(addresses);
    const stream = client.watchBeacons(2n);
    const seen: bigint[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        stream.on("error", reject);
        stream.on("data", (b: Beacon) => {
          seen.push(b.round);
          if (b.round === 3n) {
            store.append(beacon(4n));
            for (const l of listeners) l(beacon(4n));
          }
          if (b.round === 4n) resolve();
        });
      });
    } finally {
      stream.cancel();
      client.close();
    }
    assert.deepEqual(seen, [2n, 3n, 4n]);
  });

  it("sets faults in spec form through the one mapping and reads them back", async () => {
    const client = new NodeClient({ control: addresses.control });
    try {
      const applied = await client.setFaults(toProtoFaultSet(SPEC));
      assert.deepEqual(applied.byzantine, [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_WITHHOLD_SHARES, ByzantineBehaviour.BYZANTINE_BEHAVIOUR_SELECTIVE_SHARES]);
      assert.equal(applied.links[0]?.bandwidthBps, 1_000_000n);
      assert.deepEqual(await client.getFaults(), applied);
      // An unusable set is refused by the node with a field-naming message.
      await assert.rejects(client.setFaults(toProtoFaultSet({ ...SPEC, links: [{ ...SPEC.links[0]!, loss: 2 }] })), (err: grpc.ServiceError) => err.code === grpc.status.INVALID_ARGUMENT && /loss/.test(err.details));
    } finally {
      client.close();
    }
  });

  it("maps every behaviour name to a distinct control-API value, and writes the --faults file format", () => {
    const values: ByzantineBehaviour[] = Object.values(BYZANTINE_BEHAVIOURS);
    assert.equal(new Set(values).size, values.length);
    assert.ok(!values.includes(ByzantineBehaviour.BYZANTINE_BEHAVIOUR_UNSPECIFIED));
    assert.deepEqual((faultSetJson(SPEC) as { byzantine: string[] }).byzantine, ["BYZANTINE_BEHAVIOUR_WITHHOLD_SHARES", "BYZANTINE_BEHAVIOUR_SELECTIVE_SHARES"]);
  });

  it("crash asks the node to exit with the given code", async () => {
    const client = new NodeClient(addresses);
    try {
      await client.crash(7);
    } finally {
      client.close();
    }
    const deadline = Date.now() + 10_000;
    while (exits.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(exits, [7]);
  });

  it("a call to an unreachable node fails at its deadline", async () => {
    const dead = new grpc.Server();
    const address = await listen(dead);
    dead.forceShutdown();
    const client = new NodeClient({ public: address }, { deadlineMs: 300 });
    const started = Date.now();
    try {
      await assert.rejects(client.status(), (err: grpc.ServiceError) => err.code === grpc.status.DEADLINE_EXCEEDED || err.code === grpc.status.UNAVAILABLE);
    } finally {
      client.close();
    }
    assert.ok(Date.now() - started < 5000, "the deadline bounds the call");
  });

  it("a closed client and a missing address fail with a message that says what is wrong", async () => {
    const client = new NodeClient({ public: addresses.public });
    await assert.rejects(client.getFaults(), /no control address/);
    client.close();
    await assert.rejects(client.status(), /closed/);
  });

  it("pushFaults checks that the node holds the set it was sent, and names both sets when it does not", async () => {
    const client = new NodeClient({ control: addresses.control });
    try {
      await pushFaults(client, 2, { ...SPEC, pauseMs: 5000 });
      assert.deepEqual((await client.getFaults()).byzantine, toProtoFaultSet(SPEC).byzantine);
      await pushFaults(client, 2, { ...SPEC, pauseMs: 0 });
    } finally {
      client.close();
    }
    // A process that answers with another set (e.g. not the node that was meant) fails the push.
    const elsewhere = { setFaults: () => Promise.resolve(toProtoFaultSet({ ...SPEC, byzantine: [] })) };
    await assert.rejects(pushFaults(elsewhere, 7, SPEC), /node 7 holds fault set \{"links".*"selectivePeers":\[3\]\} after being sent .*WITHHOLD_SHARES/);
  });

  it("the pool hands out one client per address set and closes them all", async () => {
    const pool = new NodeClientPool();
    const a = pool.get({ public: addresses.public });
    assert.equal(pool.get({ public: addresses.public }), a);
    assert.notEqual(pool.get({ control: addresses.control }), a);
    assert.equal((await a.status()).index, 2);
    pool.close();
    await assert.rejects(a.status(), /closed/);
  });

  it("the pool closes and forgets the clients of the addresses it is told to", async () => {
    const pool = new NodeClientPool();
    const a = pool.get({ public: addresses.public });
    const b = pool.get({ control: addresses.control });
    assert.equal(pool.closeWhere((x) => x.control !== undefined), 1);
    await assert.rejects(b.getFaults(), /closed/);
    assert.notEqual(pool.get({ control: addresses.control }), b, "a closed client is not handed out again");
    assert.equal((await a.status()).index, 2, "the others stay open");
    pool.close();
  });

  it("a following client's stream waits for a node that is not listening yet, where a plain one fails", async () => {
    // A port nothing listens on (until the server below binds it).
    const probe = new grpc.Server();
    const address = await listen(probe);
    probe.forceShutdown();
    const follower = new NodeClient({ public: address }, { follow: { initialMs: 50, maxMs: 200 } });
    const plain = new NodeClient({ public: address });
    const late = new grpc.Server();
    try {
      const followed = follower.watchBeacons(1n);
      const failures: grpc.ServiceError[] = [];
      followed.on("error", (err: grpc.ServiceError) => failures.push(err));
      const first = new Promise<Beacon>((resolve) => followed.once("data", resolve));
      const refused = await new Promise<grpc.ServiceError>((resolve) => plain.watchBeacons(1n).on("error", resolve));
      assert.equal(refused.code, grpc.status.UNAVAILABLE, "the plain stream fails while nothing listens");
      late.addService(PublicService, publicService({ engine, store, status: () => STATUS, groupsOf: () => undefined }));
      await new Promise<void>((resolve, reject) => late.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
      assert.equal((await first).round, 1n);
      assert.deepEqual(failures, [], "the following stream never failed");
      followed.cancel();
    } finally {
      follower.close();
      plain.close();
      late.forceShutdown();
    }
  });
});
