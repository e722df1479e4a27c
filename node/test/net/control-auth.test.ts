// SPDX-License-Identifier: Apache-2.0
/**
 * The Control API obeys only the control key: the signature check alone, then a node process
 * started with --control-key against callers with no key, another key, a call signed for another
 * node, and a replay of a call it already obeyed.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { hexToBytes } from "@noble/hashes/utils.js";
import { NodeClient } from "../../src/client/index.js";
import { ControlClient, ControlService, FaultSet } from "../../src/gen/relaylab/v1/control.js";
import { CONTROL_AUTH_HEADER, ControlAuthError, ControlAuthenticator, generateControlKey, signControlCall } from "../../src/identity/index.js";
import { pinnedChannel } from "../../src/net/tls.js";
import { ProcessCluster, runNodeMain } from "../harness/cluster.js";
import { createTestnet, type Testnet } from "../harness/testnet.js";
import { CALL_DEADLINE_MS } from "../harness/wait.js";

const key = generateControlKey();
const secret = hexToBytes(key.secretKey);
const SET = "/relaylab.v1.Control/SetFaults";
const delay = FaultSet.fromPartial({ links: [{ peers: [0], delayMs: 5 }] });
const body = ControlService.setFaults.requestSerialize(delay);
const NOW = 1_800_000_000_000;
const reason = (r: string) => (e: unknown) => e instanceof ControlAuthError && e.reason === r;

describe("ControlAuthenticator", () => {
  it("accepts a fresh call signed for this node once, and refuses its replay", () => {
    const auth = new ControlAuthenticator(key.publicKey, 3);
    const header = signControlCall(secret, { node: 3, method: SET, request: body }, NOW);
    auth.check(SET, body, header, NOW + 1000);
    assert.throws(() => auth.check(SET, body, header, NOW + 2000), reason("replayed"));
  });

  it("refuses unsigned, malformed, stale, misdirected and altered calls, and another key's", () => {
    const auth = new ControlAuthenticator(key.publicKey, 3);
    const sign = (over: Partial<{ node: number; method: string; request: Uint8Array }>, at = NOW, with_ = secret) => signControlCall(with_, { node: 3, method: SET, request: body, ...over }, at);
    assert.throws(() => auth.check(SET, body, undefined, NOW), reason("missing"));
    assert.throws(() => auth.check(SET, body, "v1.garbage", NOW), reason("malformed"));
    assert.throws(() => auth.check(SET, body, sign({}, NOW - 31_000), NOW), reason("stale"));
    assert.throws(() => auth.check(SET, body, sign({ node: 4 }), NOW), reason("bad_signature"));
    assert.throws(() => auth.check(SET, body, sign({ method: "/relaylab.v1.Control/Crash" }), NOW), reason("bad_signature"));
    assert.throws(() => auth.check(SET, ControlService.setFaults.requestSerialize(FaultSet.fromPartial({ pauseMs: 60_000 })), sign({}), NOW), reason("bad_signature"));
    assert.throws(() => auth.check(SET, body, sign({}, NOW, hexToBytes(generateControlKey().secretKey)), NOW), reason("bad_signature"));
  });
});

describe("a node with --control-key", () => {
  let net: Testnet | undefined;
  let cluster: ProcessCluster | undefined;
  before(async () => {
    net = await createTestnet({ nodes: 2, groups: 1, size: 2 });
    const file = join(net.dir, "control.pub");
    writeFileSync(file, `${key.publicKey}\n`);
    cluster = new ProcessCluster(net, { args: () => ["--control-key", file] });
  });
  after(async () => {
    await cluster?.stopAll();
    net?.remove();
  });

  it("obeys calls signed for it and refuses every other caller with UNAUTHENTICATED", async () => {
    assert.ok(cluster);
    const node = await cluster.start(1);
    const certificate = net?.genesis.nodes[1]?.certificate;
    const signed = new NodeClient({ control: node.addresses.control, certificate }, { deadlineMs: CALL_DEADLINE_MS, controlAuth: { secretKey: secret, node: 1 } });
    const wrongNode = new NodeClient({ control: node.addresses.control, certificate }, { deadlineMs: CALL_DEADLINE_MS, controlAuth: { secretKey: secret, node: 0 } });
    const otherKey = new NodeClient({ control: node.addresses.control, certificate }, { deadlineMs: CALL_DEADLINE_MS, controlAuth: { secretKey: hexToBytes(generateControlKey().secretKey), node: 1 } });
    try {
      assert.equal((await signed.setFaults(delay)).links[0]?.delayMs, 5);
      const unauthenticated = (e: unknown) => (e as ServiceError).code === status.UNAUTHENTICATED;
      await assert.rejects(node.client.getFaults(), unauthenticated, "a call without a signature");
      await assert.rejects(wrongNode.crash(), unauthenticated, "a call signed for another node");
      await assert.rejects(otherKey.crash(), unauthenticated, "a call signed with another key");
      // A replay of a captured signed call, byte for byte.
      const pinned = pinnedChannel(certificate);
      const raw = new ControlClient(node.addresses.control, pinned.credentials, pinned.options);
      const md = new Metadata();
      md.set(CONTROL_AUTH_HEADER, signControlCall(secret, { node: 1, method: SET, request: body }, Date.now()));
      await new Promise<void>((resolve, reject) => raw.setFaults(delay, md, (err) => (err ? reject(err) : resolve())));
      await assert.rejects(new Promise<void>((resolve, reject) => raw.setFaults(delay, md, (err) => (err ? reject(err) : resolve()))), unauthenticated, "a replayed call");
      raw.close();
      const metrics = await (await fetch(`http://${node.addresses.metrics}/metrics`)).text();
      assert.match(metrics, /relaylab_messages_dropped_total\{[^}]*reason="control_unauthenticated"[^}]*\} 4/);
      assert.equal((await signed.getFaults()).links[0]?.delayMs, 5, "the refused calls changed nothing");
    } finally {
      for (const c of [signed, wrongNode, otherKey]) c.close();
    }
  });

  it("refuses to start with its control API off loopback and no control key", async () => {
    assert.ok(net);
    const r = await runNodeMain(["--genesis", net.genesisFile, "--index", "0", "--data-dir", net.dataDir(0), "--identity-key-file", net.keyFile(0), "--control-listen", "0.0.0.0:0"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^relaylab-node: --control-listen 0\.0\.0\.0:0 is reachable from other hosts: pass --control-key FILE/);
  });
});
