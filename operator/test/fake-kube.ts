// SPDX-License-Identifier: Apache-2.0
/**
 * An in-memory Kubernetes API behind the KubeApi port, in the spirit of controller-runtime's fake
 * client: resourceVersion on every write, generation bumped on spec change, server-side apply
 * as a deep merge (a no-op apply writes nothing), resourceVersion-guarded updates, finalizers
 * holding deletion, ownerReference garbage collection, watches with 410 on expiry, and an
 * interceptor for injected failures. Every write is recorded so tests can assert "no writes".
 */
import { randomUUID } from "node:crypto";
import { KubeError } from "../src/operator/runtime/errors.js";
import type { KubeApi, KubeObject, ListOptions, ObjectList, ObjectRef, WatchEventType, WatchHandle, WatchOptions } from "../src/operator/runtime/kube.js";
import { kindInfo } from "../src/operator/runtime/kinds.js";

type Obj = KubeObject & Record<string, unknown>;
export type Op = "get" | "list" | "watch" | "apply" | "applyStatus" | "create" | "update" | "delete";

interface Watcher {
  apiVersion: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  onEvent: (type: WatchEventType, obj: KubeObject) => void;
  onDone: (err?: unknown) => void;
}

export interface Write {
  op: Op;
  kind: string;
  namespace?: string;
  name: string;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** SSA approximated as a deep merge: objects merge key by key, arrays and scalars replace. */
function merge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = k in base ? merge(base[k], v) : structuredClone(v);
  return out;
}

const json = (v: unknown): string => JSON.stringify(v);

export class FakeKube implements KubeApi {
  readonly #objects = new Map<string, Obj>();
  readonly #watchers = new Set<Watcher>();
  #rv = 100;
  /** Watches asking for a resourceVersion below this get 410 Gone. */
  #compactedBelow = 0;
  readonly servedGroups = new Set<string>();
  readonly writes: Write[] = [];
  /** Return an error to fail a call (injected failures); called before every operation. */
  interceptor: ((op: Op, kind: string, name: string | undefined) => Error | undefined) | undefined;

  // ---- KubeApi ----

  get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    return this.#run("get", ref.kind, ref.name, () => {
      const o = this.#objects.get(this.#key(ref));
      return o === undefined ? undefined : (structuredClone(o) as unknown as T);
    });
  }

  list<T extends KubeObject>(apiVersion: string, kind: string, options: ListOptions = {}): Promise<ObjectList<T>> {
    return this.#run("list", kind, undefined, () => ({
      items: this.objects(apiVersion, kind, options).map((o) => structuredClone(o) as unknown as T),
      resourceVersion: String(this.#rv),
    }));
  }

  watch(
    apiVersion: string,
    kind: string,
    options: WatchOptions,
    onEvent: (type: WatchEventType, obj: KubeObject) => void,
    onDone: (err?: unknown) => void,
  ): Promise<WatchHandle> {
    return this.#run("watch", kind, undefined, () => {
      const w: Watcher = { apiVersion, kind, onEvent, onDone, ...options };
      if (Number(options.resourceVersion) < this.#compactedBelow) {
        queueMicrotask(() => onDone(new KubeError(410, "too old resource version", "Expired")));
        return { stop() {} };
      }
      this.#watchers.add(w);
      return { stop: () => this.#watchers.delete(w) };
    });
  }

  apply<T extends KubeObject>(obj: KubeObject): Promise<T> {
    return this.#run("apply", obj.kind, obj.metadata.name, () => {
      const key = this.#key(obj);
      const existing = this.#objects.get(key);
      const { status: _ignored, ...body } = obj as Obj;
      if (existing === undefined) return this.#store(this.#fresh(body), "ADDED", "apply") as unknown as T;
      const next = merge(existing, body) as Obj;
      return this.#replaceIfChanged(existing, next, "apply") as unknown as T;
    });
  }

  applyStatus<T extends KubeObject>(obj: KubeObject): Promise<T> {
    return this.#run("applyStatus", obj.kind, obj.metadata.name, () => {
      const existing = this.#mustGet(obj);
      const next = { ...existing, status: merge(existing.status ?? {}, (obj as Obj).status ?? {}) } as Obj;
      return this.#replaceIfChanged(existing, next, "applyStatus") as unknown as T;
    });
  }

  create<T extends KubeObject>(obj: KubeObject): Promise<T> {
    return this.#run("create", obj.kind, obj.metadata.name, () => {
      if (this.#objects.has(this.#key(obj))) throw new KubeError(409, `${obj.kind} "${obj.metadata.name ?? ""}" already exists`, "AlreadyExists");
      return this.#store(this.#fresh(obj as Obj), "ADDED", "create") as unknown as T;
    });
  }

  update<T extends KubeObject>(obj: KubeObject): Promise<T> {
    return this.#run("update", obj.kind, obj.metadata.name, () => {
      const existing = this.#mustGet(obj);
      if (obj.metadata.resourceVersion !== existing.metadata.resourceVersion) {
        throw new KubeError(409, `Operation cannot be fulfilled on ${obj.kind} "${obj.metadata.name ?? ""}": the object has been modified`, "Conflict");
      }
      const next = structuredClone(obj) as Obj;
      next.metadata = { ...next.metadata, uid: existing.metadata.uid ?? "", creationTimestamp: existing.metadata.creationTimestamp ?? "" };
      if (existing.metadata.deletionTimestamp !== undefined) next.metadata.deletionTimestamp = existing.metadata.deletionTimestamp;
      if ("status" in existing) next.status = existing.status;
      const stored = this.#replaceIfChanged(existing, next, "update");
      this.#finishDeletionIfReady(stored);
      return stored as unknown as T;
    });
  }

  delete(ref: ObjectRef): Promise<void> {
    return this.#run("delete", ref.kind, ref.name, () => {
      const existing = this.#objects.get(this.#key(ref));
      if (existing !== undefined) this.#delete(existing);
    });
  }

  isGroupServed(group: string): Promise<boolean> {
    return Promise.resolve(this.servedGroups.has(group));
  }

  // ---- test helpers ----

  /** Stored objects of a kind (live references; clone before changing). */
  objects(apiVersion: string, kind: string, options: ListOptions = {}): Obj[] {
    const sel = parseSelector(options.labelSelector);
    return [...this.#objects.values()].filter(
      (o) =>
        o.apiVersion === apiVersion &&
        o.kind === kind &&
        (options.namespace === undefined || o.metadata.namespace === options.namespace) &&
        Object.entries(sel).every(([k, v]) => o.metadata.labels?.[k] === v),
    );
  }

  /** The stored object, or undefined. */
  find(apiVersion: string, kind: string, name: string, namespace?: string): Obj | undefined {
    return this.#objects.get(this.#key({ apiVersion, kind, name, ...(namespace !== undefined ? { namespace } : {}) }));
  }

  /** Ends every watch with 410 Gone and forgets history up to now (etcd compaction). */
  expireWatches(): void {
    this.#compactedBelow = this.#rv + 1;
    for (const w of [...this.#watchers]) {
      this.#watchers.delete(w);
      w.onDone(new KubeError(410, "too old resource version", "Expired"));
    }
  }

  /** Ends every watch with an error (a dropped connection). */
  breakWatches(err: Error = new Error("connection reset")): void {
    for (const w of [...this.#watchers]) {
      this.#watchers.delete(w);
      w.onDone(err);
    }
  }

  get watcherCount(): number {
    return this.#watchers.size;
  }

  /** Sets a field as another actor would (e.g. StatefulSet status from its controller), bumping the resourceVersion. */
  patchAsOther(ref: ObjectRef, patch: Record<string, unknown>): Obj {
    const existing = this.#mustGet(ref);
    return this.#replaceIfChanged(existing, merge(existing, patch) as Obj, undefined);
  }

  // ---- internals ----

  async #run<T>(op: Op, kind: string, name: string | undefined, fn: () => T): Promise<T> {
    await Promise.resolve();
    const injected = this.interceptor?.(op, kind, name);
    if (injected !== undefined) throw injected;
    return fn();
  }

  #key(ref: ObjectRef | KubeObject): string {
    const r = "metadata" in ref ? { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.metadata.name, namespace: ref.metadata.namespace } : ref;
    const namespaced = kindInfo(r.apiVersion, r.kind).namespaced;
    if (namespaced && (r.namespace === undefined || r.namespace === "")) throw new KubeError(400, `${r.kind} is namespaced: metadata.namespace is required`);
    return `${r.apiVersion}|${r.kind}|${namespaced ? (r.namespace ?? "") : ""}|${r.name ?? ""}`;
  }

  #mustGet(ref: ObjectRef | KubeObject): Obj {
    const o = this.#objects.get(this.#key(ref));
    const name = "metadata" in ref ? ref.metadata.name : ref.name;
    if (o === undefined) throw new KubeError(404, `${ref.kind} "${name ?? ""}" not found`, "NotFound");
    return o;
  }

  #fresh(obj: Obj): Obj {
    const o = structuredClone(obj);
    o.metadata = { ...o.metadata, uid: randomUUID(), generation: 1, creationTimestamp: new Date().toISOString() };
    return o;
  }

  #store(obj: Obj, type: WatchEventType, op: Op | undefined): Obj {
    this.#rv++;
    obj.metadata.resourceVersion = String(this.#rv);
    this.#objects.set(this.#key(obj), obj);
    if (op !== undefined) this.writes.push({ op, kind: obj.kind, name: obj.metadata.name ?? "", ...(obj.metadata.namespace !== undefined ? { namespace: obj.metadata.namespace } : {}) });
    this.#notify(type, obj);
    return structuredClone(obj);
  }

  #replaceIfChanged(existing: Obj, next: Obj, op: Op | undefined): Obj {
    const strip = (o: Obj): unknown => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined, generation: undefined } });
    if (json(strip(existing)) === json(strip(next))) return structuredClone(existing);
    next.metadata.generation = (existing.metadata.generation ?? 1) + (json(existing.spec) !== json(next.spec) ? 1 : 0);
    return this.#store(next, "MODIFIED", op);
  }

  #finishDeletionIfReady(obj: Obj): void {
    if (obj.metadata.deletionTimestamp !== undefined && (obj.metadata.finalizers ?? []).length === 0) this.#delete(this.#mustGet(obj));
  }

  #delete(obj: Obj): void {
    if ((obj.metadata.finalizers ?? []).length > 0) {
      if (obj.metadata.deletionTimestamp === undefined) {
        const next = structuredClone(obj);
        next.metadata.deletionTimestamp = new Date().toISOString();
        this.#store(next, "MODIFIED", "delete");
      }
      return;
    }
    this.#objects.delete(this.#key(obj));
    this.#rv++;
    this.writes.push({ op: "delete", kind: obj.kind, name: obj.metadata.name ?? "", ...(obj.metadata.namespace !== undefined ? { namespace: obj.metadata.namespace } : {}) });
    this.#notify("DELETED", { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.#rv) } });
    // Garbage collection: dependents whose owner is gone.
    for (const dep of [...this.#objects.values()]) {
      if (dep.metadata.ownerReferences?.some((r) => r.uid === obj.metadata.uid) === true) this.#delete(dep);
    }
  }

  #notify(type: WatchEventType, obj: Obj): void {
    for (const w of this.#watchers) {
      if (w.apiVersion !== obj.apiVersion || w.kind !== obj.kind) continue;
      if (w.namespace !== undefined && w.namespace !== obj.metadata.namespace) continue;
      const sel = parseSelector(w.labelSelector);
      if (!Object.entries(sel).every(([k, v]) => obj.metadata.labels?.[k] === v)) continue;
      const copy = structuredClone(obj);
      queueMicrotask(() => {
        if (this.#watchers.has(w)) w.onEvent(type, copy);
      });
    }
  }
}

/** Equality-based selectors only ("a=b,c=d"), which is all the operator uses. */
function parseSelector(selector: string | undefined): Record<string, string> {
  if (selector === undefined || selector === "") return {};
  return Object.fromEntries(
    selector.split(",").map((term) => {
      const [k, v] = term.split("=");
      if (k === undefined || v === undefined) throw new Error(`fake-kube supports only k=v selectors, got "${term}"`);
      return [k, v];
    }),
  );
}
