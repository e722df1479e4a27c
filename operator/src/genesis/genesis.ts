// SPDX-License-Identifier: Apache-2.0
/**
 * Builds a Subnet's genesis document (the node's contract in @relaylab/node/config) from its
 * spec, its placement and its members' identity keys. Pure: the same inputs give the same
 * document, byte for byte, so the operator can tell a changed network from an unchanged one.
 */
import { createHash } from "node:crypto";
import type { GenesisInput } from "@relaylab/node/config";
import { identityPublicKey } from "@relaylab/node/identity";
import { nodeCertificate } from "@relaylab/node/identity/certificate";
import type { Subnet } from "../api/index.js";
import { resolveSubnetSpec } from "../api/index.js";
import type { Placement } from "./placement.js";

export interface GenesisForSubnetInput {
  subnet: Subnet;
  /** One entry per node index, from placeNodes. */
  placements: readonly Placement[];
  /**
   * ed25519 identity secret keys (seeds) as 64 lowercase hex characters, by node index. Genesis holds only
   * what they give in public: each public key, and the TLS certificate each key issues itself.
   */
  identitySecrets: readonly string[];
  /** The address peers dial to reach node `index` ("host:port"). */
  addressOf: (index: number, placement: Placement) => string;
  /** 32 bytes as 64 lowercase hex characters; omit to derive it with `subnetSeed` from `seedIdentity`. */
  seed?: string;
  /** Stable identity of the Subnet (its UID) used to derive the seed when `seed` is omitted. */
  seedIdentity?: string;
}

/** The genesis document of a Subnet. Validate it with parseGenesis before use. */
export function genesisForSubnet(input: GenesisForSubnetInput): GenesisInput {
  const spec = resolveSubnetSpec(input.subnet.spec);
  const name = input.subnet.metadata.name;
  if (name === undefined) throw new Error("subnet.metadata.name is required to build genesis");
  const placements = [...input.placements].sort((a, b) => a.index - b.index);
  if (placements.length !== spec.nodes) {
    throw new Error(`placements cover ${placements.length} nodes but spec.nodes is ${spec.nodes}; place every node before building genesis`);
  }
  const body = {
    version: 1 as const,
    subnet: name,
    nodes: placements.map((p) => {
      const secret = input.identitySecrets[p.index];
      if (secret === undefined) throw new Error(`no identity key for node ${p.index}; generate one per node before building genesis`);
      const certificate = nodeCertificate(secret, name, p.index);
      return { index: p.index, address: input.addressOf(p.index, p), identityKey: identityPublicKey(secret), dataCenter: p.dataCenter, certificate };
    }),
    groups: { count: spec.groups, size: spec.groupSize, threshold: spec.threshold, ...(spec.unsafeAllowMinorityThreshold ? { unsafeAllowMinorityThreshold: true } : {}) },
    // Written out in full, so the genesis document states the byzantine budget its finality was built for.
    consensus: { threshold: spec.consensus.threshold, faultBudget: spec.consensus.faultBudget, ...(spec.consensus.unsafeAllowForks ? { unsafeAllowForks: true } : {}) },
    timings: { ...spec.timings },
    epochLength: spec.epochLength,
  };
  const seed = input.seed ?? spec.genesisSeed ?? subnetSeed(input.seedIdentity ?? input.subnet.metadata.uid ?? `${input.subnet.metadata.namespace ?? ""}/${name}`, body);
  return { version: body.version, subnet: body.subnet, seed, nodes: body.nodes, groups: body.groups, consensus: body.consensus, timings: body.timings, epochLength: body.epochLength };
}

/**
 * A Subnet's seed: sha256 over a stable identity of the Subnet (its UID) and everything else in
 * its genesis. Any change of the network's parameters gives a new seed, hence fresh groups and a
 * new network, while the same parameters always give the same seed (no state to keep).
 */
export function subnetSeed(subnetIdentity: string, genesisWithoutSeed: Omit<GenesisInput, "seed">): string {
  return createHash("sha256").update(`relaylab/seed/v1\0${subnetIdentity}\0${JSON.stringify(genesisWithoutSeed)}`).digest("hex");
}

/** Canonical JSON text of a genesis document (stable key order as built), and its sha256. */
export function genesisDocument(genesis: GenesisInput): { json: string; hash: string } {
  const json = `${JSON.stringify(genesis, null, 2)}\n`;
  return { json, hash: createHash("sha256").update(json).digest("hex") };
}
