// SPDX-License-Identifier: Apache-2.0
/**
 * Live progress of a run: one redrawn line on a terminal, plain timestamped lines otherwise
 * (CI logs), never both. Messages (violations, steps fired) are printed above the live line.
 */
import { createLogUpdate } from "log-update";

export interface ProgressSnapshot {
  readonly round: number;
  readonly targetRounds?: number | undefined;
  readonly p50: number;
  readonly p99: number;
  readonly stalls: number;
  readonly bytesPerSignature: number;
  /** Signing latency p99 over the nodes' histograms (0 until first read). */
  readonly signingP99: number;
  readonly finalizedHeight: number;
  readonly readyNodes: number;
  readonly nodes: number;
}

export function formatSnapshot(s: ProgressSnapshot): string {
  const round = s.targetRounds ? `${s.round}/${s.targetRounds}` : String(s.round);
  const kb = s.bytesPerSignature > 0 ? `${(s.bytesPerSignature / 1000).toFixed(1)} KB` : "-";
  return [
    `round ${round}`,
    `latency p50 ${s.p50.toFixed(3)}s p99 ${s.p99.toFixed(3)}s`,
    `signing p99 ${s.signingP99 > 0 ? `${s.signingP99.toFixed(3)}s` : "-"}`,
    `stalls ${s.stalls}`,
    `bytes/sig ${kb}`,
    `finalized ${s.finalizedHeight}`,
    `ready ${s.readyNodes}/${s.nodes}`,
  ].join("  ");
}

export interface Progress {
  update(s: ProgressSnapshot): void;
  message(line: string): void;
  done(): void;
}

/** Progress on stderr: a live line on a TTY, at most one plain line per `plainEveryMs` otherwise. Silent when `quiet`. */
export function createProgress(options: { quiet: boolean; plainEveryMs?: number }): Progress {
  const stream = process.stderr;
  if (options.quiet) return { update: () => undefined, message: (l) => stream.write(`${l}\n`), done: () => undefined };
  if (stream.isTTY) {
    const live = createLogUpdate(stream);
    let last = "";
    return {
      update: (s) => live((last = formatSnapshot(s))),
      message: (l) => {
        live.clear();
        stream.write(`${l}\n`);
        if (last) live(last);
      },
      done: () => live.done(),
    };
  }
  const every = options.plainEveryMs ?? 2000;
  let lastAt = 0;
  let lastRound = -1;
  return {
    update: (s) => {
      const now = Date.now();
      if (s.round === lastRound || now - lastAt < every) return;
      lastAt = now;
      lastRound = s.round;
      stream.write(`${new Date(now).toISOString()} ${formatSnapshot(s)}\n`);
    },
    message: (l) => stream.write(`${new Date().toISOString()} ${l}\n`),
    done: () => undefined,
  };
}
