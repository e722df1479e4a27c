// SPDX-License-Identifier: Apache-2.0
import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { alive } from "../../local/run-dir.js";
import { readState } from "./status.js";

/** Signals a node's process group (the runner starts each node as a group leader). */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
  }
}

export function registerDown(program: Command): void {
  program
    .command("down")
    .description("stop every node of a testnet started with 'up --detach'")
    .option("--run-dir <DIR>", "the testnet's run directory")
    .option("--subnet <NAME>", "subnet name, for the default run directory .relaylab/<subnet>", "local")
    .option("--json", "print one JSON object")
    .action(async (opts: { runDir?: string; subnet?: string; json?: boolean }) => {
      const state = readState(opts);
      const pids = state.nodes.map((n) => n.pid).filter((p): p is number => alive(p));
      for (const pid of pids) signal(pid, "SIGTERM");
      // Poll for exit: these processes are not our children, so there is no exit event to wait on.
      const deadline = Date.now() + 10_000;
      while (pids.some(alive) && Date.now() < deadline) await sleep(100);
      const killed = pids.filter(alive);
      for (const pid of killed) signal(pid, "SIGKILL");
      const result = { subnet: state.subnet, stopped: pids.length, killed: killed.length };
      process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `stopped ${pids.length} nodes of ${state.subnet}${killed.length ? ` (${killed.length} needed SIGKILL)` : ""}\n`);
    });
}
