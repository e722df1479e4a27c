// SPDX-License-Identifier: Apache-2.0
/**
 * A client of one node: its Public API (status, beacons, groups, finalized blocks, messages) and
 * its Control API (faults, crash). Every unary call has a deadline, so a stalled node cannot hold
 * a caller up; channels open on first use and stay open until `close()`.
 */
import { credentials, Metadata, type CallOptions, type ClientReadableStream, type ServiceError } from "@grpc/grpc-js";
import { ControlClient, type FaultSet } from "../gen/relaylab/v1/control.js";
import type { Beacon, FinalizedBlock, GroupSet, MessageStatus, NodeStatus, SubmitMessageResponse } from "../gen/relaylab/v1/public.js";
import { PublicClient } from "../gen/relaylab/v1/public.js";

/** Where a node listens: its Public API and, for callers that inject faults, its Control API (host:port, plaintext). */
export interface NodeAddresses {
  readonly public?: string;
  readonly control?: string;
}

export interface NodeClientOptions {
  /** Deadline of each unary call unless the call gives its own. */
  readonly deadlineMs?: number;
}

/** Per-call options. */
export interface CallDeadline {
  readonly deadlineMs?: number;
}

/** Deadline of a unary call by default: long enough for a node busy verifying shares, short enough to notice a stall. */
export const DEFAULT_DEADLINE_MS = 5000;

type Callback<T> = (err: ServiceError | null, value: T) => void;

export class NodeClient {
  readonly addresses: NodeAddresses;
  readonly #deadlineMs: number;
  #public: PublicClient | undefined;
  #control: ControlClient | undefined;
  #closed = false;

  constructor(addresses: NodeAddresses, options: NodeClientOptions = {}) {
    this.addresses = addresses;
    this.#deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  }

  status(opts?: CallDeadline): Promise<NodeStatus> {
    return this.#unary(opts, (md, o, cb) => this.#pub().status({}, md, o, cb));
  }

  /** The beacon of `round` (NOT_FOUND before it is produced). */
  beacon(round: bigint, opts?: CallDeadline): Promise<Beacon> {
    return this.#unary(opts, (md, o, cb) => this.#pub().getBeacon({ round }, md, o, cb));
  }

  /** The groups registered for `epoch`. */
  groups(epoch = 0n, opts?: CallDeadline): Promise<GroupSet> {
    return this.#unary(opts, (md, o, cb) => this.#pub().getGroups({ epoch }, md, o, cb));
  }

  /** Beacons from `fromRound` on, as they are produced; the stream has no deadline (cancel it to stop). */
  watchBeacons(fromRound: bigint): ClientReadableStream<Beacon> {
    return this.#pub().watchBeacons({ fromRound });
  }

  /** The finalized block at `height`. */
  finalizedBlock(height: bigint, opts?: CallDeadline): Promise<FinalizedBlock> {
    return this.#unary(opts, (md, o, cb) => this.#pub().getFinalizedBlock({ height }, md, o, cb));
  }

  /** Finalized blocks from `fromHeight` on; no deadline (cancel it to stop). */
  watchFinalized(fromHeight: bigint): ClientReadableStream<FinalizedBlock> {
    return this.#pub().watchFinalized({ fromHeight });
  }

  submitMessage(payload: Uint8Array, opts?: CallDeadline): Promise<SubmitMessageResponse> {
    return this.#unary(opts, (md, o, cb) => this.#pub().submitMessage({ payload }, md, o, cb));
  }

  messageStatus(id: Uint8Array, opts?: CallDeadline): Promise<MessageStatus> {
    return this.#unary(opts, (md, o, cb) => this.#pub().getMessageStatus({ id }, md, o, cb));
  }

  /** Replaces the node's active faults; resolves to what is now active. */
  setFaults(faults: FaultSet, opts?: CallDeadline): Promise<FaultSet> {
    return this.#unary(opts, (md, o, cb) => this.#ctl().setFaults(faults, md, o, cb));
  }

  getFaults(opts?: CallDeadline): Promise<FaultSet> {
    return this.#unary(opts, (md, o, cb) => this.#ctl().getFaults({}, md, o, cb));
  }

  /** Makes the node exit with `exitCode` (non-zero) after it replies. */
  async crash(exitCode = 1, opts?: CallDeadline): Promise<void> {
    await this.#unary(opts, (md, o, cb) => this.#ctl().crash({ exitCode }, md, o, cb));
  }

  /** Closes both channels; later calls fail. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#public?.close();
    this.#control?.close();
    this.#public = undefined;
    this.#control = undefined;
  }

  #unary<T>(opts: CallDeadline | undefined, call: (md: Metadata, o: Partial<CallOptions>, cb: Callback<T>) => unknown): Promise<T> {
    const deadline = Date.now() + (opts?.deadlineMs ?? this.#deadlineMs);
    return new Promise((resolve, reject) => {
      call(new Metadata(), { deadline }, (err, value) => (err ? reject(err) : resolve(value)));
    });
  }

  #pub(): PublicClient {
    this.#assertOpen();
    const address = this.addresses.public;
    if (address === undefined) throw new Error("NodeClient: no public address given; pass { public: 'host:port' }");
    this.#public ??= new PublicClient(address, credentials.createInsecure());
    return this.#public;
  }

  #ctl(): ControlClient {
    this.#assertOpen();
    const address = this.addresses.control;
    if (address === undefined) throw new Error("NodeClient: no control address given; pass { control: 'host:port' }");
    this.#control ??= new ControlClient(address, credentials.createInsecure());
    return this.#control;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`NodeClient for ${this.addresses.public ?? this.addresses.control} is closed`);
  }
}
