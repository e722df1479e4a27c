// SPDX-License-Identifier: Apache-2.0
/**
 * One real cluster per machine at a time. The kubelet writes a few fixed host paths whatever its
 * --root-dir says (/var/lib/kubelet/device-plugins/kubelet.sock, /var/log/containers), so two
 * kubelets on one host would clobber each other; a second suite waits for the first.
 *
 * A small detached shell holds the lock (flock) for the test process. When the test process dies
 * without stopping its cluster (even by SIGKILL), the shell runs bin/teardown.sh on the state file
 * and only then lets the lock go, so the next suite starts on a clean host.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const TEARDOWN = fileURLToPath(new URL("../bin/teardown.sh", import.meta.url));
/** Under /run: gone after a reboot, like every trace of a cluster. */
export const LOCK_DIR = "/run/relaylab-cluster";
const LOCK_FILE = `${LOCK_DIR}/lock`;
const WATCHDOG_LOG = `${LOCK_DIR}/watchdog.log`;

export interface ClusterLock {
  /** Ends the watchdog, which releases the lock. Call after a clean teardown. */
  release(): Promise<void>;
}

/**
 * Waits (up to `timeoutMs`) for the machine's cluster lock; while waiting, says so on stderr.
 * `stateFile` is what the watchdog tears down if this process dies.
 */
export async function acquireClusterLock(stateFile: string, timeoutMs: number): Promise<ClusterLock> {
  mkdirSync(LOCK_DIR, { recursive: true });
  const script = `exec 9>"$2"
if ! flock -n 9; then echo waiting; flock -w "$5" 9 || { echo timeout; exit 1; }; fi
echo locked
while kill -0 "$1" 2>/dev/null; do sleep 1 9>&-; done
if [ -f "$3" ]; then bash "$4" "$3" >>"$6" 2>&1 9>&-; fi`;
  const child: ChildProcess = spawn(
    "bash",
    ["-c", script, "watchdog", String(process.pid), LOCK_FILE, stateFile, TEARDOWN, String(Math.ceil(timeoutMs / 1000)), WATCHDOG_LOG],
    { stdio: ["ignore", "pipe", "ignore"], detached: true },
  );
  const outcome = await new Promise<string>((resolve, reject) => {
    let buffered = "";
    child.once("error", reject);
    child.once("exit", (code) => resolve(`exit ${code ?? "?"}`));
    child.stdout!.setEncoding("utf8").on("data", (s: string) => {
      buffered += s;
      if (buffered.includes("waiting\n") && !buffered.includes("locked")) {
        process.stderr.write(`cluster: waiting for ${LOCK_FILE}, held by another real-cluster suite on this machine\n`);
        buffered = buffered.replace("waiting\n", "");
      }
      if (buffered.includes("locked\n")) resolve("locked");
      if (buffered.includes("timeout\n")) resolve("timeout");
    });
  });
  if (outcome !== "locked") {
    throw new Error(`could not take ${LOCK_FILE} within ${timeoutMs} ms (${outcome}): another real-cluster suite holds it`);
  }
  child.stdout!.removeAllListeners("data");
  child.stdout!.destroy();
  child.unref();
  return {
    async release() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.ref();
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    },
  };
}
