// SPDX-License-Identifier: Apache-2.0
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DeliveryError, generateIdentity, generateServiceKey, openIdentityRequest, requestIdentity, servicePublicKey } from "../../src/identity/index.js";

const TOKEN = "eyJhbGciOiJSUzI1NiJ9.pod-bound.token";
const isCode = (code: string) => (e: unknown) => e instanceof DeliveryError && e.code === code;

describe("identity key delivery", () => {
  const service = generateServiceKey();
  const identity = generateIdentity();

  it("carries the token to the key service and the key back to the node", () => {
    assert.equal(servicePublicKey(service.secretKey), service.publicKey);
    const node = requestIdentity(service.publicKey, "ns/alpha", 3, TOKEN);
    const received = openIdentityRequest(service.secretKey, JSON.parse(JSON.stringify(node.request)));
    assert.deepEqual([received.subnet, received.index, received.token], ["ns/alpha", 3, TOKEN]);
    assert.equal(node.open(JSON.parse(JSON.stringify(received.answer(identity.secretKey)))), identity.secretKey);
  });

  it("keeps the token and the key off the wire", () => {
    const node = requestIdentity(service.publicKey, "ns/alpha", 3, TOKEN);
    const answer = openIdentityRequest(service.secretKey, node.request).answer(identity.secretKey);
    const wire = JSON.stringify([node.request, answer]);
    assert.ok(!wire.includes(Buffer.from(TOKEN).toString("hex")) && !wire.includes("pod-bound"), "the token is in the clear");
    assert.ok(!wire.includes(identity.secretKey), "the key is in the clear");
  });

  it("opens a request only with the service key it was made for", () => {
    const node = requestIdentity(service.publicKey, "ns/alpha", 3, TOKEN);
    assert.throws(() => openIdentityRequest(generateServiceKey().secretKey, node.request), isCode("unauthenticated"));
  });

  it("binds the sealed token to the subnet and index the request names", () => {
    const node = requestIdentity(service.publicKey, "ns/alpha", 3, TOKEN);
    assert.throws(() => openIdentityRequest(service.secretKey, { ...node.request, index: 4 }), isCode("unauthenticated"));
    assert.throws(() => openIdentityRequest(service.secretKey, { ...node.request, subnet: "ns/beta" }), isCode("unauthenticated"));
  });

  it("refuses an answer that does not come from the key service, or that belongs to another request", () => {
    const node = requestIdentity(service.publicKey, "ns/alpha", 3, TOKEN);
    // An impostor without the service key answers its own request's way.
    const impostor = generateServiceKey();
    const forged = openIdentityRequest(impostor.secretKey, requestIdentity(impostor.publicKey, "ns/alpha", 3, TOKEN).request).answer(identity.secretKey);
    assert.throws(() => node.open(forged), isCode("unauthenticated"));
    const other = requestIdentity(service.publicKey, "ns/alpha", 3, TOKEN);
    assert.throws(() => node.open(openIdentityRequest(service.secretKey, other.request).answer(identity.secretKey)), isCode("unauthenticated"));
    const tampered = openIdentityRequest(service.secretKey, node.request).answer(identity.secretKey);
    const flipped = tampered.key.slice(0, 40) + (tampered.key[40] === "0" ? "1" : "0") + tampered.key.slice(41);
    assert.throws(() => node.open({ key: flipped }), isCode("unauthenticated"));
  });

  it("refuses malformed requests with what is wrong, never echoing a value", () => {
    const { request } = requestIdentity(service.publicKey, "ns/alpha", 3, TOKEN);
    const cases: [unknown, RegExp][] = [
      [null, /not a JSON object/],
      [{ ...request, subnet: "alpha" }, /subnet must be namespace\/name/],
      [{ ...request, index: -1 }, /index must be a node index/],
      [{ ...request, index: "3" }, /index must be a node index/],
      [{ ...request, ephemeral: "zz" }, /ephemeral must be lowercase hex/],
      [{ ...request, ephemeral: "00".repeat(31) }, /ephemeral must be a 32-byte/],
      [{ ...request, ephemeral: "00".repeat(32) }, /low-order point/],
      [{ ...request, token: "00" }, /too short/],
    ];
    for (const [body, message] of cases) assert.throws(() => openIdentityRequest(service.secretKey, body), (e: unknown) => isCode("malformed")(e) && message.test((e as Error).message), JSON.stringify(body));
    assert.throws(() => requestIdentity("not-a-key", "ns/alpha", 0, TOKEN), /key service public key must be 64 hex characters/);
  });
});
