// SPDX-License-Identifier: Apache-2.0
/**
 * DataCenter network profiles → per-node link faults for the node's control API (`SetFaults`).
 * Pure and shared by the operator and the local runner, so a topology behaves the same on a
 * cluster and on a laptop.
 *
 * The node applies a link fault in both directions (outbound before sending, inbound before
 * processing). So for a one-way latency L between data centers A and B only the nodes of the one
 * whose name sorts first apply it; within one data center both ends apply it, so each applies
 * ⌈L/2⌉. Loss, jitter and bandwidth are properties of a node's own links.
 */
import type { FaultSetSpec, LinkFaultSpec } from "@relaylab/node/client";
import type { DataCenter, ByzantineFaults } from "../api/index.js";

/** The fault vocabulary is the node client's, which also translates it into control.proto. */
export type { FaultSetSpec, LinkFaultSpec };

/** One-way latency in ms between two data centers: the larger of the two profiles' figures. */
export function latencyBetween(a: DataCenter, b: DataCenter): number {
  const an = a.metadata.name ?? "";
  const bn = b.metadata.name ?? "";
  return Math.max(a.spec.network?.latencyMs?.[bn] ?? 0, b.spec.network?.latencyMs?.[an] ?? 0);
}

/**
 * Link faults for a node in data center `own`, given the data centers its subnet spans (`own`
 * included). An outage is one catch-all partition; otherwise one link per data center with a
 * non-trivial effect.
 */
export function linkFaultsFor(own: DataCenter, spanned: readonly DataCenter[]): LinkFaultSpec[] {
  if (own.spec.outage === true) return [{ ...NO_FAULT, partition: true }];
  const ownName = own.metadata.name ?? "";
  const net = own.spec.network ?? {};
  const base = { jitterMs: net.jitterMs ?? 0, loss: net.loss ?? 0, bandwidthBps: net.bandwidthBps ?? 0 };
  const links: LinkFaultSpec[] = [];
  for (const other of spanned) {
    const otherName = other.metadata.name ?? "";
    const latency = latencyBetween(own, other);
    const delayMs = otherName === ownName ? Math.ceil(latency / 2) : ownName < otherName ? latency : 0;
    const link = { ...NO_FAULT, dataCenters: [otherName], delayMs, ...base };
    if (link.delayMs > 0 || link.jitterMs > 0 || link.loss > 0 || link.bandwidthBps > 0) links.push(link);
  }
  return links;
}

/** The whole fault set of node `index`: its data center's links plus byzantine behaviour if it is one of the faulty. */
export function faultSetFor(index: number, nodes: number, own: DataCenter, spanned: readonly DataCenter[], byzantine?: ByzantineFaults): FaultSetSpec {
  const faulty = byzantine !== undefined && byzantine.count > 0 && index >= nodes - byzantine.count;
  return {
    links: linkFaultsFor(own, spanned),
    byzantine: faulty ? [byzantine.behaviour] : [],
    selectivePeers: faulty ? [...(byzantine.selectivePeers ?? [])] : [],
    pauseMs: 0,
  };
}

const NO_FAULT: LinkFaultSpec = { peers: [], dataCenters: [], delayMs: 0, jitterMs: 0, loss: 0, bandwidthBps: 0, partition: false };
