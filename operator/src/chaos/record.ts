// SPDX-License-Identifier: Apache-2.0
/**
 * The record of a chaos run: the genesis seed, and for each step the round it fired at and the
 * victims it resolved. `relaylab chaos run --replay RECORD` re-applies exactly these, and
 * `--baseline RECORD` compares a later run's round latency with its round intervals.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

export const StepRecordSchema = z.object({
  name: z.string(),
  action: z.string(),
  firedAtRound: z.number().int(),
  firedAtSeconds: z.number(),
  victims: z.array(z.number().int().min(0)),
  endedAtRound: z.number().int().optional(),
  /** The highest height any node had finalized when the step ended: finalization must pass it again. */
  finalizedAtEnd: z.number().int().min(0).optional(),
  error: z.string().optional(),
  /** An impostor step's Hellos: how many were sent, and those the target did not refuse (which, and its answer). */
  impostor: z.object({ attempts: z.number().int().min(0), notRefused: z.array(z.string()) }).optional(),
});
export type StepRecord = z.infer<typeof StepRecordSchema>;

export const ChaosRecordSchema = z.object({
  experiment: z.string(),
  genesisSeed: z.string().regex(/^[0-9a-f]{64}$/),
  selectorSeed: z.number().int(),
  steps: z.array(StepRecordSchema),
  /** Seconds between consecutive verified rounds, in round order (absent in records made before it existed). */
  roundIntervals: z.array(z.number().nonnegative()).optional(),
});
export type ChaosRecord = z.infer<typeof ChaosRecordSchema>;

/** Reads a record given as the `role` of this run ("replay", "baseline"); errors say which file is wrong and how. */
export function readChaosRecord(file: string, role: string): ChaosRecord {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`cannot read ${role} record ${file}: ${(err as Error).message}`, { cause: err });
  }
  const r = ChaosRecordSchema.safeParse(value);
  if (!r.success) throw new Error(`${file} is not a chaos record: ${r.error.issues[0]?.path.join(".") ?? ""} ${r.error.issues[0]?.message ?? ""}`);
  return r.data;
}
