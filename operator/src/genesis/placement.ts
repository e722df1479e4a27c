// SPDX-License-Identifier: Apache-2.0
/**
 * Placement: which data center runs which node index. Pure, so the operator and the local
 * runner place a Subnet identically.
 *
 * Each data center gets one contiguous index range (its StatefulSet's ordinals start at the
 * range's first index), in the order the data centers were selected. How many nodes each gets
 * follows the spread mode, `maxPerDataCenter` and the remaining capacity of each data center.
 */
import type { DataCenter, Subnet } from "../api/index.js";
import { resolveSubnetSpec } from "../api/index.js";
import { matchesLabelSelector } from "./selector.js";

/** One node's place. */
export interface Placement {
  index: number;
  dataCenter: string;
}

/** One data center's share of a subnet: indices firstIndex … firstIndex+nodes−1. */
export interface DataCenterShare {
  dataCenter: string;
  firstIndex: number;
  nodes: number;
}

export interface PlaceOptions {
  /** Nodes other Subnets already run in each data center (counts against capacity.maxNodes). */
  usedElsewhere?: Readonly<Record<string, number>>;
}

/** Raised when a Subnet cannot be placed; the message says what to change. */
export class PlacementError extends Error {
  override readonly name = "PlacementError";
}

/** The DataCenters a Subnet selects, in placement order (names order, or by name for a selector). Throws PlacementError. */
export function selectDataCenters(subnet: Subnet, dataCenters: readonly DataCenter[]): DataCenter[] {
  const sel = subnet.spec.dataCenters;
  const byName = new Map(dataCenters.map((dc) => [dc.metadata.name ?? "", dc]));
  if (sel.names !== undefined && sel.names.length > 0) {
    const missing = sel.names.filter((n) => !byName.has(n));
    if (missing.length > 0) {
      throw new PlacementError(`spec.dataCenters.names lists ${missing.map((n) => `"${n}"`).join(", ")} but no such DataCenter exists; create it or remove the name`);
    }
    const deleting = sel.names.filter((n) => byName.get(n)?.metadata.deletionTimestamp !== undefined);
    if (deleting.length > 0) {
      throw new PlacementError(`DataCenter ${deleting.map((n) => `"${n}"`).join(", ")} is being deleted; remove it from spec.dataCenters.names so its nodes move elsewhere`);
    }
    return sel.names.map((n) => byName.get(n)).filter((dc): dc is DataCenter => dc !== undefined);
  }
  if (sel.selector !== undefined) {
    const selector = sel.selector;
    // A DataCenter being deleted takes no new nodes: its nodes move to the others.
    const matched = dataCenters.filter((dc) => dc.metadata.deletionTimestamp === undefined && matchesLabelSelector(selector, dc.metadata.labels ?? {}));
    if (matched.length === 0) throw new PlacementError("spec.dataCenters.selector matches no DataCenter; label some DataCenters or change the selector");
    return matched.sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""));
  }
  throw new PlacementError("spec.dataCenters needs either names or selector");
}

/** Places every node of `subnet` on one of the selected data centers. Throws PlacementError. */
export function placeNodes(subnet: Subnet, dataCenters: readonly DataCenter[], options: PlaceOptions = {}): Placement[] {
  return shareIndices(shareDataCenters(subnet, dataCenters, options));
}

/** The per-data-center shares of a Subnet (contiguous index ranges). Throws PlacementError. */
export function shareDataCenters(subnet: Subnet, dataCenters: readonly DataCenter[], options: PlaceOptions = {}): DataCenterShare[] {
  const spec = resolveSubnetSpec(subnet.spec);
  const selected = selectDataCenters(subnet, dataCenters);
  const rooms = selected.map((dc) => roomOf(dc, spec.placement.maxPerDataCenter, options.usedElsewhere ?? {}));
  const total = rooms.reduce((a, r) => a + r.room, 0);
  if (total < spec.nodes) {
    const detail = rooms.map((r) => `${r.name} ${r.why}`).join(", ");
    throw new PlacementError(
      `cannot place ${spec.nodes} nodes: the selected data centers hold at most ${total} (${detail}); add data centers, raise placement.maxPerDataCenter or capacity.maxNodes, or lower nodes`,
    );
  }
  const counts = spec.placement.spread === "Pack" ? pack(spec.nodes, rooms.map((r) => r.room)) : even(spec.nodes, rooms.map((r) => r.room));
  const shares: DataCenterShare[] = [];
  let next = 0;
  selected.forEach((dc, i) => {
    const n = counts[i] ?? 0;
    if (n === 0) return;
    shares.push({ dataCenter: dc.metadata.name ?? "", firstIndex: next, nodes: n });
    next += n;
  });
  return shares;
}

/** Expands shares into one Placement per index. */
export function shareIndices(shares: readonly DataCenterShare[]): Placement[] {
  return shares.flatMap((s) => Array.from({ length: s.nodes }, (_, k) => ({ index: s.firstIndex + k, dataCenter: s.dataCenter })));
}

function roomOf(dc: DataCenter, maxPer: number | undefined, used: Readonly<Record<string, number>>): { name: string; room: number; why: string } {
  const name = dc.metadata.name ?? "";
  const cap = dc.spec.capacity?.maxNodes;
  const taken = used[name] ?? 0;
  const free = cap === undefined ? Infinity : Math.max(0, cap - taken);
  const room = Math.min(free, maxPer ?? Infinity);
  const why =
    room === Infinity ? "unlimited" : room === free ? `has room for ${room} (capacity.maxNodes ${cap ?? "unset"}, ${taken} used by other subnets)` : `limited to ${room} by placement.maxPerDataCenter`;
  return { name, room, why };
}

/** Round robin: one node at a time to each data center that still has room. */
function even(n: number, rooms: readonly number[]): number[] {
  const counts = rooms.map(() => 0);
  let left = n;
  while (left > 0) {
    for (let i = 0; i < rooms.length && left > 0; i++) {
      if ((counts[i] ?? 0) < (rooms[i] ?? 0)) {
        counts[i] = (counts[i] ?? 0) + 1;
        left--;
      }
    }
  }
  return counts;
}

/** Fill each data center up to its room, in order. */
function pack(n: number, rooms: readonly number[]): number[] {
  let left = n;
  return rooms.map((room) => {
    const take = Math.min(room, left);
    left -= take;
    return take;
  });
}
