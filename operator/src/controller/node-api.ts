// SPDX-License-Identifier: Apache-2.0
/** NodeStatusReader and NodeControl over gRPC, with the node's own clients (@relaylab/node/client). */
import { Metadata } from "@grpc/grpc-js";
import { controlClient, publicClient, unary } from "@relaylab/node/client";
import type { ControlClient, PublicClient } from "@relaylab/node/client";
import { ByzantineBehaviour } from "@relaylab/node/gen/relaylab/v1/control";
import type { GroupSet, NodeStatus } from "@relaylab/node/gen/relaylab/v1/public";
import type { ByzantineBehaviour as SpecBehaviour } from "../api/index.js";
import type { FaultSetSpec } from "../genesis/index.js";
import type { GroupMembers, NodeControl, NodeLiveStatus, NodeStatusReader } from "./live.js";

const BEHAVIOURS: Record<SpecBehaviour, ByzantineBehaviour> = {
  WithholdShares: ByzantineBehaviour.BYZANTINE_BEHAVIOUR_WITHHOLD_SHARES,
  InvalidShares: ByzantineBehaviour.BYZANTINE_BEHAVIOUR_INVALID_SHARES,
  SelectiveShares: ByzantineBehaviour.BYZANTINE_BEHAVIOUR_SELECTIVE_SHARES,
  DkgEquivocate: ByzantineBehaviour.BYZANTINE_BEHAVIOUR_DKG_EQUIVOCATE,
  EquivocateBlocks: ByzantineBehaviour.BYZANTINE_BEHAVIOUR_EQUIVOCATE_BLOCKS,
};

/** Deadline of one call; a slow node must not hold a reconcile up for long. */
const CALL_TIMEOUT_MS = 3000;

const callOptions = (): { deadline: Date } => ({ deadline: new Date(Date.now() + CALL_TIMEOUT_MS) });

/** Clients are cached per address; `close` releases them (call on shutdown). */
export class GrpcNodeApi implements NodeStatusReader, NodeControl {
  readonly #public = new Map<string, PublicClient>();
  readonly #control = new Map<string, ControlClient>();

  async status(address: string): Promise<NodeLiveStatus> {
    const client = this.#public.get(address) ?? publicClient(address);
    this.#public.set(address, client);
    const s = await unary<NodeStatus>((cb) => client.status({}, new Metadata(), callOptions(), cb));
    return {
      index: s.index,
      ready: s.ready,
      round: Number(s.round),
      registeredGroups: s.registeredGroups,
      epoch: Number(s.epoch),
      stallEvents: Number(s.stallEvents),
      stalled: s.stalled,
      finalizedHeight: Number(s.finalizedHeight),
      activeFaults: s.activeFaults,
      roundLatencyP50Seconds: s.roundLatencyP50Seconds,
    };
  }

  async groups(address: string, epoch: number): Promise<GroupMembers[]> {
    const client = this.#public.get(address) ?? publicClient(address);
    this.#public.set(address, client);
    const set = await unary<GroupSet>((cb) => client.getGroups({ epoch: BigInt(epoch) }, new Metadata(), callOptions(), cb));
    return set.groups.map((g) => ({ index: g.index, members: [...g.members] }));
  }

  async setFaults(address: string, faults: FaultSetSpec): Promise<void> {
    const client = this.#control.get(address) ?? controlClient(address);
    this.#control.set(address, client);
    await unary((cb) => client.setFaults(toProto(faults), new Metadata(), callOptions(), cb));
  }

  close(): void {
    for (const c of [...this.#public.values(), ...this.#control.values()]) c.close();
    this.#public.clear();
    this.#control.clear();
  }
}

function toProto(f: FaultSetSpec): Parameters<ControlClient["setFaults"]>[0] {
  return {
    links: f.links.map((l) => ({ ...l, bandwidthBps: BigInt(l.bandwidthBps) })),
    byzantine: f.byzantine.map((b) => BEHAVIOURS[b]),
    selectivePeers: f.selectivePeers,
    pauseMs: f.pauseMs,
  };
}
