// SPDX-License-Identifier: Apache-2.0
/** Promise-returning calls to a node's Public and Control APIs, each with a deadline. */
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { ControlClient, type CrashRequest, FaultSet } from "@relaylab/node/gen/relaylab/v1/control";
import { type GroupSet, type NodeStatus, PublicClient } from "@relaylab/node/gen/relaylab/v1/public";

const DEFAULT_DEADLINE_MS = 5000;

type Unary<Req, Res> = (req: Req, md: Metadata, opts: { deadline: Date }, cb: (err: ServiceError | null, res: Res) => void) => unknown;

function call<Req, Res>(fn: Unary<Req, Res>, req: Req, ms: number): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn(req, new Metadata(), { deadline: new Date(Date.now() + ms) }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** One node's Public API. */
export class PublicApi {
  readonly client: PublicClient;
  constructor(readonly address: string) {
    this.client = new PublicClient(address, credentials.createInsecure());
  }
  status(ms = DEFAULT_DEADLINE_MS): Promise<NodeStatus> {
    return call(this.client.status.bind(this.client) as Unary<object, NodeStatus>, {}, ms);
  }
  groups(epoch: bigint, ms = DEFAULT_DEADLINE_MS): Promise<GroupSet> {
    return call(this.client.getGroups.bind(this.client) as Unary<{ epoch: bigint }, GroupSet>, { epoch }, ms);
  }
  close(): void {
    this.client.close();
  }
}

/** One node's Control API (fault injection). */
export class ControlApi {
  readonly client: ControlClient;
  constructor(readonly address: string) {
    this.client = new ControlClient(address, credentials.createInsecure());
  }
  setFaults(faults: FaultSet, ms = DEFAULT_DEADLINE_MS): Promise<FaultSet> {
    return call(this.client.setFaults.bind(this.client) as Unary<FaultSet, FaultSet>, faults, ms);
  }
  getFaults(ms = DEFAULT_DEADLINE_MS): Promise<FaultSet> {
    return call(this.client.getFaults.bind(this.client) as Unary<object, FaultSet>, {}, ms);
  }
  crash(exitCode = 1, ms = DEFAULT_DEADLINE_MS): Promise<unknown> {
    return call(this.client.crash.bind(this.client) as Unary<CrashRequest, unknown>, { exitCode }, ms);
  }
  close(): void {
    this.client.close();
  }
}

/** An empty fault set (no faults). */
export function noFaults(): FaultSet {
  return FaultSet.fromPartial({});
}
