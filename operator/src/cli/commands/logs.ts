// SPDX-License-Identifier: Apache-2.0
import { createReadStream, existsSync, statSync, watch } from "node:fs";
import type { Command } from "commander";
import { runFiles } from "../../local/run-dir.js";
import { parseCount, UsageError } from "../errors.js";
import { readState } from "./status.js";

export function registerLogs(program: Command): void {
  program
    .command("logs")
    .description("print a node's JSON log lines")
    .argument("<NODE>", "node index", parseCount("NODE"))
    .option("--run-dir <DIR>", "the testnet's run directory")
    .option("--subnet <NAME>", "subnet name, for the default run directory .relaylab/<subnet>", "local")
    .option("-f, --follow", "keep printing new lines until Ctrl-C")
    .action(async (node: number, opts: { runDir?: string; subnet?: string; follow?: boolean }) => {
      const state = readState(opts);
      if (!state.nodes.some((n) => n.index === node)) throw new UsageError(`node ${node} is not in subnet ${state.subnet} (nodes 0-${state.nodes.length - 1})`);
      const file = runFiles(state.runDir).log(node);
      if (!existsSync(file)) throw new UsageError(`node ${node} has no log yet (${file})`);
      let offset = 0;
      const printFrom = () =>
        new Promise<void>((resolve) => {
          const size = statSync(file).size;
          if (size <= offset) return resolve();
          const stream = createReadStream(file, { start: offset, end: size - 1 });
          offset = size;
          stream.on("end", resolve);
          stream.pipe(process.stdout, { end: false });
        });
      await printFrom();
      if (!opts.follow) return;
      const watcher = watch(file, () => void printFrom());
      await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
      watcher.close();
    });
}
