// SPDX-License-Identifier: Apache-2.0
/**
 * Control API: run-time fault injection and crash. With a control key, every call must carry the
 * key holder's signature for this node (identity/control-auth.ts); an unsigned, stale, replayed or
 * forged call is refused with UNAUTHENTICATED, logged and counted as a dropped message.
 */
import * as grpc from "@grpc/grpc-js";
import type { FaultController } from "../faults/controller.js";
import { ControlService, type ControlServer } from "../gen/relaylab/v1/control.js";
import { CONTROL_AUTH_HEADER, ControlAuthError, type ControlAuthenticator } from "../identity/control-auth.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics/registry.js";
import { grpcError } from "./errors.js";

export interface ControlServiceDeps {
  readonly faults: FaultController;
  readonly log: Logger;
  /** Ends the process; called right after the crash reply is handed to gRPC, so it must let the reply out first. */
  readonly exit: (code: number) => void;
  /** Checks each call's signature; undefined only where the listener is loopback-only (main.ts). */
  readonly auth: ControlAuthenticator | undefined;
  readonly metrics: Metrics | null;
  readonly now: () => number;
}

type Unary = grpc.ServerUnaryCall<unknown, unknown>;

export function controlService({ faults, log, exit, auth, metrics, now }: ControlServiceDeps): ControlServer {
  /** Whether the call may proceed; answers it with UNAUTHENTICATED when not. */
  const allowed = (call: Unary, serialize: (value: never) => Buffer, callback: (err: grpc.ServiceError) => void): boolean => {
    if (auth === undefined) return true;
    const header = call.metadata.get(CONTROL_AUTH_HEADER)[0];
    try {
      auth.check(call.getPath(), serialize(call.request as never), typeof header === "string" ? header : undefined, now());
      return true;
    } catch (err) {
      if (!(err instanceof ControlAuthError)) throw err;
      metrics?.messagesDropped.inc({ reason: "control_unauthenticated" });
      log.warn({ event: "control_refused", method: call.getPath(), reason: err.reason, peer: call.getPeer() }, "control call refused");
      callback(grpcError(grpc.status.UNAUTHENTICATED, err.message));
      return false;
    }
  };
  return {
    setFaults: (call, callback) => {
      if (!allowed(call, ControlService.setFaults.requestSerialize, callback)) return;
      try {
        callback(null, faults.apply(call.request));
      } catch (err) {
        callback(grpcError(grpc.status.INVALID_ARGUMENT, (err as Error).message));
      }
    },
    getFaults: (call, callback) => {
      if (allowed(call, ControlService.getFaults.requestSerialize, callback)) callback(null, faults.current());
    },
    crash: (call, callback) => {
      if (!allowed(call, ControlService.crash.requestSerialize, callback)) return;
      const code = call.request.exitCode === 0 ? 1 : call.request.exitCode;
      log.warn({ event: "fault_crash", exitCode: code }, "crashing on request");
      callback(null, {});
      exit(code);
    },
  };
}
