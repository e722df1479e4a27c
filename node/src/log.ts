// SPDX-License-Identifier: Apache-2.0
/**
 * Structured JSON logs on stdout: one line per event with time, level, node and event, plus round
 * and group where they apply. Never pass keys, shares or other secrets as fields.
 */
import { pino, type Logger } from "pino";

export type { Logger };

/** Root logger of a node process. */
export function createLogger(node: number, level: string): Logger {
  return pino({
    level,
    base: { node },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

/** A logger that drops everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
