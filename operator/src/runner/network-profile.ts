// SPDX-License-Identifier: Apache-2.0
/**
 * DataCenter network profiles compiled into per-node link faults.
 *
 * A node's transport applies each LinkFault to traffic in both directions, so a message from
 * data center A to B passes A's rule for B (outbound) and B's rule for A (inbound). Latency
 * between A and B is therefore split in half between the two sides; loss and bandwidth are a
 * data center's uplink properties and apply on its own side only. An outage partitions the
 * data center from every other one, from both sides.
 */
import type { LinkFault } from "@relaylab/node/gen/relaylab/v1/control";

/** What the local runner needs of a DataCenter: its name and its network profile. */
export interface DataCenterNetwork {
  readonly name: string;
  /** One-way latency to other data centers by name (or to itself, for traffic inside it). */
  readonly latencyMs?: Readonly<Record<string, number>>;
  readonly jitterMs?: number;
  readonly loss?: number;
  readonly bandwidthBps?: number;
  readonly outage?: boolean;
}

/** One-way latency between two data centers; either side may declare it, the first found wins. */
export function latencyBetween(a: DataCenterNetwork, b: DataCenterNetwork): number {
  return a.latencyMs?.[b.name] ?? b.latencyMs?.[a.name] ?? 0;
}

/** The link faults a node in data center `home` runs with, given every data center of the topology. */
export function linkFaultsFor(home: string, all: readonly DataCenterNetwork[]): LinkFault[] {
  const self = all.find((d) => d.name === home);
  if (!self) throw new Error(`unknown data center '${home}'`);
  const faults: LinkFault[] = [];
  for (const other of all) {
    const cut = other.name !== home && (self.outage === true || other.outage === true);
    const delay = latencyBetween(self, other);
    const fault: LinkFault = {
      peers: [],
      dataCenters: [other.name],
      delayMs: Math.round(delay / 2),
      jitterMs: Math.round((self.jitterMs ?? 0) / 2),
      loss: self.loss ?? 0,
      bandwidthBps: BigInt(self.bandwidthBps ?? 0),
      partition: cut,
    };
    if (isActive(fault)) faults.push(fault);
  }
  return faults;
}

function isActive(f: LinkFault): boolean {
  return f.partition || f.delayMs > 0 || f.jitterMs > 0 || f.loss > 0 || f.bandwidthBps > 0n;
}
