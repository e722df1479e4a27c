// SPDX-License-Identifier: Apache-2.0
/** A silent logger for tests (set RELAYLAB_TEST_LOG=debug to see the operator's logs). */
import { pino } from "pino";

export const testLog = pino({ level: process.env.RELAYLAB_TEST_LOG ?? "silent" });
