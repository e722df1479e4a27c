// SPDX-License-Identifier: Apache-2.0
/**
 * A list-watch informer over the KubeApi port: keeps a cache of one kind and tells subscribers
 * what changed. The lessons of client-node's ListWatch are built in:
 * - watches resume from the last resourceVersion seen (events and bookmarks);
 * - 410 Gone relists from scratch (objects that vanished meanwhile are reported deleted);
 * - any other error backs off, doubling from 1 s to 30 s, and retries for ever;
 * - after a restart every cached object is reported again through `onResync`, because a resumed
 *   watch does not re-fire `add` (kubernetes-client/javascript#795), and a controller that missed
 *   events while disconnected must look at everything once more.
 */
import type { Logger } from "pino";
import { sleep, type Clock } from "@relaylab/node/clock";
import { isGone } from "./errors.js";
import { aborted } from "./kube.js";
import type { KubeApi, KubeObject, WatchEventType } from "./kube.js";

export interface InformerHandlers<T> {
  onAdd?: (obj: T) => void;
  onUpdate?: (obj: T, old: T) => void;
  onDelete?: (obj: T) => void;
  /** Every cached object, after the initial list and after each restart. */
  onResync?: (objs: readonly T[]) => void;
}

export interface InformerOptions {
  api: KubeApi;
  apiVersion: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  clock: Clock;
  log: Logger;
  /** First retry delay after an error. @default 1000 */
  backoffBaseMs?: number;
  /** Longest retry delay. @default 30000 */
  backoffMaxMs?: number;
}

/** Read access to an informer's cache (what reconcilers depend on; tests can pass a Map-backed one). */
export interface ObjectCache<T> {
  /** By cacheKey: `namespace/name`, or `name` for cluster-scoped objects. */
  get(key: string): T | undefined;
  list(): T[];
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function cacheKey(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  return ns !== undefined && ns !== "" ? `${ns}/${obj.metadata.name ?? ""}` : (obj.metadata.name ?? "");
}

export class Informer<T extends KubeObject> implements ObjectCache<T> {
  readonly #opts: InformerOptions;
  readonly #cache = new Map<string, T>();
  readonly #handlers: InformerHandlers<T>[] = [];
  #resourceVersion = "";
  #synced = false;
  readonly #syncWaiters: (() => void)[] = [];
  /** Restarts after errors (not counting 410 relists or server-side watch ends). */
  restarts = 0;

  constructor(opts: InformerOptions) {
    this.#opts = opts;
  }

  /** Subscribes to changes. */
  on(handlers: InformerHandlers<T>): void {
    this.#handlers.push(handlers);
  }

  get(key: string): T | undefined {
    return this.#cache.get(key);
  }

  list(): T[] {
    return [...this.#cache.values()];
  }

  /** The resourceVersion the next watch resumes from; empty before the first list or after a 410. */
  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  /** Resolves once the first list has filled the cache. */
  synced(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  /** Runs until `signal` aborts. Never rejects: errors are logged and retried with backoff. */
  async run(signal: AbortSignal): Promise<void> {
    const { clock, log } = this.#opts;
    const base = this.#opts.backoffBaseMs ?? 1000;
    const max = this.#opts.backoffMaxMs ?? 30000;
    let delay = 0;
    let recovering = false;
    while (!signal.aborted) {
      try {
        if (this.#resourceVersion === "") {
          await this.#relist(); // a relist reports every object itself
          recovering = false;
        }
        const err = await this.#watchOnce(
          signal,
          () => (delay = 0),
          () => {
            delay = 0;
            if (!recovering) return;
            recovering = false;
            this.#emitResync();
          },
        );
        if (err === undefined) continue;
        if (isGone(err)) {
          log.info({ kind: this.#opts.kind }, "watch expired (410 Gone); relisting");
          this.#resourceVersion = "";
          continue;
        }
        throw err instanceof Error ? err : new Error(JSON.stringify(err));
      } catch (err) {
        if (aborted(signal)) break;
        delay = Math.min(delay === 0 ? base : delay * 2, max);
        this.restarts++;
        recovering = true;
        log.warn({ kind: this.#opts.kind, err: errorText(err), retryInMs: delay }, "list/watch failed; retrying");
        await sleep(clock, delay, signal);
      }
    }
  }

  async #relist(): Promise<void> {
    const { api, apiVersion, kind } = this.#opts;
    const list = await api.list<T>(apiVersion, kind, this.#listOptions());
    const fresh = new Map(list.items.map((o) => [cacheKey(o), o]));
    for (const [key, old] of [...this.#cache]) {
      if (!fresh.has(key)) {
        this.#cache.delete(key);
        for (const h of this.#handlers) h.onDelete?.(old);
      }
    }
    for (const [key, obj] of fresh) this.#upsert(key, obj);
    this.#resourceVersion = list.resourceVersion;
    if (!this.#synced) {
      this.#synced = true;
      for (const w of this.#syncWaiters.splice(0)) w();
    }
    this.#emitResync();
  }

  /** One watch stream; resolves with the error that ended it (undefined for a clean end or abort). */
  #watchOnce(signal: AbortSignal, onProgress: () => void, onStarted: () => void): Promise<unknown> {
    const { api, apiVersion, kind } = this.#opts;
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        resolve(err);
      };
      const onEvent = (type: WatchEventType, o: KubeObject): void => {
        const obj = o as T;
        const rv = obj.metadata.resourceVersion;
        if (type === "ADDED" || type === "MODIFIED") this.#upsert(cacheKey(obj), obj);
        else if (type === "DELETED") this.#remove(cacheKey(obj), obj);
        if (rv !== undefined && rv !== "") this.#resourceVersion = rv;
        onProgress();
      };
      let handle: { stop(): void } | undefined;
      const onAbort = (): void => {
        handle?.stop();
        settle();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      api.watch(apiVersion, kind, { ...this.#listOptions(), resourceVersion: this.#resourceVersion }, onEvent, (err) => settle(isTimeout(err) ? undefined : err)).then(
        (h) => {
          handle = h;
          if (signal.aborted) h.stop();
          else onStarted();
        },
        (err: unknown) => {
          signal.removeEventListener("abort", onAbort);
          if (!settled) {
            settled = true;
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        },
      );
    });
  }

  #listOptions(): { namespace?: string; labelSelector?: string } {
    const { namespace, labelSelector } = this.#opts;
    return { ...(namespace !== undefined ? { namespace } : {}), ...(labelSelector !== undefined ? { labelSelector } : {}) };
  }

  #upsert(key: string, obj: T): void {
    const old = this.#cache.get(key);
    this.#cache.set(key, obj);
    if (old === undefined) for (const h of this.#handlers) h.onAdd?.(obj);
    else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) for (const h of this.#handlers) h.onUpdate?.(obj, old);
  }

  #remove(key: string, obj: T): void {
    this.#cache.delete(key);
    for (const h of this.#handlers) h.onDelete?.(obj);
  }

  #emitResync(): void {
    const all = this.list();
    for (const h of this.#handlers) h.onResync?.(all);
  }
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
