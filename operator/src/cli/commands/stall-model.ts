// SPDX-License-Identifier: Apache-2.0
import type { Command } from "commander";
import { stallModel } from "../../chaos/stall-model.js";
import { parseCount, UsageError } from "../errors.js";

interface Options {
  nodes: number;
  faulty: number;
  groupSize: number;
  threshold?: number;
  json?: boolean;
}

/** `relaylab stall-model`: exact probability that a random group stalls or can be forged. */
export function registerStallModel(program: Command): void {
  program
    .command("stall-model")
    .description("exact hypergeometric probability that a randomly drawn group stalls or can be forged")
    .requiredOption("--nodes <N>", "nodes in the subnet", parseCount("--nodes", 1))
    .requiredOption("--faulty <F>", "faulty nodes", parseCount("--faulty"))
    .requiredOption("--group-size <g>", "members per group", parseCount("--group-size", 1))
    .option("--threshold <t>", "signature threshold (default ⌊g/2⌋+1)", parseCount("--threshold", 1))
    .option("--json", "print one JSON object")
    .action((opts: Options) => {
      let model;
      try {
        model = stallModel({ nodes: opts.nodes, faulty: opts.faulty, groupSize: opts.groupSize, threshold: opts.threshold ?? Math.floor(opts.groupSize / 2) + 1 });
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(model)}\n`);
        return;
      }
      const rows: [string, string][] = [
        ["nodes / faulty", `${model.nodes} / ${model.faulty}`],
        ["group size / threshold", `${model.groupSize} / ${model.threshold}`],
        ["expected faulty per group", model.expectedFaulty.toFixed(2)],
        ["P[stall]  (honest < t)", `${model.stallProbability.toPrecision(6)}  (2^${model.stallLog2.toFixed(2)})`],
        ["P[forge]  (faulty ≥ t)", `${model.forgeProbability.toPrecision(6)}  (2^${model.forgeLog2.toFixed(2)})`],
      ];
      for (const [k, v] of rows) process.stdout.write(`${k.padEnd(28)}${v}\n`);
    });
}
