// SPDX-License-Identifier: Apache-2.0
/**
 * A controller: a work queue of keys, a few workers calling a level-based `reconcile(key)`, and
 * the wiring from informers to keys (the object itself, its controller owner, or any mapping).
 * Errors requeue with per-key backoff; TerminalError drops the key until its object changes;
 * `requeueAfterMs` schedules the next look.
 */
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import type { OperatorMetrics } from "../../metrics/registry.js";
import { observeReconcile } from "../../metrics/registry.js";
import type { ControllerName } from "../../metrics/names.js";
import type { Clock } from "@relaylab/node/clock";
import { TerminalError } from "./errors.js";
import type { Informer } from "./informer.js";
import type { KubeObject } from "./kube.js";
import { WorkQueue } from "./queue.js";
import { defaultControllerRateLimiter } from "./ratelimiter.js";
import type { RateLimiter } from "./ratelimiter.js";

/** What a reconcile asks for next. */
export interface Result {
  /** Look again after this long even if nothing changes (e.g. to refresh live figures). */
  requeueAfterMs?: number;
}

export type Reconcile = (key: string, signal: AbortSignal) => Promise<Result>;

/** Queue key of an object: `Kind/namespace/name`, or `Kind/name` when cluster-scoped. */
export function objectKey(kind: string, name: string, namespace?: string): string {
  return namespace !== undefined && namespace !== "" ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
}

/** Splits a key made by objectKey. */
export function parseKey(key: string): { kind: string; namespace?: string; name: string } {
  const parts = key.split("/");
  if (parts.length === 3) return { kind: parts[0] ?? "", namespace: parts[1] ?? "", name: parts[2] ?? "" };
  if (parts.length === 2) return { kind: parts[0] ?? "", name: parts[1] ?? "" };
  throw new Error(`"${key}" is not a queue key (Kind/name or Kind/namespace/name)`);
}

/** Key of the object's controller owner of `ownerKind`, if it has one. */
export function controllerOwnerKey(obj: KubeObject, ownerKind: string): string | undefined {
  const owner = obj.metadata.ownerReferences?.find((r) => r.controller === true && r.kind === ownerKind);
  return owner === undefined ? undefined : objectKey(ownerKind, owner.name, obj.metadata.namespace);
}

/**
 * Whether an update changed more than the status: the spec (the generation, which the API server
 * bumps on spec changes of a resource with a status subresource), or the metadata a reconcile
 * reads (labels, annotations, finalizers, owners, deletion).
 */
export function specOrMetadataChanged(obj: KubeObject, old: KubeObject): boolean {
  const m = obj.metadata;
  const o = old.metadata;
  if (m.generation === undefined || m.generation !== o.generation || m.deletionTimestamp !== o.deletionTimestamp) return true;
  return !isDeepStrictEqual([m.labels, m.annotations, m.finalizers, m.ownerReferences], [o.labels, o.annotations, o.finalizers, o.ownerReferences]);
}

export interface ControllerOptions {
  name: ControllerName;
  reconcile: Reconcile;
  clock: Clock;
  log: Logger;
  metrics: OperatorMetrics | null;
  /** @default 2 */
  workers?: number;
  rateLimiter?: RateLimiter;
}

export class Controller {
  readonly queue: WorkQueue;
  readonly #opts: ControllerOptions;

  constructor(opts: ControllerOptions) {
    this.#opts = opts;
    this.queue = new WorkQueue(opts.clock, opts.rateLimiter ?? defaultControllerRateLimiter(opts.clock), (depth) =>
      opts.metrics?.queueDepth.set({ controller: opts.name }, depth),
    );
  }

  get name(): ControllerName {
    return this.#opts.name;
  }

  /**
   * Enqueues the keys `map` returns for every add, update, delete and resync of `informer`; with
   * `ignoreStatusOnly`, not for an update that changed only the status (controller-runtime's
   * generation-changed predicate): a reconcile's own status write does not run it again.
   */
  watch<T extends KubeObject>(informer: Informer<T>, map: (obj: T) => readonly string[], options: { ignoreStatusOnly?: boolean } = {}): void {
    const enqueue = (obj: T): void => {
      for (const key of map(obj)) this.queue.add(key);
    };
    const onUpdate = (obj: T, old: T): void => {
      if (options.ignoreStatusOnly !== true || specOrMetadataChanged(obj, old)) enqueue(obj);
    };
    informer.on({ onAdd: enqueue, onUpdate, onDelete: enqueue, onResync: (objs) => objs.forEach(enqueue) });
  }

  /** Enqueues the object's own key, except for updates of its status alone (which the reconcile wrote). */
  watchSelf<T extends KubeObject>(informer: Informer<T>): void {
    this.watch(informer, (obj) => [objectKey(obj.kind, obj.metadata.name ?? "", obj.metadata.namespace)], { ignoreStatusOnly: true });
  }

  /** Enqueues the controller owner of kind `ownerKind` of each object (sample-controller's handleObject). */
  watchOwned<T extends KubeObject>(informer: Informer<T>, ownerKind: string): void {
    this.watch(informer, (obj) => {
      const key = controllerOwnerKey(obj, ownerKind);
      return key === undefined ? [] : [key];
    });
  }

  /** Runs `workers` workers until `signal` aborts, then shuts the queue down and waits for them. */
  async run(signal: AbortSignal): Promise<void> {
    const stop = (): void => this.queue.shutDown();
    if (signal.aborted) stop();
    signal.addEventListener("abort", stop, { once: true });
    const workers = Array.from({ length: this.#opts.workers ?? 2 }, () => this.#worker(signal));
    await Promise.all(workers);
  }

  async #worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      await this.processKey(key, signal);
    }
  }

  /** One reconcile of `key` with the queue bookkeeping around it (exposed for tests). */
  async processKey(key: string, signal: AbortSignal): Promise<void> {
    const { name, reconcile, clock, log, metrics } = this.#opts;
    const started = clock.now();
    try {
      const result = await reconcile(key, signal);
      this.queue.forget(key);
      if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
      observeReconcile(metrics, name, result.requeueAfterMs !== undefined ? "requeue" : "success", (clock.now() - started) / 1000);
    } catch (err) {
      const seconds = (clock.now() - started) / 1000;
      if (err instanceof TerminalError) {
        this.queue.forget(key);
        observeReconcile(metrics, name, "terminal", seconds);
        log.error({ controller: name, key, err: err.message }, "reconcile failed; not retrying until the object changes");
      } else {
        this.queue.addRateLimited(key);
        observeReconcile(metrics, name, "error", seconds);
        log.warn({ controller: name, key, err: err instanceof Error ? err.message : String(err), retries: this.queue.numRequeues(key) }, "reconcile failed; retrying with backoff");
      }
    } finally {
      this.queue.done(key);
    }
  }
}
