// SPDX-License-Identifier: Apache-2.0
/**
 * The byzantine behaviours of the Control API's FaultSet, as strategies for the protocol's extension
 * points (beacon/strategy.ts, dkg/strategy.ts, consensus/strategy.ts). Each behaviour changes what the
 * honest protocol would send. The strategies read the FaultController on every share, deal, DKG
 * outcome and block, so a behaviour switched through Control.SetFaults applies from the next message on.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import type { BeaconStrategy } from "../beacon/strategy.js";
import { honestConsensus, type ConsensusStrategy } from "../consensus/strategy.js";
import { honestDkg, type DkgStrategy } from "../dkg/strategy.js";
import type { DealMessage } from "../dkg/wire.js";
import { ByzantineBehaviour } from "../gen/relaylab/v1/control.js";
import type { Logger } from "../log.js";
import type { FaultController } from "./controller.js";

/** The strategy of each protocol, for the composition root to hand to the beacon engine, the DKG and consensus. */
export interface Strategies {
  readonly beacon: BeaconStrategy;
  readonly dkg: DkgStrategy;
  readonly consensus: ConsensusStrategy;
}

/** What one behaviour changes: the extension points it overrides (for consensus, the hooks it overrides). */
interface Behaviour {
  readonly beacon?: BeaconStrategy;
  readonly dkg?: Partial<DkgStrategy>;
  readonly consensus?: Partial<ConsensusStrategy>;
}

/** The deal under its commitments in reverse order, signed: a second commitment vector the dealer stands by. */
function reversedCommitments(deal: DealMessage, sign: (commitments: readonly Uint8Array[]) => Uint8Array): DealMessage {
  const commitments = [...deal.commitments].reverse();
  return { ...deal, commitments, digestSignature: sign(commitments) };
}

function behaviours(faults: FaultController, log: Logger): ReadonlyMap<ByzantineBehaviour, Behaviour> {
  return new Map<ByzantineBehaviour, Behaviour>([
    [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_WITHHOLD_SHARES, { beacon: { share: () => undefined } }],
    [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_SELECTIVE_SHARES, {
      beacon: { share: (share) => ({ ...share, targets: share.targets.filter((m) => faults.selectivePeers().includes(m)) }) },
    }],
    // A well-formed G1 point that is a signature on a different message: only a pairing check tells it apart.
    [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_INVALID_SHARES, { beacon: { share: (share, round) => ({ ...share, signature: round.sign(sha256(round.message)) }) } }],
    // Members at an even position get a different (signed) commitment vector than the rest.
    [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_DKG_EQUIVOCATE, { dkg: { deal: (deal, sign) => (deal.to % 2 === 0 ? reversedCommitments(deal, sign) : deal) } }],
    // Complaints against every other dealer: each must publish a justification (its share sealed to this member).
    [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_DKG_FALSE_COMPLAINTS, {
      dkg: {
        response: (response, members) => {
          const complaints = Array.from({ length: members }, (_, i) => i + 1).filter((d) => d !== response.from);
          log.warn({ event: "false_dkg_complaints", complaints: complaints.length }, "byzantine fault: complaints against every other DKG dealer");
          return { ...response, complaints };
        },
      },
    }],
    // A second signed outcome for the run, a group key no run produced, for the odd-numbered nodes. A failed
    // run has no key to disguise: every node gets the failure.
    [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_DKG_OUTCOME_EQUIVOCATE, {
      dkg: {
        outcome: (outcome, run) => {
          if (outcome.failed) return () => outcome;
          const rival = { ...outcome, commitments: [...outcome.commitments].reverse() };
          log.warn({ event: "equivocating_dkg_outcome", group: run.group, epoch: Number(run.epoch), attempt: run.attempt }, "byzantine fault: two DKG outcomes signed for one run");
          return (node) => (node % 2 === 0 ? outcome : rival);
        },
      },
    }],
    // A second, different block at the same height and rank, for the odd-numbered nodes.
    [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_EQUIVOCATE_BLOCKS, {
      consensus: {
        proposal: (block, sign) => {
          const rival = sign({ ...block, payload: [], proposedAtMs: block.proposedAtMs + 1n });
          log.warn({ event: "equivocating_block", height: Number(block.height) }, "byzantine fault: two blocks proposed at one height");
          return (node) => (node % 2 === 0 ? block : rival);
        },
      },
    }],
    // A notary that vouches for everything: a notarization share for every valid block at the height and a
    // finalization share for every notarized one, where an honest notary signs one block and finalizes only it.
    [ByzantineBehaviour.BYZANTINE_BEHAVIOUR_EQUIVOCATE_VOTES, {
      consensus: {
        votes: (view) => [...view.blocks.map((hash) => ({ kind: "n" as const, height: view.height, hash })), ...view.notarized.map((hash) => ({ kind: "f" as const, height: view.height, hash }))],
      },
    }],
  ]);
}

/**
 * Strategies that follow the byzantine behaviours active in `faults` at each call and behave honestly
 * while none is. Several active behaviours apply in turn (withholding wins over the rest).
 */
export function faultStrategies(faults: FaultController, log: Logger): Strategies {
  const table = [...behaviours(faults, log)];
  const active = (): Behaviour[] => table.filter(([kind]) => faults.byzantine(kind)).map(([, behaviour]) => behaviour);
  return {
    beacon: {
      share: (share, round) => active().reduce<typeof share | undefined>((sent, b) => (sent === undefined || b.beacon === undefined ? sent : b.beacon.share(sent, round)), share),
    },
    dkg: {
      deal: (deal, sign) => active().reduce((sent, b) => b.dkg?.deal?.(sent, sign) ?? sent, deal),
      response: (response, members) => active().reduce((sent, b) => b.dkg?.response?.(sent, members) ?? sent, response),
      outcome: (outcome, run) => (active().find((b) => b.dkg?.outcome !== undefined)?.dkg?.outcome ?? honestDkg.outcome)(outcome, run),
    },
    consensus: {
      proposal: (block, sign) => (active().find((b) => b.consensus?.proposal !== undefined)?.consensus?.proposal ?? honestConsensus.proposal)(block, sign),
      votes: (view) => active().flatMap((b) => b.consensus?.votes?.(view) ?? []),
    },
  };
}
