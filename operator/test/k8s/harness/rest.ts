// SPDX-License-Identifier: Apache-2.0
/**
 * A small JSON client for the test API server, independent of both client-node's model classes
 * and the operator's own KubeApi adapter: the tests observe the cluster through a different
 * client than the one under test, so a shared client bug cannot hide itself. Paths are written
 * out in the tests (`/api/v1/namespaces/x/pods`), as in the Kubernetes API reference.
 */
import { request as httpsRequest } from "node:https";
import { request as httpRequest } from "node:http";

export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

export interface HttpOptions {
  readonly method?: string;
  readonly ca?: string;
  readonly token?: string;
  readonly body?: string;
  readonly contentType?: string;
  readonly accept?: string;
  /** Default 30 s. */
  readonly timeoutMs?: number;
}

/** One HTTP(S) request; resolves with any status (errors are for the caller to judge). */
export function httpCall(url: string, options: HttpOptions = {}): Promise<HttpResult> {
  const u = new URL(url);
  const send = u.protocol === "https:" ? httpsRequest : httpRequest;
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const req = send(
      u,
      {
        method: options.method ?? "GET",
        timeout: timeoutMs,
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        headers: {
          Accept: options.accept ?? "application/json",
          ...(options.token !== undefined ? { Authorization: `Bearer ${options.token}` } : {}),
          ...(options.body !== undefined ? { "Content-Type": options.contentType ?? "application/json" } : {}),
        },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (s: string) => (body += s));
        res.once("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.once("error", reject);
      },
    );
    req.once("timeout", () => req.destroy(new Error(`${options.method ?? "GET"} ${url}: no answer within ${timeoutMs} ms`)));
    req.once("error", reject);
    req.end(options.body);
  });
}

/** A non-2xx answer; `message` is the metav1.Status message (field causes included). */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly statusMessage: string;
  constructor(code: number, reason: string, message: string, what: string) {
    super(`${what}: ${code} ${reason}: ${message}`);
    this.name = "ApiError";
    this.code = code;
    this.reason = reason;
    this.statusMessage = message;
  }
}

/** Any JSON object the API server returns. */
export type Json = Record<string, unknown>;

/** Metadata fields the tests read; everything else stays untyped JSON. */
export interface Meta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  deletionTimestamp?: string;
  finalizers?: string[];
}

export interface KubeObject extends Json {
  metadata: Meta;
}

export interface List<T> {
  items: T[];
  metadata: { resourceVersion: string };
}

type Query = Readonly<Record<string, string>>;

/** JSON REST calls as one identity (a bearer token). */
export class Rest {
  readonly #server: string;
  readonly #ca: string;
  readonly #token: string;

  constructor(server: string, caPem: string, token: string) {
    this.#server = server;
    this.#ca = caPem;
    this.#token = token;
  }

  async #call<T>(method: string, path: string, options: { query?: Query; body?: unknown; contentType?: string; accept?: string } = {}): Promise<T> {
    const qs = new URLSearchParams(options.query ?? {}).toString();
    const res = await httpCall(`${this.#server}${path}${qs ? `?${qs}` : ""}`, {
      method,
      ca: this.#ca,
      token: this.#token,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
      ...(options.accept !== undefined ? { accept: options.accept } : {}),
    });
    if (res.status >= 200 && res.status < 300) return JSON.parse(res.body) as T;
    let status: { reason?: string; message?: string } = {};
    try {
      status = JSON.parse(res.body) as typeof status;
    } catch {
      status = { message: res.body };
    }
    throw new ApiError(res.status, status.reason ?? "", status.message ?? "", `${method} ${path}`);
  }

  get<T = KubeObject>(path: string, query?: Query, accept?: string): Promise<T> {
    return this.#call<T>("GET", path, { ...(query ? { query } : {}), ...(accept !== undefined ? { accept } : {}) });
  }

  /** GET of a text resource (kube-apiserver's /metrics), its body as is. */
  async text(path: string): Promise<string> {
    const res = await httpCall(`${this.#server}${path}`, { ca: this.#ca, token: this.#token, accept: "text/plain" });
    if (res.status !== 200) throw new ApiError(res.status, "", res.body, `GET ${path}`);
    return res.body;
  }

  /** GET that resolves to `undefined` on 404. */
  async find<T = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    }
  }

  list<T = KubeObject>(path: string, query?: Query): Promise<List<T>> {
    return this.get<List<T>>(path, query);
  }

  create<T = KubeObject>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.#call<T>("POST", path, { body, ...(query ? { query } : {}) });
  }

  replace<T = KubeObject>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.#call<T>("PUT", path, { body, ...(query ? { query } : {}) });
  }

  /** JSON merge patch (RFC 7386). */
  merge<T = KubeObject>(path: string, patch: unknown): Promise<T> {
    return this.#call<T>("PATCH", path, { body: patch, contentType: "application/merge-patch+json" });
  }

  delete(path: string, query?: Query): Promise<Json> {
    return this.#call<Json>("DELETE", path, query ? { query } : {});
  }
}
