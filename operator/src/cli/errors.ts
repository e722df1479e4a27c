// SPDX-License-Identifier: Apache-2.0
/**
 * CLI failures. Every failure the user can fix is a UsageError: one line on stderr, exit code 2.
 * Anything else is a bug, reported the same way (no stack trace unless RELAYLAB_DEBUG is set).
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Exit codes: 0 healthy, 1 the run was unhealthy (a verdict), 2 bad input or an internal error. */
export const EXIT = { ok: 0, unhealthy: 1, usage: 2 } as const;

/** Prints one line for `err` and returns the exit code to use. */
export function reportFailure(err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`relaylab: ${message.split("\n")[0] ?? message}\n`);
  if (process.env.RELAYLAB_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return EXIT.usage;
}

/** Parses a whole number flag, or explains what is wrong with it. */
export function parseCount(flag: string, min = 0): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag} must be a whole number, got '${value}'`);
    const n = Number(value);
    if (n < min) throw new UsageError(`${flag} must be at least ${min}, got ${n}`);
    return n;
  };
}
