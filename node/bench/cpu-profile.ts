// SPDX-License-Identifier: Apache-2.0
/**
 * CPU profile of node processes started by the local runner. Node 20 refuses `--cpu-prof` in NODE_OPTIONS, so
 * this module starts the V8 sampling profiler through node:inspector and writes a `.cpuprofile` when the process
 * exits (a node exits through process.exit after SIGTERM). Only node processes (node/src/main.ts) are profiled:
 *
 *   RELAYLAB_CPU_PROFILE_DIR=/tmp/prof NODE_OPTIONS="--import tsx --import $PWD/node/bench/cpu-profile.ts" \
 *     npx relaylab up -f operator/examples/chaos/topology.yaml --rounds 40
 *
 * Summarise the profiles with `npx tsx node/bench/profile-summary.ts /tmp/prof/*.cpuprofile`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

const dir = process.env.RELAYLAB_CPU_PROFILE_DIR;
const script = process.argv[1] ?? "";

// The runner starts the node program from its source under tsx or from its bundle in node/.cache.
if (dir !== undefined && /node[/\\](src[/\\]main\.ts|\.cache[/\\]main-[0-9a-f]+\.mjs)$/.test(script)) {
  const index = process.argv[process.argv.indexOf("--index") + 1] ?? String(process.pid);
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 1000 });
  session.post("Profiler.start");
  // A same-thread inspector session answers synchronously, so the profile can be written from the exit hook.
  process.once("exit", () => {
    session.post("Profiler.stop", (err, result) => {
      if (err !== null) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `node-${index}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
