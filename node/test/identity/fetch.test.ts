// SPDX-License-Identifier: Apache-2.0
/** A node pod's side of key delivery, against a key service that fails first, refuses, or is an impostor. */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { generateServiceKey, openIdentityRequest, requestIdentity } from "../../src/identity/index.js";
import { fetchIdentityKey } from "../../src/lifecycle/identity-fetch.js";
import { silentLogger } from "../../src/log.js";

const KEY = "7".repeat(64);
const service = generateServiceKey();
const impostor = generateServiceKey();
const tokenFile = join(mkdtempSync(join(tmpdir(), "relaylab-identity-")), "token");
writeFileSync(tokenFile, "pod-token\n");

/** A key service whose n-th answer is `answers[n]` (the last one repeats): a status, "key" (the key, sealed for the request) or "forged". */
async function keyService(answers: (number | "key" | "forged")[]): Promise<{ url: string; server: Server; tokens: string[] }> {
  const tokens: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const answer = answers[Math.min(tokens.length, answers.length - 1)];
      if (answer === "forged") {
        // An impostor without the service key cannot read the request; the best it can send is a
        // well-formed answer to a request of its own.
        tokens.push("unread");
        const own = requestIdentity(impostor.publicKey, "ns/alpha", 2, "x");
        res.writeHead(200).end(JSON.stringify(openIdentityRequest(impostor.secretKey, own.request).answer(KEY)));
        return;
      }
      const opened = openIdentityRequest(service.secretKey, JSON.parse(body));
      tokens.push(opened.token);
      if (answer === "key") res.writeHead(200).end(JSON.stringify(opened.answer(KEY)));
      else res.writeHead(answer ?? 500, { "content-type": "application/json" }).end(JSON.stringify({ error: `answer ${answer}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/identity`, server, tokens };
}
const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

const options = (url: string) => ({ url, servicePublicKey: service.publicKey, subnet: "ns/alpha", index: 2, tokenFile, log: silentLogger(), deadlineMs: 60_000 });

describe("fetchIdentityKey", () => {
  it("retries while the key service is unavailable, then returns the key it delivers", async () => {
    const ks = await keyService([503, 404, "key"]);
    assert.equal(await fetchIdentityKey(options(ks.url)), KEY);
    assert.deepEqual(ks.tokens, ["pod-token", "pod-token", "pod-token"]);
  });

  it("stops at a refusal, with the key service's reason", async () => {
    const ks = await keyService([403]);
    await assert.rejects(fetchIdentityKey(options(ks.url)), /the key service refused node 2 of ns\/alpha: 403 answer 403/);
    assert.equal(ks.tokens.length, 1, "a refusal is not retried");
  });

  it("refuses a key from a service that does not hold the published key", async () => {
    const ks = await keyService(["forged"]);
    await assert.rejects(fetchIdentityKey(options(ks.url)), /the key service's answer does not open with its published key/);
    assert.equal(ks.tokens.length, 1, "a forged answer is not retried");
  });

  it("gives up at the deadline, naming the last failure", async () => {
    const ks = await keyService([503]);
    await assert.rejects(fetchIdentityKey({ ...options(ks.url), deadlineMs: 1_500 }), /no identity key from .* after \d+ attempts: 503 answer 503/);
  });
});
