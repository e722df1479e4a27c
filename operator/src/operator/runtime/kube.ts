// SPDX-License-Identifier: Apache-2.0
/**
 * The narrow port through which the operator talks to Kubernetes (controller-runtime's `Client`
 * in spirit). The production adapter is client-node.ts; tests use an in-memory fake. Writes of
 * desired state go through server-side apply under one field manager.
 */
import type { ObjectMeta } from "../../api/index.js";

/** Field manager of every server-side apply the operator makes. */
export const FIELD_MANAGER = "relaylab-operator";

/** Any Kubernetes object. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

/** Identifies one object; `namespace` is absent for cluster-scoped kinds. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
}

export interface ObjectList<T> {
  items: T[];
  resourceVersion: string;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";

export interface WatchOptions extends ListOptions {
  resourceVersion: string;
}

/** A running watch; `stop` ends it without calling `onDone` with an error. */
export interface WatchHandle {
  stop(): void;
}

export interface KubeApi {
  /** The object, or undefined if it does not exist. */
  get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined>;
  list<T extends KubeObject>(apiVersion: string, kind: string, options?: ListOptions): Promise<ObjectList<T>>;
  /**
   * Streams changes after `resourceVersion`. `onDone` is called once when the stream ends, with
   * the error that ended it (a KubeError with code 410 when the version is too old) or none.
   */
  watch(apiVersion: string, kind: string, options: WatchOptions, onEvent: (type: WatchEventType, obj: KubeObject) => void, onDone: (err?: unknown) => void): Promise<WatchHandle>;
  /** Server-side apply of `obj` under FIELD_MANAGER, forcing ownership of the fields it sets. */
  apply<T extends KubeObject>(obj: KubeObject): Promise<T>;
  /** Server-side apply of `obj.status` to the status subresource, under FIELD_MANAGER. */
  applyStatus<T extends KubeObject>(obj: KubeObject): Promise<T>;
  /** Create; fails with 409 if it exists. */
  create<T extends KubeObject>(obj: KubeObject): Promise<T>;
  /** Full replace guarded by `metadata.resourceVersion`; fails with 409 if the object changed. */
  update<T extends KubeObject>(obj: KubeObject): Promise<T>;
  /** Deletes (background propagation); a missing object is not an error. */
  delete(ref: ObjectRef): Promise<void>;
  /** Whether the API server serves `group` (discovery), e.g. "monitoring.coreos.com". */
  isGroupServed(group: string): Promise<boolean>;
}

/** Whether a signal has aborted; a function, so control-flow narrowing does not assume it stays false. */
export const aborted = (signal: AbortSignal): boolean => signal.aborted;

/** The ObjectRef of an object. */
export function refOf(obj: KubeObject): ObjectRef {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: obj.metadata.name ?? "",
    ...(obj.metadata.namespace !== undefined ? { namespace: obj.metadata.namespace } : {}),
  };
}
