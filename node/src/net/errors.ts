// SPDX-License-Identifier: Apache-2.0
import * as grpc from "@grpc/grpc-js";

/** A gRPC error with a status code and a message that says what to fix. */
export function grpcError(code: grpc.status, message: string): grpc.ServiceError {
  return Object.assign(new Error(message), { code, details: message, metadata: new grpc.Metadata() });
}
