// SPDX-License-Identifier: Apache-2.0
/**
 * A client of one node: its Public API (status, beacons, groups, finalized blocks, messages) and
 * its Control API (faults, crash). Every unary call has a deadline, so a stalled node cannot hold
 * a caller up; channels open on first use and stay open until `close()`.
 */
import { Metadata, type CallOptions, type ChannelOptions, type ClientReadableStream, type ServiceError } from "@grpc/grpc-js";
import { ControlClient, ControlService, type FaultSet } from "../gen/relaylab/v1/control.js";
import { CONTROL_AUTH_HEADER, signControlCall } from "../identity/control-auth.js";
import type { Beacon, FinalizedBlock, GroupSet, MessageStatus, NodeStatus, SubmitMessageResponse } from "../gen/relaylab/v1/public.js";
import { PublicClient } from "../gen/relaylab/v1/public.js";
import { pinnedChannel, type PinnedChannel } from "../net/tls.js";

/** Where a node listens: its Public API and, for callers that inject faults, its Control API (host:port, plaintext). */
export interface NodeAddresses {
  readonly public?: string;
  readonly control?: string;
  /** The node's certificate from genesis (PEM): both ports are TLS, trusting exactly it (net/tls.ts). Omit for a plaintext genesis. */
  readonly certificate?: string | undefined;
}

export interface NodeClientOptions {
  /** Deadline of each unary call unless the call gives its own. */
  readonly deadlineMs?: number;
  /** Signs Control API calls for node `node` with the testnet's control key (identity/control-auth.ts). */
  readonly controlAuth?: ControlAuth;
  /**
   * Follow a node that is not listening yet, or restarting: its streams wait for the node instead of failing,
   * and the channel retries the connection from `initialMs` (doubling to `maxMs`) instead of grpc's 1 s → 120 s.
   * For a watcher of a testnet being started, whose nodes open their ports seconds after it, the default backoff
   * means noticing a node up to seconds after it listens. Unary calls keep their deadlines either way.
   */
  readonly follow?: { readonly initialMs: number; readonly maxMs: number };
}

/** What a Control API caller signs with: the testnet's control secret key and the node the client talks to. */
export interface ControlAuth {
  readonly secretKey: Uint8Array;
  readonly node: number;
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
  readonly #controlAuth: ControlAuth | undefined;
  readonly #channel: ChannelOptions;
  readonly #pinned: PinnedChannel;
  readonly #waitForReady: boolean;
  #public: PublicClient | undefined;
  #control: ControlClient | undefined;
  #closed = false;

  constructor(addresses: NodeAddresses, options: NodeClientOptions = {}) {
    this.addresses = addresses;
    this.#deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.#controlAuth = options.controlAuth;
    const { follow } = options;
    this.#pinned = pinnedChannel(addresses.certificate);
    this.#channel = { ...this.#pinned.options, ...(follow === undefined ? {} : { "grpc.initial_reconnect_backoff_ms": follow.initialMs, "grpc.max_reconnect_backoff_ms": follow.maxMs }) };
    this.#waitForReady = follow !== undefined;
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
    return this.#pub().watchBeacons({ fromRound }, this.#streamMetadata());
  }

  /** The finalized block at `height`. */
  finalizedBlock(height: bigint, opts?: CallDeadline): Promise<FinalizedBlock> {
    return this.#unary(opts, (md, o, cb) => this.#pub().getFinalizedBlock({ height }, md, o, cb));
  }

  /** Finalized blocks from `fromHeight` on; no deadline (cancel it to stop). */
  watchFinalized(fromHeight: bigint): ClientReadableStream<FinalizedBlock> {
    return this.#pub().watchFinalized({ fromHeight }, this.#streamMetadata());
  }

  submitMessage(payload: Uint8Array, opts?: CallDeadline): Promise<SubmitMessageResponse> {
    return this.#unary(opts, (md, o, cb) => this.#pub().submitMessage({ payload }, md, o, cb));
  }

  messageStatus(id: Uint8Array, opts?: CallDeadline): Promise<MessageStatus> {
    return this.#unary(opts, (md, o, cb) => this.#pub().getMessageStatus({ id }, md, o, cb));
  }

  /** Replaces the node's active faults; resolves to what is now active. */
  setFaults(faults: FaultSet, opts?: CallDeadline): Promise<FaultSet> {
    return this.#unary(opts, (md, o, cb) => this.#ctl().setFaults(faults, this.#signed(md, ControlService.setFaults, faults), o, cb));
  }

  getFaults(opts?: CallDeadline): Promise<FaultSet> {
    return this.#unary(opts, (md, o, cb) => this.#ctl().getFaults({}, this.#signed(md, ControlService.getFaults, {}), o, cb));
  }

  /** Makes the node exit with `exitCode` (non-zero) after it replies. */
  async crash(exitCode = 1, opts?: CallDeadline): Promise<void> {
    await this.#unary(opts, (md, o, cb) => this.#ctl().crash({ exitCode }, this.#signed(md, ControlService.crash, { exitCode }), o, cb));
  }

  /** `md` with the control key's signature of this call, when the client has the key. */
  #signed<T>(md: Metadata, method: { path: string; requestSerialize: (value: T) => Buffer }, request: T): Metadata {
    if (this.#controlAuth === undefined) return md;
    md.set(CONTROL_AUTH_HEADER, signControlCall(this.#controlAuth.secretKey, { node: this.#controlAuth.node, method: method.path, request: method.requestSerialize(request) }, Date.now()));
    return md;
  }

  /** Closes both channels; later calls fail. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#public?.close();
    this.#control?.close();
    this.#public = undefined;
    this.#control = undefined;
  }

  #streamMetadata(): Metadata {
    return new Metadata({ waitForReady: this.#waitForReady });
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
    this.#public ??= new PublicClient(address, this.#pinned.credentials, this.#channel);
    return this.#public;
  }

  #ctl(): ControlClient {
    this.#assertOpen();
    const address = this.addresses.control;
    if (address === undefined) throw new Error("NodeClient: no control address given; pass { control: 'host:port' }");
    this.#control ??= new ControlClient(address, this.#pinned.credentials, this.#channel);
    return this.#control;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`NodeClient for ${this.addresses.public ?? this.addresses.control} is closed`);
  }
}
