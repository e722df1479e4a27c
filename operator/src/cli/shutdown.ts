// SPDX-License-Identifier: Apache-2.0
/**
 * Leaves no node behind: Ctrl-C / SIGTERM stop the testnet gracefully (a second Ctrl-C kills
 * at once), and a crashing runner kills its children synchronously on the way out.
 */
import type { Progress } from "../local/progress.js";
import type { LocalTestnet } from "../local/testnet.js";

export interface Shutdown {
  /** Aborted on the first SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** Stops the testnet (idempotent). */
  stopTestnet(): Promise<void>;
  /** Detaches the handlers (for --detach, whose nodes must outlive the runner). */
  release(): void;
}

export function installShutdown(testnet: LocalTestnet, progress: Progress): Shutdown {
  const controller = new AbortController();
  let stopping: Promise<void> | undefined;
  const stopTestnet = () => (stopping ??= testnet.stop());
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      testnet.supervisor.killAllNow();
      process.exit(130);
    }
    progress.message(`${sig}: stopping ${testnet.supervisor.running.length} nodes`);
    controller.abort();
  };
  const onCrash = (err: unknown) => {
    testnet.supervisor.killAllNow();
    process.stderr.write(`relaylab: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  };
  const onExit = () => testnet.supervisor.killAllNow();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  process.on("exit", onExit);
  return {
    signal: controller.signal,
    stopTestnet,
    release: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      process.off("uncaughtException", onCrash);
      process.off("unhandledRejection", onCrash);
      process.off("exit", onExit);
    },
  };
}
