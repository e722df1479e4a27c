// SPDX-License-Identifier: Apache-2.0
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { parseGenesisJson } from "@relaylab/node/config";
import { type LoadEndpoint, runLoad } from "../../load/generator.js";
import { formatLoadProgress, formatLoadResult } from "../../load/format.js";
import { createProgress } from "../../local/progress.js";
import { EXIT, parseCount, UsageError } from "../errors.js";
import { readState } from "./status.js";

interface LoadOptions {
  endpoints?: string;
  genesis?: string;
  runDir?: string;
  rate: number;
  size: number;
  duration: number;
  drain: number;
  json?: boolean;
}

const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

/**
 * The node endpoints to load: every node of the --run-dir testnet, or --endpoints as given, each pinned to the
 * certificate --genesis gives the node at that address.
 */
function endpointsOf(opts: LoadOptions): LoadEndpoint[] {
  if ((opts.endpoints === undefined) === (opts.runDir === undefined)) throw new UsageError("give exactly one of --endpoints host:port[,host:port…] or --run-dir DIR");
  if (opts.runDir !== undefined) {
    if (opts.genesis !== undefined) throw new UsageError("--genesis goes with --endpoints; --run-dir already has the testnet's genesis");
    return readState({ runDir: opts.runDir }).nodes.map((n) => ({ address: n.grpc, certificate: n.certificate }));
  }
  const endpoints = (opts.endpoints ?? "").split(",").map((e) => e.trim()).filter((e) => e !== "");
  const bad = endpoints.find((e) => !HOST_PORT.test(e));
  if (bad !== undefined) throw new UsageError(`--endpoints: '${bad}' is not host:port (e.g. 127.0.0.1:7000)`);
  if (endpoints.length === 0) throw new UsageError("--endpoints is empty; give host:port[,host:port…]");
  if (opts.genesis === undefined) return endpoints.map((address) => ({ address }));
  const nodes = genesisOf(opts.genesis).nodes;
  return endpoints.map((address) => {
    const node = nodes.find((n) => n.address === address);
    if (node === undefined) throw new UsageError(`--endpoints: ${address} is no node's address in --genesis ${opts.genesis ?? ""}; give the addresses genesis lists`);
    return { address, certificate: node.certificate };
  });
}

function genesisOf(file: string): ReturnType<typeof parseGenesisJson> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`--genesis: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return parseGenesisJson(text);
  } catch (err) {
    throw new UsageError(`--genesis: ${file} is not a valid genesis: ${(err as Error).message}`);
  }
}

export function registerLoad(program: Command): void {
  program
    .command("load")
    .description("send ingress messages to a testnet at a fixed rate and measure throughput and submit→finalized latency")
    .option("--endpoints <LIST>", "node gRPC endpoints, host:port[,host:port…]")
    .option("--genesis <FILE>", "with --endpoints: the testnet's genesis, whose certificates the nodes' TLS is checked against (needed unless its links are plaintext)")
    .option("--run-dir <DIR>", "load every node of a testnet started with 'up --detach'")
    .option("--rate <N>", "messages per second", parseCount("--rate", 1), 100)
    .option("--size <BYTES>", "bytes per message", parseCount("--size", 1), 256)
    .option("--duration <SECONDS>", "how long to send", parseCount("--duration", 1), 10)
    .option("--drain <SECONDS>", "how long to wait for accepted messages to be finalized after sending stops", parseCount("--drain"), 30)
    .option("--json", "print the result as one JSON object")
    .action(async (opts: LoadOptions) => {
      const endpoints = endpointsOf(opts);
      const progress = createProgress({ quiet: false });
      const result = await runLoad({
        endpoints,
        rate: opts.rate,
        size: opts.size,
        durationSeconds: opts.duration,
        drainSeconds: opts.drain,
        onProgress: (p) => progress.message(formatLoadProgress(p)),
      });
      progress.done();
      process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : formatLoadResult(result));
      // Nothing finalized at all means the testnet is not making progress (or unreachable): a failed run.
      process.exitCode = result.finalized > 0 ? EXIT.ok : EXIT.unhealthy;
    });
}
