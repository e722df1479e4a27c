// SPDX-License-Identifier: Apache-2.0
import type { Command } from "commander";
import { NodeClient } from "@relaylab/node/client";
import { alive, defaultRunDir, readRunState, type RunState, userPath } from "../../local/run-dir.js";
import { UsageError } from "../errors.js";

/** The run directory named by --run-dir, or the default one of --subnet. */
export function runDirOption(opts: { runDir?: string; subnet?: string }): string {
  return opts.runDir ? userPath(opts.runDir) : defaultRunDir(opts.subnet ?? "local");
}

export function readState(opts: { runDir?: string; subnet?: string }): RunState {
  try {
    return readRunState(runDirOption(opts));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("show the nodes of a testnet started with 'up --detach'")
    .option("--run-dir <DIR>", "the testnet's run directory")
    .option("--subnet <NAME>", "subnet name, for the default run directory .relaylab/<subnet>", "local")
    .option("--json", "print one JSON object")
    .action(async (opts: { runDir?: string; subnet?: string; json?: boolean }) => {
      const state = readState(opts);
      const nodes = await Promise.all(
        state.nodes.map(async (n) => {
          const api = new NodeClient({ public: n.grpc, certificate: n.certificate });
          try {
            const s = await api.status({ deadlineMs: 2000 });
            return { index: n.index, dataCenter: n.dataCenter, pid: n.pid, running: alive(n.pid), reachable: true, round: Number(s.round), ready: s.ready, stalled: s.stalled, stallEvents: Number(s.stallEvents), finalizedHeight: Number(s.finalizedHeight), activeFaults: s.activeFaults };
          } catch {
            return { index: n.index, dataCenter: n.dataCenter, pid: n.pid, running: alive(n.pid), reachable: false, round: 0, ready: false, stalled: false, stallEvents: 0, finalizedHeight: 0, activeFaults: [] };
          } finally {
            api.close();
          }
        }),
      );
      const summary = { subnet: state.subnet, runDir: state.runDir, running: nodes.filter((n) => n.running).length, ready: nodes.filter((n) => n.ready).length, round: Math.max(0, ...nodes.map((n) => n.round)), nodes };
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(summary)}\n`);
        return;
      }
      process.stdout.write(`subnet ${summary.subnet}: ${summary.running}/${nodes.length} running, ${summary.ready} ready, round ${summary.round}\n`);
      process.stdout.write(`${"NODE".padEnd(6)}${"DC".padEnd(10)}${"PID".padEnd(9)}${"STATE".padEnd(12)}${"ROUND".padEnd(8)}${"STALLS".padEnd(8)}FAULTS\n`);
      for (const n of nodes) {
        const st = !n.running ? "stopped" : !n.reachable ? "unreachable" : n.stalled ? "stalled" : n.ready ? "ready" : "starting";
        process.stdout.write(`${String(n.index).padEnd(6)}${n.dataCenter.padEnd(10)}${String(n.pid ?? "-").padEnd(9)}${st.padEnd(12)}${String(n.round).padEnd(8)}${String(n.stallEvents).padEnd(8)}${n.activeFaults.join(",") || "-"}\n`);
      }
    });
}
