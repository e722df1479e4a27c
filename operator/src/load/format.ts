// SPDX-License-Identifier: Apache-2.0
/** Human-readable lines for `relaylab load`: a progress line and the final report. */
import type { LoadProgress, LoadResult } from "./generator.js";

export function formatLoadProgress(p: LoadProgress): string {
  return `load ${p.elapsedSeconds.toFixed(0)}s  sent ${p.sent}  accepted ${p.accepted}  finalized ${p.finalized}  rejected ${p.rejected}  in flight ${p.inFlight}  height ${p.finalizedHeight}`;
}

const ms = (seconds: number): string => `${(seconds * 1000).toFixed(0)} ms`;

export function formatLoadResult(r: LoadResult): string {
  const l = r.latencySeconds;
  const lines = [
    `load: ${r.rate} msg/s of ${r.size} B for ${r.durationSeconds}s over ${r.endpoints.length} endpoint(s)`,
    `  sent ${r.sent}, accepted ${r.accepted}, pool full ${r.rejectedFull}, failed ${r.failed}, skipped ${r.skipped}`,
    `  finalized ${r.finalized} (${r.unfinalized} accepted but not finalized in time), heights ${r.heights.from}..${r.heights.to}`,
    `  throughput ${r.throughputPerSecond.toFixed(1)} msg/s, ${(r.throughputBytesPerSecond / 1024).toFixed(1)} KiB/s`,
    `  latency submit→finalized p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  max ${ms(l.max)}`,
  ];
  if (r.firstError !== undefined) lines.push(`  first error: ${r.firstError}`);
  return `${lines.join("\n")}\n`;
}
