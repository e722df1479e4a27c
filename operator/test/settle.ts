// SPDX-License-Identifier: Apache-2.0
/** Lets queued microtasks and promise continuations run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Polling options for waits on in-memory fakes: they change within microseconds, so poll often. */
export const POLL_FAST = { timeoutMs: 60_000, intervalMs: 5 } as const;
