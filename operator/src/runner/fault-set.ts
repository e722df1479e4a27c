// SPDX-License-Identifier: Apache-2.0
/** Conversion of the operator's FaultSetSpec (CRD vocabulary) into the node's control.proto FaultSet. */
import { ByzantineBehaviour as ProtoByzantine, FaultSet } from "@relaylab/node/gen/relaylab/v1/control";
import type { ByzantineBehaviour } from "../api/index.js";
import type { FaultSetSpec } from "../genesis/index.js";

const BYZANTINE: Record<ByzantineBehaviour, ProtoByzantine> = {
  WithholdShares: ProtoByzantine.BYZANTINE_BEHAVIOUR_WITHHOLD_SHARES,
  InvalidShares: ProtoByzantine.BYZANTINE_BEHAVIOUR_INVALID_SHARES,
  SelectiveShares: ProtoByzantine.BYZANTINE_BEHAVIOUR_SELECTIVE_SHARES,
  DkgEquivocate: ProtoByzantine.BYZANTINE_BEHAVIOUR_DKG_EQUIVOCATE,
  EquivocateBlocks: ProtoByzantine.BYZANTINE_BEHAVIOUR_EQUIVOCATE_BLOCKS,
};

/** The control-API message for a fault set. */
export function toProtoFaultSet(spec: FaultSetSpec): FaultSet {
  return FaultSet.fromPartial({
    links: spec.links.map((l) => ({ ...l, bandwidthBps: BigInt(l.bandwidthBps) })),
    byzantine: spec.byzantine.map((b) => BYZANTINE[b]),
    selectivePeers: spec.selectivePeers,
    pauseMs: spec.pauseMs,
  });
}

/** proto3 JSON of a fault set, the format of the node's --faults file. */
export function faultSetJson(spec: FaultSetSpec): unknown {
  return FaultSet.toJSON(toProtoFaultSet(spec));
}
