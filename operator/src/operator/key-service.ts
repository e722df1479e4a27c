// SPDX-License-Identifier: Apache-2.0
/**
 * The key service: the one way a node pod gets its identity key. No node pod mounts the Subnet's
 * identity Secret; each asks here at start with its pod-bound service-account token, sealed to the
 * Subnet's key service key (@relaylab/node/identity, delivery.ts). A TokenReview tells which pod
 * sent it, and the pod's own labels which node it runs, so a pod can receive its own node's key
 * and no other. Every replica serves it (it reads the Secret, not the leader's caches).
 *
 * Refusals are counted by reason (relaylab_operator_identity_requests_total) and logged with the
 * pod and node they concern; tokens and keys never are.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { DeliveryError, IDENTITY_DELIVERY_PATH, IDENTITY_TOKEN_AUDIENCE, openIdentityRequest } from "@relaylab/node/identity";
import type { Logger } from "pino";
import type { IdentityOutcome } from "../metrics/names.js";
import type { OperatorMetrics } from "../metrics/registry.js";
import { LABEL_POD_INDEX, LABEL_SUBNET, identitySecretName } from "../resources/names.js";
import { decodeIdentitySecret, decodeSubnetKeys } from "../resources/index.js";
import { type HttpEndpoint, listenOn } from "./listen.js";
import type { KubeApi, KubeObject } from "./runtime/kube.js";
import type { PolicyRule } from "./runtime/rbac.js";

export const KEY_SERVICE_RULES: PolicyRule[] = [
  { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] },
  { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
  { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
];

/** The extra fields a pod-bound service-account token carries in its TokenReview. */
const POD_NAME = "authentication.kubernetes.io/pod-name";
const POD_UID = "authentication.kubernetes.io/pod-uid";
/** A request is a few hundred bytes; a service-account token is at most a few KiB. */
const MAX_BODY_BYTES = 32 * 1024;

interface TokenReview extends KubeObject {
  status?: { authenticated?: boolean; error?: string; user?: { username?: string; extra?: Record<string, string[]> } };
}
interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

export interface KeyServiceDeps {
  readonly api: KubeApi;
  readonly log: Logger;
  readonly metrics: OperatorMetrics | null;
}

export interface KeyServiceAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A refusal: its HTTP status, the outcome it is counted under, and what the pod is told. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly outcome: IdentityOutcome,
    message: string,
  ) {
    super(message);
  }
}

/** Answers one request body (parsed JSON). Never throws. */
export async function answerIdentityRequest(deps: KeyServiceDeps, body: unknown): Promise<KeyServiceAnswer> {
  const where: Record<string, unknown> = {};
  try {
    const subnet = typeof body === "object" && body !== null ? (body as { subnet?: unknown }).subnet : undefined;
    if (typeof subnet !== "string" || !subnet.includes("/")) throw new Refusal(400, "malformed", "subnet must be namespace/name");
    const [namespace = "", name = ""] = subnet.split("/", 2);
    where.subnet = subnet;
    const secret = await deps.api.get<SecretObject>({ apiVersion: "v1", kind: "Secret", namespace, name: identitySecretName(name) });
    const serviceKey = decodeSubnetKeys(secret?.data).service;
    if (serviceKey === undefined) throw new Refusal(404, "unknown_subnet", `no Subnet ${subnet} with a key service key: is the operator managing it?`);
    const opened = openOrRefuse(serviceKey, body);
    where.node = opened.index;
    const pod = await podOfToken(deps.api, opened.token, namespace);
    where.pod = pod;
    const pods = await deps.api.list<KubeObject>("v1", "Pod", { namespace, labelSelector: `${LABEL_SUBNET}=${name}` });
    const own = pods.items.find((p) => p.metadata.name === pod.name && p.metadata.uid === pod.uid);
    if (own === undefined) throw new Refusal(403, "forbidden", `pod ${pod.name} is not a node of Subnet ${subnet}`);
    const runs = own.metadata.labels?.[LABEL_POD_INDEX];
    if (runs !== String(opened.index)) throw new Refusal(403, "forbidden", `pod ${pod.name} runs node ${runs ?? "?"}, not node ${opened.index}`);
    const key = decodeIdentitySecret(secret?.data).get(opened.index);
    if (key === undefined) throw new Refusal(404, "unknown_subnet", `Subnet ${subnet} has no key for node ${opened.index} yet`);
    deps.metrics?.identityRequests.inc({ outcome: "delivered" });
    deps.log.info({ event: "identity_delivered", ...where }, "identity key delivered to its pod");
    return { status: 200, body: { ...opened.answer(key) } };
  } catch (err) {
    const refusal = err instanceof Refusal ? err : new Refusal(503, "error", `the key service cannot answer now: ${err instanceof Error ? err.message : String(err)}`);
    deps.metrics?.identityRequests.inc({ outcome: refusal.outcome });
    deps.log.warn({ event: "identity_refused", outcome: refusal.outcome, status: refusal.status, reason: refusal.message, ...where }, "identity key request refused");
    return { status: refusal.status, body: { error: refusal.message } };
  }
}

function openOrRefuse(serviceKey: string, body: unknown): ReturnType<typeof openIdentityRequest> {
  try {
    return openIdentityRequest(serviceKey, body);
  } catch (err) {
    if (err instanceof DeliveryError) throw new Refusal(err.code === "malformed" ? 400 : 401, err.code, err.message);
    throw err;
  }
}

/** The pod a token is bound to, by TokenReview; refuses tokens that are invalid, of another audience or namespace, or not pod-bound. */
async function podOfToken(api: KubeApi, token: string, namespace: string): Promise<{ name: string; uid: string }> {
  const review = await api.create<TokenReview>({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", metadata: {}, spec: { token, audiences: [IDENTITY_TOKEN_AUDIENCE] } } as KubeObject);
  if (review.status?.authenticated !== true) throw new Refusal(401, "unauthenticated", `the token is not valid for audience ${IDENTITY_TOKEN_AUDIENCE}`);
  const user = review.status.user;
  if (!(user?.username ?? "").startsWith(`system:serviceaccount:${namespace}:`)) throw new Refusal(403, "forbidden", `the token is not a service account's of namespace ${namespace}`);
  const name = user?.extra?.[POD_NAME]?.[0];
  const uid = user?.extra?.[POD_UID]?.[0];
  if (name === undefined || uid === undefined) throw new Refusal(403, "forbidden", "the token is not bound to a pod: mount a projected service-account token");
  return { name, uid };
}

/** Serves POST IDENTITY_DELIVERY_PATH on `listen` (host:port). */
export function startKeyService(listen: string, deps: KeyServiceDeps): Promise<HttpEndpoint> {
  const send = (res: ServerResponse, answer: KeyServiceAnswer): void => {
    res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
  };
  const server = createServer((req, res) => {
    if ((req.url ?? "/").split("?")[0] !== IDENTITY_DELIVERY_PATH) return send(res, { status: 404, body: { error: `POST ${IDENTITY_DELIVERY_PATH}` } });
    if (req.method !== "POST") return send(res, { status: 405, body: { error: `POST ${IDENTITY_DELIVERY_PATH}` } });
    readBody(req).then(
      (text) => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        return answerIdentityRequest(deps, body);
      },
      (err: unknown) => {
        deps.metrics?.identityRequests.inc({ outcome: "malformed" });
        return { status: 413, body: { error: err instanceof Error ? err.message : String(err) } };
      },
    ).then((answer) => send(res, answer), () => send(res, { status: 500, body: { error: "internal error" } }));
  });
  return listenOn(server, listen, "--identity-listen", "0.0.0.0:8081");
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`a request is at most ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
