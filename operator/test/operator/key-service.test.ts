// SPDX-License-Identifier: Apache-2.0
/**
 * The key service's decisions, with the API server's answers scripted: TokenReview results as a
 * pod-bound token gives them, the identity Secret and the Subnet's pods. test/k8s/key-service.test.ts
 * runs the same exchange against a real API server with real tokens.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateServiceKey, requestIdentity } from "@relaylab/node/identity";
import { Registry } from "prom-client";
import { OPERATOR_METRICS } from "../../src/metrics/names.js";
import { createOperatorMetrics } from "../../src/metrics/registry.js";
import { answerIdentityRequest, startKeyService } from "../../src/operator/key-service.js";
import type { KubeApi, KubeObject, ObjectRef } from "../../src/operator/runtime/kube.js";
import { testLog } from "../log.js";

const service = generateServiceKey();
const KEYS = ["1".repeat(64), "2".repeat(64), "3".repeat(64)];
const b64 = (s: string) => Buffer.from(s).toString("base64");
const SECRET = { apiVersion: "v1", kind: "Secret", metadata: { name: "alpha-identity", namespace: "ns" }, data: { ...Object.fromEntries(KEYS.map((k, i) => [`node-${i}.key`, b64(k)])), "identity-service.key": b64(service.secretKey) } };
const pod = (index: number, uid = `uid-${index}`): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name: `alpha-dc-a-${index}`, namespace: "ns", uid, labels: { "relaylab.dev/subnet": "alpha", "apps.kubernetes.io/pod-index": String(index) } } });

/** Tokens are "pod:<name>:<uid>" (bound), "sa" (unbound), "other-ns" or anything else (invalid). */
function review(token: string): KubeObject {
  const [kind, name, uid] = token.split(":");
  const status =
    kind === "pod"
      ? { authenticated: true, user: { username: "system:serviceaccount:ns:default", extra: { "authentication.kubernetes.io/pod-name": [name], "authentication.kubernetes.io/pod-uid": [uid] } } }
      : kind === "sa"
        ? { authenticated: true, user: { username: "system:serviceaccount:ns:default" } }
        : kind === "other-ns"
          ? { authenticated: true, user: { username: "system:serviceaccount:elsewhere:default", extra: { "authentication.kubernetes.io/pod-name": ["x"], "authentication.kubernetes.io/pod-uid": ["y"] } } }
          : { authenticated: false, error: "invalid bearer token" };
  return { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", metadata: {}, status } as KubeObject;
}

function scriptedApi(pods: KubeObject[], reviews: string[]): KubeApi {
  const unused = (): never => assert.fail("the key service only reads Secrets, lists pods and creates TokenReviews");
  return {
    get: ((ref: ObjectRef) => Promise.resolve(ref.kind === "Secret" && ref.namespace === "ns" && ref.name === "alpha-identity" ? SECRET : undefined)) as KubeApi["get"],
    list: ((_v: string, kind: string, options?: { namespace?: string; labelSelector?: string }) => {
      assert.equal(kind, "Pod");
      assert.equal(options?.labelSelector, "relaylab.dev/subnet=alpha");
      return Promise.resolve({ items: pods, resourceVersion: "1" });
    }) as KubeApi["list"],
    create: <T extends KubeObject>(obj: KubeObject) => {
      const token = (obj as unknown as { spec: { token: string; audiences: string[] } }).spec;
      assert.deepEqual(token.audiences, ["relaylab.dev/identity"]);
      reviews.push(token.token);
      return Promise.resolve(review(token.token) as T);
    },
    watch: unused,
    apply: unused,
    applyStatus: unused,
    update: unused,
    delete: unused,
    isGroupServed: unused,
  };
}

describe("key service", () => {
  const pods = [pod(0), pod(1), pod(2)];

  it("gives a pod its own node's key, and nothing to a pod that asks for another node's", async () => {
    const registry = new Registry();
    const deps = { api: scriptedApi(pods, []), log: testLog, metrics: createOperatorMetrics(registry) };
    const own = requestIdentity(service.publicKey, "ns/alpha", 1, "pod:alpha-dc-a-1:uid-1");
    const answer = await answerIdentityRequest(deps, own.request);
    assert.equal(answer.status, 200);
    assert.equal(own.open(answer.body), KEYS[1]);

    const other = await answerIdentityRequest(deps, requestIdentity(service.publicKey, "ns/alpha", 2, "pod:alpha-dc-a-1:uid-1").request);
    assert.deepEqual([other.status, other.body], [403, { error: "pod alpha-dc-a-1 runs node 1, not node 2" }]);
    const counts: Record<string, number> = Object.fromEntries(((await registry.getSingleMetric(OPERATOR_METRICS.identityRequests)?.get())?.values ?? []).map((v) => [String(v.labels.outcome), v.value] as const));
    assert.deepEqual([counts.delivered, counts.forbidden], [1, 1]);
  });

  it("refuses invalid, unbound, foreign and stale tokens, and malformed or misdirected requests, saying why", async () => {
    const deps = { api: scriptedApi(pods, []), log: testLog, metrics: null };
    const ask = (index: number, token: string, subnet = "ns/alpha") => answerIdentityRequest(deps, requestIdentity(service.publicKey, subnet, index, token).request);
    const cases: [Promise<{ status: number; body: Record<string, unknown> }>, number, RegExp][] = [
      [ask(0, "garbage"), 401, /not valid for audience relaylab\.dev\/identity/],
      [ask(0, "sa"), 403, /not bound to a pod/],
      [ask(0, "other-ns"), 403, /not a service account's of namespace ns/],
      // A deleted and recreated pod has a new uid: the old pod's token is worthless.
      [ask(0, "pod:alpha-dc-a-0:old-uid"), 403, /pod alpha-dc-a-0 is not a node of Subnet ns\/alpha/],
      [ask(0, "pod:someone-else:uid-9"), 403, /is not a node of Subnet/],
      [ask(0, "pod:alpha-dc-a-0:uid-0", "ns/beta"), 404, /no Subnet ns\/beta/],
      [answerIdentityRequest(deps, { subnet: "ns/alpha", index: 0, ephemeral: "00", token: "00" }), 400, /ephemeral must be a 32-byte/],
      [answerIdentityRequest(deps, "not json"), 400, /subnet must be namespace\/name/],
      // Sealed to another key service: the token cannot be read, so it is never reviewed.
      [answerIdentityRequest(deps, requestIdentity(generateServiceKey().publicKey, "ns/alpha", 0, "pod:alpha-dc-a-0:uid-0").request), 401, /does not open/],
    ];
    for (const [answer, status, error] of cases) {
      const { status: got, body } = await answer;
      assert.equal(got, status, JSON.stringify(body));
      assert.match(String(body.error), error);
    }
  });

  it("serves POST /v1/identity over HTTP and refuses other methods and oversized bodies", async () => {
    const server = await startKeyService("127.0.0.1:0", { api: scriptedApi(pods, []), log: testLog, metrics: null });
    try {
      const url = `http://${server.address}/v1/identity`;
      const own = requestIdentity(service.publicKey, "ns/alpha", 2, "pod:alpha-dc-a-2:uid-2");
      const res = await fetch(url, { method: "POST", body: JSON.stringify(own.request) });
      assert.equal(res.status, 200);
      assert.equal(own.open(await res.json()), KEYS[2]);
      assert.equal((await fetch(url)).status, 405);
      assert.equal((await fetch(`http://${server.address}/other`, { method: "POST", body: "{}" })).status, 404);
      const big = await fetch(url, { method: "POST", body: "x".repeat(64 * 1024) }).then((r) => r.status, () => "reset");
      assert.ok(big === 413 || big === "reset", `an oversized body got ${big}`);
    } finally {
      await server.close();
    }
  });
});
