// SPDX-License-Identifier: Apache-2.0
/** The Public API's ingress and finality calls: SubmitMessage, GetMessageStatus, GetFinalizedBlock, WatchFinalized. */
import * as grpc from "@grpc/grpc-js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import type { ConsensusDriver } from "../consensus/driver.js";
import { MessageState, type FinalizedBlock, type PublicServer } from "../gen/relaylab/v1/public.js";
import { grpcError } from "../net/errors.js";

export type IngressHandlers = Pick<PublicServer, "submitMessage" | "getMessageStatus" | "getFinalizedBlock" | "watchFinalized">;

export function ingressHandlers(consensus: ConsensusDriver, maxMessageBytes: number): IngressHandlers {
  return {
    submitMessage: (call, callback) => {
      const { payload } = call.request;
      const { result, id } = consensus.submit(payload);
      switch (result) {
        case "accepted":
          return callback(null, { id: hexToBytes(id) });
        case "rejected_size":
          return callback(grpcError(grpc.status.INVALID_ARGUMENT, `message is ${payload.length} bytes; the limit is ${maxMessageBytes} bytes (genesis consensus.maxMessageBytes)`));
        case "rejected_full":
          return callback(grpcError(grpc.status.RESOURCE_EXHAUSTED, "ingress pool is full: slow down and retry after a short wait (blocks drain the pool as they finalize)"));
        case "rejected_invalid":
          return callback(grpcError(grpc.status.INVALID_ARGUMENT, "message payload is empty; send at least 1 byte"));
      }
    },
    getMessageStatus: (call, callback) => {
      const { id } = call.request;
      if (id.length !== 32) return callback(grpcError(grpc.status.INVALID_ARGUMENT, `id must be the 32-byte sha256 returned by SubmitMessage, got ${id.length} bytes`));
      const status = consensus.messageStatus(bytesToHex(id));
      if (status.state === "finalized") return callback(null, { id, state: MessageState.MESSAGE_STATE_FINALIZED, height: status.height, finalizedAtMs: BigInt(status.atMs) });
      callback(null, { id, state: status.state === "pending" ? MessageState.MESSAGE_STATE_PENDING : MessageState.MESSAGE_STATE_UNKNOWN, height: 0n, finalizedAtMs: 0n });
    },
    getFinalizedBlock: (call, callback) => {
      const height = call.request.height === 0n ? consensus.finalizedHeight : call.request.height;
      const block = consensus.archive.summary(height);
      if (block === undefined) callback(grpcError(grpc.status.NOT_FOUND, `no finalized block at height ${height} here (finalized height is ${consensus.finalizedHeight}; old blocks are forgotten)`));
      else callback(null, block);
    },
    watchFinalized: (call) => {
      // Subscribe before replaying, and skip live blocks the replay already covered, so no height is missed.
      let next = call.request.fromHeight < 1n ? 1n : call.request.fromHeight;
      const emit = (block: FinalizedBlock): void => {
        if (block.height < next || call.cancelled) return;
        next = block.height + 1n;
        call.write(block);
      };
      const unsubscribe = consensus.subscribe(emit);
      call.on("cancelled", unsubscribe);
      call.on("close", unsubscribe);
      for (const block of consensus.archive.summariesFrom(next)) emit(block);
    },
  };
}

