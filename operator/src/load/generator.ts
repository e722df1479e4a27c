// SPDX-License-Identifier: Apache-2.0
/**
 * The load generator behind `relaylab load`: submits ingress messages of a fixed size at a fixed rate,
 * round-robin over node endpoints, for a duration, and measures for itself when each accepted message is
 * finalized (by watching one node's stream of finalized blocks). Numbers come from this process's clock,
 * not from the nodes' metrics.
 */
import { createHash, randomFillSync } from "node:crypto";
import { status as grpcStatus, type ClientReadableStream, type ServiceError } from "@grpc/grpc-js";
import { type FinalizedBlock, NodeClient } from "@relaylab/node/client";
import { summarize, type LatencySummary } from "@relaylab/node/quantile";

/** A node to send to: its Public API (host:port) and the certificate genesis pins for it (none for plaintext). */
export interface LoadEndpoint {
  readonly address: string;
  readonly certificate?: string | undefined;
}

export interface LoadOptions {
  readonly endpoints: readonly LoadEndpoint[];
  /** Messages per second. */
  readonly rate: number;
  /** Bytes per message. */
  readonly size: number;
  readonly durationSeconds: number;
  /** After sending stops, how long to wait for accepted messages to be finalized. */
  readonly drainSeconds: number;
  /** Called about once a second while running. */
  readonly onProgress?: (p: LoadProgress) => void;
}

export interface LoadProgress {
  readonly elapsedSeconds: number;
  readonly sent: number;
  readonly accepted: number;
  readonly finalized: number;
  readonly rejected: number;
  readonly inFlight: number;
  readonly finalizedHeight: number;
}

export interface LoadResult {
  readonly endpoints: readonly string[];
  readonly rate: number;
  readonly size: number;
  readonly durationSeconds: number;
  readonly sent: number;
  readonly accepted: number;
  /** Refused with RESOURCE_EXHAUSTED (the node's pool was full). */
  readonly rejectedFull: number;
  /** Any other failed submission (size limit, unreachable node, deadline). */
  readonly failed: number;
  /** Not sent because this many submissions were already outstanding (the nodes answer too slowly). */
  readonly skipped: number;
  readonly finalized: number;
  /** Accepted but not seen finalized within the drain time. */
  readonly unfinalized: number;
  /** Finalized messages per second, over the sending duration. */
  readonly throughputPerSecond: number;
  readonly throughputBytesPerSecond: number;
  /** Submit → finalized seen on the watched node, seconds. */
  readonly latencySeconds: LatencySummary;
  readonly heights: { readonly from: number; readonly to: number };
  readonly firstError: string | undefined;
}

/** Submissions allowed to wait for an answer at once; beyond this the generator skips (and counts) sends. */
const MAX_IN_FLIGHT = 2000;
const SUBMIT_DEADLINE_MS = 10_000;
const TICK_MS = 10;

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const clients = opts.endpoints.map((e) => new NodeClient({ public: e.address, certificate: e.certificate }, { deadlineMs: SUBMIT_DEADLINE_MS }));
  const watched = clients[0];
  if (watched === undefined) throw new Error("no endpoints to load");
  const submittedAt = new Map<string, number>();
  const latencies: number[] = [];
  const counts = { sent: 0, accepted: 0, rejectedFull: 0, failed: 0, skipped: 0, finalized: 0, inFlight: 0 };
  let firstError: string | undefined;
  const heights = { from: 0, to: 0 };

  const stream: ClientReadableStream<FinalizedBlock> = watched.watchFinalized(0n);
  let replayWait: NodeJS.Timeout | undefined;
  const streamReady = new Promise<void>((resolve) => {
    // The replay of already-finalized blocks ends quickly; do not wait for one if the chain is empty or the node is down.
    replayWait = setTimeout(resolve, 2000);
    stream.on("error", () => resolve());
    stream.on("data", (block: FinalizedBlock) => {
      const now = performance.now();
      const height = Number(block.height);
      if (heights.from === 0) heights.from = height;
      heights.to = Math.max(heights.to, height);
      for (const raw of block.messageIds) {
        const id = Buffer.from(raw).toString("hex");
        const at = submittedAt.get(id);
        if (at === undefined) continue;
        submittedAt.delete(id);
        counts.finalized++;
        latencies.push((now - at) / 1000);
      }
      resolve();
    });
  });
  stream.on("error", (err: ServiceError) => {
    if (err.code !== grpcStatus.CANCELLED) firstError ??= `watching finalized blocks on ${opts.endpoints[0]?.address}: ${err.details || err.message}`;
  });
  await streamReady;
  clearTimeout(replayWait);

  const payload = new Uint8Array(opts.size);
  const submit = (client: NodeClient): void => {
    randomFillSync(payload, 0, Math.min(32, payload.length));
    const copy = payload.slice();
    const id = createHash("sha256").update(copy).digest("hex");
    counts.sent++;
    counts.inFlight++;
    const at = performance.now();
    client.submitMessage(copy).then(
      () => {
        counts.inFlight--;
        counts.accepted++;
        submittedAt.set(id, at);
      },
      (err: unknown) => {
        counts.inFlight--;
        const e = err as ServiceError;
        if (e.code === grpcStatus.RESOURCE_EXHAUSTED) counts.rejectedFull++;
        else {
          counts.failed++;
          firstError ??= e.details || e.message;
        }
      },
    );
  };

  const start = performance.now();
  const progress = (): LoadProgress => ({
    elapsedSeconds: (performance.now() - start) / 1000,
    sent: counts.sent,
    accepted: counts.accepted,
    finalized: counts.finalized,
    rejected: counts.rejectedFull + counts.failed,
    inFlight: counts.inFlight,
    finalizedHeight: heights.to,
  });
  const reporter = setInterval(() => opts.onProgress?.(progress()), 1000);
  const total = Math.round(opts.rate * opts.durationSeconds);
  let next = 0;
  await new Promise<void>((resolve) => {
    const ticker = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * opts.rate));
      for (; next < due; next++) {
        const client = clients[next % clients.length];
        if (client === undefined) continue;
        if (counts.inFlight >= MAX_IN_FLIGHT) counts.skipped++;
        else submit(client);
      }
      if (next >= total) {
        clearInterval(ticker);
        resolve();
      }
    }, TICK_MS);
  });
  const sendEnd = performance.now();

  // Drain: wait for answers, then for accepted messages to be finalized, each within the drain time.
  const drainUntil = sendEnd + opts.drainSeconds * 1000;
  while (performance.now() < drainUntil && (counts.inFlight > 0 || submittedAt.size > 0)) await new Promise((r) => setTimeout(r, 100));
  clearInterval(reporter);
  opts.onProgress?.(progress());
  stream.cancel();
  for (const c of clients) c.close();

  const seconds = Math.max(opts.durationSeconds, (sendEnd - start) / 1000);
  return {
    endpoints: opts.endpoints.map((e) => e.address),
    rate: opts.rate,
    size: opts.size,
    durationSeconds: opts.durationSeconds,
    sent: counts.sent,
    accepted: counts.accepted,
    rejectedFull: counts.rejectedFull,
    failed: counts.failed,
    skipped: counts.skipped,
    finalized: counts.finalized,
    unfinalized: submittedAt.size,
    throughputPerSecond: counts.finalized / seconds,
    throughputBytesPerSecond: (counts.finalized * opts.size) / seconds,
    latencySeconds: summarize(latencies),
    heights,
    firstError,
  };
}
