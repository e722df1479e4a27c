// SPDX-License-Identifier: Apache-2.0
/**
 * Exit with the process that started us. A local testnet's runner sets RELAYLAB_PARENT_PID; if
 * the runner dies without stopping its nodes (SIGKILL, a crash), nothing else would, so each
 * node notices its parent is gone and shuts down by itself: no orphan processes.
 */

/** Calls `onGone` once when `parentPid` no longer runs (checked every `everyMs`); returns a canceller. */
export function watchParent(parentPid: number, onGone: () => void, everyMs = 1000): () => void {
  const timer = setInterval(() => {
    let alive = process.ppid === parentPid;
    if (alive) {
      try {
        process.kill(parentPid, 0);
      } catch {
        alive = false;
      }
    }
    if (!alive) {
      clearInterval(timer);
      onGone();
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The parent pid to watch, from RELAYLAB_PARENT_PID, if set to a positive integer. */
export function parentPidFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env.RELAYLAB_PARENT_PID;
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  const pid = Number(v);
  return pid > 0 ? pid : undefined;
}
