// SPDX-License-Identifier: Apache-2.0
/**
 * Drives a started testnet until it has produced the wanted rounds, the user stops it, or it
 * stops making progress; feeds the progress display; reports violations as they happen.
 */
import type { Progress } from "./progress.js";
import { summarize } from "@relaylab/node/quantile";
import { nodeHistograms } from "./summary.js";
import type { TestnetPort } from "../testnet/port.js";

export interface DriveOptions {
  /** Stop after this many verified rounds; run until `abort` when undefined. */
  readonly rounds?: number | undefined;
  readonly progress: Progress;
  /** Aborted by SIGINT/SIGTERM (or a chaos step that decides the run is over). */
  readonly signal: AbortSignal;
  /** Fail when no new round arrives for this long (nodes crashed, network wedged). */
  readonly noProgressTimeoutMs: number;
  /** Stop at the first safety violation. */
  readonly stopOnViolation: boolean;
}

export type DriveOutcome = "rounds_reached" | "stopped" | "no_progress" | "violation";

export async function drive(testnet: Pick<TestnetPort, "observer" | "endpoints">, options: DriveOptions): Promise<DriveOutcome> {
  const { observer } = testnet;
  const nodes = testnet.endpoints.length;
  let bytesPerSignature = 0;
  let signingP99 = 0;
  const snapshot = () => {
    const lat = summarize(observer.ledger.roundIntervalsSeconds());
    const statuses = [...observer.statuses.values()];
    options.progress.update({
      round: observer.round,
      targetRounds: options.rounds,
      p50: lat.p50,
      p99: lat.p99,
      stalls: Math.max(0, ...statuses.map((s) => Number(s.stallEvents))),
      bytesPerSignature,
      signingP99,
      finalizedHeight: Math.max(0, ...statuses.map((s) => Number(s.finalizedHeight))),
      readyNodes: statuses.filter((s) => s.ready).length,
      nodes,
    });
  };
  return await new Promise<DriveOutcome>((resolve) => {
    let lastProgressAt = Date.now();
    const timer = setInterval(() => {
      if (Date.now() - lastProgressAt > options.noProgressTimeoutMs) finish("no_progress");
    }, 1000);
    // Bytes per signature come from the nodes' own histograms; a scrape every few seconds is plenty for a display.
    const scraper = setInterval(() => {
      void nodeHistograms(testnet.endpoints).then((h) => {
        bytesPerSignature = h.groupSignatureBytes.mean;
        signingP99 = h.signingLatencySeconds.p99;
      });
    }, 5000);
    const finish = (outcome: DriveOutcome) => {
      clearInterval(timer);
      clearInterval(scraper);
      observer.off("round", onRound);
      observer.off("status", snapshot);
      observer.off("violation", onViolation);
      options.signal.removeEventListener("abort", onAbort);
      resolve(outcome);
    };
    const onRound = () => {
      lastProgressAt = Date.now();
      snapshot();
      if (options.rounds !== undefined && observer.round >= options.rounds) finish("rounds_reached");
    };
    const onViolation = (v: { detail: string }) => {
      options.progress.message(`SAFETY VIOLATION: ${v.detail}`);
      if (options.stopOnViolation) finish("violation");
    };
    const onAbort = () => finish("stopped");
    observer.on("round", onRound);
    observer.on("status", snapshot);
    observer.on("violation", onViolation);
    options.signal.addEventListener("abort", onAbort);
    if (options.signal.aborted) onAbort();
  });
}
