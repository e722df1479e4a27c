// SPDX-License-Identifier: Apache-2.0
/**
 * The KubeApi port over @kubernetes/client-node: its KubeConfig for authentication (in-cluster
 * or KUBECONFIG), its HTTP library for requests and its Watch for streams. Requests go to REST
 * paths from kinds.ts and return plain JSON (no model classes, no Date objects), so the operator
 * sees the same shapes as the fake API in tests.
 */
import { HttpMethod, IsomorphicFetchHttpLibrary, KubeConfig, PatchStrategy, RequestContext, Watch } from "@kubernetes/client-node";
import { KubeError } from "./errors.js";
import { FIELD_MANAGER, refOf } from "./kube.js";
import type { KubeApi, KubeObject, ListOptions, ObjectList, ObjectRef, WatchEventType, WatchHandle, WatchOptions } from "./kube.js";
import { restPath } from "./kinds.js";

/** Loads in-cluster config when running in a pod, otherwise KUBECONFIG / ~/.kube/config. */
export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

interface Request {
  method: HttpMethod;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  contentType?: string;
}

/** Builds the production KubeApi. */
export function createKubeApi(kc: KubeConfig): KubeApi {
  const http = new IsomorphicFetchHttpLibrary();
  const server = (): string => {
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new Error("the kubeconfig has no current cluster; set a current-context or run in a pod");
    return cluster.server;
  };

  async function call<T>(req: Request): Promise<T> {
    const url = new URL(server() + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const ctx = new RequestContext(url.toString(), req.method);
    ctx.setHeaderParam("Accept", "application/json");
    if (req.body !== undefined) {
      ctx.setHeaderParam("Content-Type", req.contentType ?? "application/json");
      ctx.setBody(JSON.stringify(req.body));
    }
    await kc.applySecurityAuthentication(ctx);
    const res = await http.send(ctx).toPromise();
    const text = await res.body.text();
    if (res.httpStatusCode >= 200 && res.httpStatusCode < 300) return (text === "" ? {} : JSON.parse(text)) as T;
    throw statusError(res.httpStatusCode, text, `${req.method} ${req.path}`);
  }

  const applyQuery = { fieldManager: FIELD_MANAGER, force: "true" };

  return {
    async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
      try {
        return await call<T>({ method: HttpMethod.GET, path: restPath(ref.apiVersion, ref.kind, ref.namespace, ref.name) });
      } catch (err) {
        if (err instanceof KubeError && err.code === 404) return undefined;
        throw err;
      }
    },
    async list<T extends KubeObject>(apiVersion: string, kind: string, options: ListOptions = {}): Promise<ObjectList<T>> {
      const res = await call<{ items?: T[]; metadata?: { resourceVersion?: string } }>({
        method: HttpMethod.GET,
        path: restPath(apiVersion, kind, options.namespace),
        query: options.labelSelector !== undefined ? { labelSelector: options.labelSelector } : {},
      });
      // List items omit apiVersion/kind; put them back so objects look the same everywhere.
      return { items: (res.items ?? []).map((o) => ({ ...o, apiVersion, kind })), resourceVersion: res.metadata?.resourceVersion ?? "" };
    },
    async watch(
      apiVersion: string,
      kind: string,
      options: WatchOptions,
      onEvent: (type: WatchEventType, obj: KubeObject) => void,
      onDone: (err?: unknown) => void,
    ): Promise<WatchHandle> {
      let stopped = false;
      let finished = false;
      const finish = (err?: unknown): void => {
        if (finished) return;
        finished = true;
        if (!stopped) onDone(err);
      };
      // The server ends the watch after timeoutSeconds; the informer resumes from the last version, so a silently dead
      // connection cannot stall it for longer than that.
      const query: Record<string, string> = { resourceVersion: options.resourceVersion, allowWatchBookmarks: "true", timeoutSeconds: "300" };
      if (options.labelSelector !== undefined) query.labelSelector = options.labelSelector;
      const controller = await new Watch(kc).watch(
        restPath(apiVersion, kind, options.namespace),
        query,
        (type: string, obj: unknown) => {
          if (finished) return;
          if (type === "ERROR") {
            const status = obj as { code?: number; message?: string; reason?: string };
            finish(new KubeError(status.code ?? 500, status.message ?? "watch error", status.reason));
            controller.abort();
            return;
          }
          onEvent(type as WatchEventType, obj as KubeObject);
        },
        (err: unknown) => finish(err ?? undefined),
      );
      return {
        stop() {
          stopped = true;
          controller.abort();
        },
      };
    },
    apply<T extends KubeObject>(obj: KubeObject): Promise<T> {
      const ref = refOf(obj);
      return call<T>({ method: HttpMethod.PATCH, path: restPath(ref.apiVersion, ref.kind, ref.namespace, ref.name), query: applyQuery, body: obj, contentType: PatchStrategy.ServerSideApply });
    },
    applyStatus<T extends KubeObject>(obj: KubeObject): Promise<T> {
      const ref = refOf(obj);
      return call<T>({
        method: HttpMethod.PATCH,
        path: restPath(ref.apiVersion, ref.kind, ref.namespace, ref.name, "status"),
        query: applyQuery,
        body: obj,
        contentType: PatchStrategy.ServerSideApply,
      });
    },
    create<T extends KubeObject>(obj: KubeObject): Promise<T> {
      const ref = refOf(obj);
      return call<T>({ method: HttpMethod.POST, path: restPath(ref.apiVersion, ref.kind, ref.namespace), query: { fieldManager: FIELD_MANAGER }, body: obj });
    },
    update<T extends KubeObject>(obj: KubeObject): Promise<T> {
      const ref = refOf(obj);
      return call<T>({ method: HttpMethod.PUT, path: restPath(ref.apiVersion, ref.kind, ref.namespace, ref.name), query: { fieldManager: FIELD_MANAGER }, body: obj });
    },
    async delete(ref: ObjectRef): Promise<void> {
      try {
        await call({ method: HttpMethod.DELETE, path: restPath(ref.apiVersion, ref.kind, ref.namespace, ref.name), body: { propagationPolicy: "Background" } });
      } catch (err) {
        if (!(err instanceof KubeError && err.code === 404)) throw err;
      }
    },
    async isGroupServed(group: string): Promise<boolean> {
      const res = await call<{ groups?: { name?: string }[] }>({ method: HttpMethod.GET, path: "/apis" });
      return (res.groups ?? []).some((g) => g.name === group);
    },
  };
}

/** A KubeError from an API response body (a metav1.Status when the server sent one). */
function statusError(code: number, text: string, what: string): KubeError {
  try {
    const status = JSON.parse(text) as { message?: string; reason?: string };
    return new KubeError(code, `${what}: ${status.message ?? text}`, status.reason);
  } catch {
    return new KubeError(code, `${what}: HTTP ${code} ${text.slice(0, 200)}`);
  }
}
