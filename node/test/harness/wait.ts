// SPDX-License-Identifier: Apache-2.0
export { StopWaiting, waitFor } from "../../src/testing/wait.js";

/** Deadline for one gRPC call from a test: generous, since a busy 2-core machine can stall a node for seconds. */
export const CALL_DEADLINE_MS = 60_000;
