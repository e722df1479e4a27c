// SPDX-License-Identifier: Apache-2.0
/**
 * Leader election with a coordination.k8s.io/v1 Lease, following client-go's leaderelection:
 * a candidate takes the lease when it is free or its holder has not renewed it for a lease
 * duration (measured on the local clock from when this candidate last saw the record change, so
 * clock skew between replicas does not matter); the leader renews every retry period and steps
 * down when it cannot renew within the renew deadline. Writes are resourceVersion-guarded
 * updates, so two candidates never both win.
 */
import type { Logger } from "pino";
import type { OperatorMetrics } from "../../metrics/registry.js";
import { sleep, type Clock } from "@relaylab/node/clock";
import { isConflict } from "./errors.js";
import { aborted } from "./kube.js";
import type { KubeApi, KubeObject } from "./kube.js";
import type { PolicyRule } from "./rbac.js";

/** RBAC the elector needs. */
export const LEADER_ELECTION_RULES: PolicyRule[] = [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] }];

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  api: KubeApi;
  namespace: string;
  /** Lease name. @default "relaylab-operator" */
  name?: string;
  /** This replica's identity (pod name + random suffix). */
  identity: string;
  clock: Clock;
  log: Logger;
  metrics: OperatorMetrics | null;
  /** @default 15000 */
  leaseDurationMs?: number;
  /** @default 10000 */
  renewDeadlineMs?: number;
  /** @default 2000 */
  retryPeriodMs?: number;
}

/** Thrown by runWithLeaderElection when the leader could not renew in time (the process should restart). */
export class LeadershipLostError extends Error {
  override readonly name = "LeadershipLostError";
}

/** A Lease timestamp (metav1.MicroTime: RFC 3339 with microseconds). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, "metrics">> & { metrics: OperatorMetrics | null };
  #observed: string | undefined;
  #observedAt = 0;

  constructor(opts: LeaderElectionOptions) {
    this.#o = { name: "relaylab-operator", leaseDurationMs: 15000, renewDeadlineMs: 10000, retryPeriodMs: 2000, ...opts };
  }

  /** One attempt to acquire or renew; true when this replica holds the lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name, identity, clock, leaseDurationMs } = this.#o;
    // Lease times are wall-clock: other replicas read them.
    const now = clock.wallNow();
    const ref = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace, name };
    const lease = await api.get<Lease>(ref);
    const mine = { holderIdentity: identity, leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000), acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 } satisfies LeaseSpec;
    if (lease === undefined) {
      try {
        await api.create({ ...ref, metadata: { name, namespace }, spec: mine } as Lease);
      } catch (err) {
        if (isConflict(err)) return false;
        throw err;
      }
      this.#see(JSON.stringify(mine), now);
      return true;
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify(spec);
    if (record !== this.#observed) this.#see(record, now);
    const holder = spec.holderIdentity ?? "";
    const heldByOther = holder !== "" && holder !== identity;
    if (heldByOther && this.#observedAt + (spec.leaseDurationSeconds ?? 0) * 1000 > now) return false;
    const next: LeaseSpec =
      holder === identity
        ? { ...spec, renewTime: microTime(now), leaseDurationSeconds: mine.leaseDurationSeconds }
        : { ...mine, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 };
    try {
      await api.update({ ...lease, spec: next } as Lease);
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
    this.#see(JSON.stringify(next), now);
    return true;
  }

  /**
   * Waits for the lease, then runs `lead` with a signal that aborts when leadership ends. Returns
   * when `signal` aborts (releasing the lease); throws LeadershipLostError if renewal failed.
   */
  async run(signal: AbortSignal, lead: (leading: AbortSignal) => Promise<void>): Promise<void> {
    const { clock, log, retryPeriodMs, renewDeadlineMs, identity, metrics } = this.#o;
    while (!signal.aborted && !(await this.#attempt())) await sleep(clock, retryPeriodMs, signal);
    if (signal.aborted) return;
    log.info({ identity }, "became leader");
    metrics?.leader.set(1);
    const leading = new AbortController();
    const stopLeading = (): void => leading.abort();
    signal.addEventListener("abort", stopLeading, { once: true });
    const work = lead(leading.signal).finally(stopLeading);
    let lost = false;
    let lastRenew = clock.now();
    while (!leading.signal.aborted) {
      await sleep(clock, retryPeriodMs, leading.signal);
      if (aborted(leading.signal)) break;
      if (await this.#attempt()) lastRenew = clock.now();
      else if (clock.now() - lastRenew > renewDeadlineMs) {
        lost = true;
        log.error({ identity }, "could not renew the leader lease within the renew deadline; stepping down");
        leading.abort();
      }
    }
    signal.removeEventListener("abort", stopLeading);
    metrics?.leader.set(0);
    await work;
    if (lost) throw new LeadershipLostError("lost the leader lease; restart to compete again");
    await this.#release();
  }

  async #attempt(): Promise<boolean> {
    try {
      return await this.tryAcquireOrRenew();
    } catch (err) {
      this.#o.log.warn({ err: err instanceof Error ? err.message : String(err) }, "leader election request failed");
      return false;
    }
  }

  /** Gives the lease up on clean shutdown so another replica takes over at once. */
  async #release(): Promise<void> {
    const { api, namespace, name, identity, log } = this.#o;
    try {
      const lease = await api.get<Lease>({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", namespace, name });
      if (lease?.spec?.holderIdentity !== identity) return;
      await api.update({ ...lease, spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1 } } as Lease);
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "could not release the leader lease; it expires by itself");
    }
  }

  #see(record: string, now: number): void {
    this.#observed = record;
    this.#observedAt = now;
  }
}
