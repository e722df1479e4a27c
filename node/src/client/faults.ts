// SPDX-License-Identifier: Apache-2.0
/**
 * The fault vocabulary of a Subnet spec (behaviour names such as `WithholdShares`, numbers for
 * bandwidth) and its translation into the control API's FaultSet. Defined here, next to the
 * client, so the operator, the local runner and the chaos engine translate a fault the same way.
 */
import { ByzantineBehaviour, FaultSet } from "../gen/relaylab/v1/control.js";

/** Control-API behaviour for each name a spec may use. */
export const BYZANTINE_BEHAVIOURS = {
  WithholdShares: ByzantineBehaviour.BYZANTINE_BEHAVIOUR_WITHHOLD_SHARES,
  InvalidShares: ByzantineBehaviour.BYZANTINE_BEHAVIOUR_INVALID_SHARES,
  SelectiveShares: ByzantineBehaviour.BYZANTINE_BEHAVIOUR_SELECTIVE_SHARES,
  DkgEquivocate: ByzantineBehaviour.BYZANTINE_BEHAVIOUR_DKG_EQUIVOCATE,
  EquivocateBlocks: ByzantineBehaviour.BYZANTINE_BEHAVIOUR_EQUIVOCATE_BLOCKS,
  EquivocateVotes: ByzantineBehaviour.BYZANTINE_BEHAVIOUR_EQUIVOCATE_VOTES,
  DkgOutcomeEquivocate: ByzantineBehaviour.BYZANTINE_BEHAVIOUR_DKG_OUTCOME_EQUIVOCATE,
  DkgFalseComplaints: ByzantineBehaviour.BYZANTINE_BEHAVIOUR_DKG_FALSE_COMPLAINTS,
} as const satisfies Record<string, ByzantineBehaviour>;

/** A byzantine behaviour as a spec names it. */
export type ByzantineBehaviourName = keyof typeof BYZANTINE_BEHAVIOURS;

/** One link fault in spec form: relaylab.v1.LinkFault with a plain-number bandwidth. */
export interface LinkFaultSpec {
  peers: number[];
  dataCenters: string[];
  delayMs: number;
  jitterMs: number;
  loss: number;
  bandwidthBps: number;
  partition: boolean;
}

/** A node's whole fault set in spec form (SetFaults replaces the active set with it). */
export interface FaultSetSpec {
  links: LinkFaultSpec[];
  byzantine: ByzantineBehaviourName[];
  selectivePeers: number[];
  pauseMs: number;
}

/** The control-API message for a fault set in spec form. */
export function toProtoFaultSet(spec: FaultSetSpec): FaultSet {
  return FaultSet.fromPartial({
    links: spec.links.map((l) => ({ ...l, bandwidthBps: BigInt(l.bandwidthBps) })),
    byzantine: spec.byzantine.map((b) => BYZANTINE_BEHAVIOURS[b]),
    selectivePeers: spec.selectivePeers,
    pauseMs: spec.pauseMs,
  });
}

/** proto3 JSON of a fault set, the format of the node's `--faults` file. */
export function faultSetJson(spec: FaultSetSpec): unknown {
  return FaultSet.toJSON(toProtoFaultSet(spec));
}

/**
 * Replaces the node's fault set with `spec` and checks that the node now holds it (its answer is its
 * active set): a push that reached some other process, or a node that kept another set, is an error
 * naming both sets rather than an experiment that silently ran without its fault.
 */
export async function pushFaults(client: { setFaults(faults: FaultSet): Promise<FaultSet> }, node: number, spec: FaultSetSpec): Promise<void> {
  const sent = toProtoFaultSet(spec);
  const held = await client.setFaults(sent);
  // A pause is one-shot: the node reports the pause it is in, if any, so only the lasting parts are compared.
  const lasting = (f: FaultSet): string => JSON.stringify(FaultSet.toJSON({ ...f, pauseMs: 0 }));
  if (lasting(held) !== lasting(sent)) throw new Error(`node ${node} holds fault set ${lasting(held)} after being sent ${lasting(sent)}`);
}
