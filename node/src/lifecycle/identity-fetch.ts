// SPDX-License-Identifier: Apache-2.0
/**
 * A node pod's identity key, fetched at start from the operator's key service (identity/delivery.ts
 * says how the exchange is sealed). The operator may start after its nodes or be between replicas,
 * so failures are retried with a capped backoff until the deadline; each attempt reads the token
 * file again because the kubelet rotates it. Nothing here logs the token or the key.
 */
import { readFileSync } from "node:fs";
import { DeliveryError, requestIdentity } from "../identity/index.js";
import type { Logger } from "../log.js";

export interface IdentityFetchOptions {
  /** The key service's URL (the operator's Service, path included). */
  readonly url: string;
  /** The key service's X25519 public key (64 hex), published beside the genesis. */
  readonly servicePublicKey: string;
  /** "namespace/name" of the Subnet. */
  readonly subnet: string;
  readonly index: number;
  /** The pod's projected service-account token. */
  readonly tokenFile: string;
  readonly log: Logger;
  /** Give up after this long. @default 300000 */
  readonly deadlineMs?: number;
  /** Per-attempt HTTP timeout. @default 10000 */
  readonly attemptTimeoutMs?: number;
}

/** Statuses that say the request itself is wrong: retrying the same request cannot help. */
const FINAL_STATUSES = new Set([400, 403]);

/** A failure that another attempt would repeat. */
class Refused extends Error {}

export async function fetchIdentityKey(opts: IdentityFetchOptions): Promise<string> {
  const deadline = Date.now() + (opts.deadlineMs ?? 300_000);
  let backoffMs = 500;
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    try {
      const token = readFileSync(opts.tokenFile, "utf8").trim();
      const exchange = requestIdentity(opts.servicePublicKey, opts.subnet, opts.index, token);
      const res = await fetch(opts.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(exchange.request),
        signal: AbortSignal.timeout(opts.attemptTimeoutMs ?? 10_000),
      });
      const body: unknown = await res.json().catch(() => undefined);
      if (res.ok) return exchange.open(body);
      const error = typeof body === "object" && body !== null && typeof (body as { error?: unknown }).error === "string" ? (body as { error: string }).error : res.statusText;
      if (FINAL_STATUSES.has(res.status)) throw new Refused(`the key service refused node ${opts.index} of ${opts.subnet}: ${res.status} ${error}`);
      reason = `${res.status} ${error}`;
    } catch (err) {
      if (err instanceof Refused) throw err;
      if (err instanceof DeliveryError && err.code === "unauthenticated") throw new Refused(`the key service's answer does not open with its published key (${err.message})`);
      reason = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() + backoffMs > deadline) throw new Error(`no identity key from ${opts.url} after ${attempt} attempts: ${reason}`);
    opts.log.warn({ event: "identity_fetch_retry", attempt, url: opts.url, reason, retryInMs: backoffMs }, "identity key not delivered yet; retrying");
    await new Promise((resolve) => setTimeout(resolve, backoffMs));
    backoffMs = Math.min(backoffMs * 2, 10_000);
  }
}
