// SPDX-License-Identifier: Apache-2.0
/** The `relaylab` command line: wiring only; each command lives in ./commands. */
import { Command, CommanderError } from "commander";
import { registerStallModel } from "./commands/stall-model.js";
import { registerUp } from "./commands/up.js";
import { registerStatus } from "./commands/status.js";
import { registerDown } from "./commands/down.js";
import { registerLogs } from "./commands/logs.js";
import { registerChaos } from "./commands/chaos.js";
import { registerLoad } from "./commands/load.js";
import { registerOperator } from "./commands/operator.js";
import { EXIT, reportFailure } from "./errors.js";
import { VERSION } from "../version.js";

export function buildProgram(): Command {
  const program = new Command("relaylab")
    .description("Threshold Relay testnets: run locally, load, break on purpose, and judge")
    .version(VERSION, "-V, --version", "print the relaylab version")
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`relaylab: ${str.replace(/^error: /, "").trim()}\n`) });
  registerUp(program);
  registerStatus(program);
  registerDown(program);
  registerLogs(program);
  registerChaos(program);
  registerLoad(program);
  registerOperator(program);
  registerStallModel(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return reportFailure(err);
  }
}

process.exitCode = await main(process.argv);
