// SPDX-License-Identifier: Apache-2.0
/** Control API (loopback listener): run-time fault injection and crash. */
import * as grpc from "@grpc/grpc-js";
import type { FaultController } from "../faults/controller.js";
import type { ControlServer } from "../gen/relaylab/v1/control.js";
import type { Logger } from "../log.js";
import { grpcError } from "./errors.js";

export function controlService(faults: FaultController, log: Logger, exit: (code: number) => void): ControlServer {
  return {
    setFaults: (call, callback) => {
      try {
        callback(null, faults.apply(call.request));
      } catch (err) {
        callback(grpcError(grpc.status.INVALID_ARGUMENT, (err as Error).message));
      }
    },
    getFaults: (_call, callback) => callback(null, faults.current()),
    crash: (call, callback) => {
      const code = call.request.exitCode === 0 ? 1 : call.request.exitCode;
      log.warn({ event: "fault_crash", exitCode: code }, "crashing on request");
      callback(null, {});
      // Let the reply flush before the process goes away.
      setTimeout(() => exit(code), 50);
    },
  };
}
