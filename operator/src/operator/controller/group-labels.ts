// SPDX-License-Identifier: Apache-2.0
/**
 * Publishes the groups the DKG registered as pod labels, `group.relaylab.dev/<i>: member`, so
 * that tools which select pods by label (Chaos Mesh, Litmus, kubectl) can target the members of a
 * group. The groups come from the nodes (GetGroups of the epoch in force), never from the
 * genesis: only the DKG knows which candidate groups registered.
 *
 * Pods are listed only when the groups changed, when a StatefulSet has pods that are not ready
 * (a replaced pod comes back from the template without the labels), or once a minute.
 */
import type { Subnet } from "../../api/index.js";
import type { Placement } from "../../genesis/index.js";
import { GROUP_LABEL_PREFIX, GROUP_LABEL_VALUE, groupLabel, LABEL_POD_INDEX, LABEL_SUBNET, nodeHost, PORTS } from "../../resources/index.js";
import type { Clock } from "@relaylab/node/clock";
import type { KubeApi } from "../runtime/kube.js";
import type { GroupMembers, NodeLiveStatus, NodeStatusReader } from "./live.js";
import type { NodeCalls } from "./node-calls.js";

/** Pods are relabelled at least this often, whatever else happened (drift repair). */
const RELABEL_EVERY_MS = 60_000;

/** The group labels node `index` carries: one per registered group it is a member of. */
export function groupLabelsOf(groups: readonly GroupMembers[], index: number): Record<string, string> {
  return Object.fromEntries(groups.filter((g) => g.members.includes(index)).map((g) => [groupLabel(g.index), GROUP_LABEL_VALUE]));
}

/** What is remembered per Subnet between reconciles. */
export class GroupLabelState {
  readonly #groups = new Map<string, { epoch: number; groups: GroupMembers[] }>();
  readonly #labelled = new Map<string, { digest: string; atMs: number }>();

  groups(subnet: string): { epoch: number; groups: GroupMembers[] } | undefined {
    return this.#groups.get(subnet);
  }

  learned(subnet: string, epoch: number, groups: GroupMembers[]): void {
    this.#groups.set(subnet, { epoch, groups });
  }

  due(subnet: string, digest: string, nowMs: number, podsUnready: boolean): boolean {
    const last = this.#labelled.get(subnet);
    return last === undefined || last.digest !== digest || podsUnready || nowMs - last.atMs >= RELABEL_EVERY_MS;
  }

  labelled(subnet: string, digest: string, nowMs: number): void {
    this.#labelled.set(subnet, { digest, atMs: nowMs });
  }

  /** Drops what was learned of a deleted Subnet. */
  forget(subnet: string): void {
    this.#groups.delete(subnet);
    this.#labelled.delete(subnet);
  }
}

export interface GroupLabelDeps {
  readonly api: KubeApi;
  readonly nodes: NodeStatusReader;
  readonly clock: Clock;
}

/**
 * Learns the groups in force from a node that registered them (in the background, within the
 * reconcile's node-call budget), then labels every pod of the Subnet whose group labels differ.
 */
export async function publishGroupLabels(
  deps: GroupLabelDeps,
  state: GroupLabelState,
  calls: NodeCalls,
  subnet: Subnet,
  placements: readonly Placement[],
  live: ReadonlyMap<number, NodeLiveStatus>,
  podsUnready: boolean,
  certificates: readonly (string | undefined)[],
): Promise<void> {
  const namespace = subnet.metadata.namespace ?? "";
  const name = subnet.metadata.name ?? "";
  const id = subnet.metadata.uid ?? `${namespace}/${name}`;
  const registered = [...live].filter(([, s]) => s.registeredGroups > 0);
  if (registered.length === 0) return;
  const epoch = Math.max(...registered.map(([, s]) => s.epoch));
  if (state.groups(id)?.epoch !== epoch) {
    const source = placements.find((p) => registered.some(([i, s]) => i === p.index && s.epoch === epoch));
    if (source === undefined) return;
    const address = `${nodeHost(name, namespace, source.dataCenter, source.index)}:${PORTS.peer}`;
    await calls.within([
      calls.start(address, `groups ${epoch}`, () => deps.nodes.groups({ address, certificate: certificates[source.index] }, epoch), {
        ok: (groups) => state.learned(id, epoch, groups),
        failed: () => undefined, // the next refresh asks again
      }),
    ]);
  }
  const known = state.groups(id);
  if (known === undefined) return;
  const digest = JSON.stringify(known);
  const now = deps.clock.now();
  if (!state.due(id, digest, now, podsUnready)) return;
  const pods = await deps.api.list("v1", "Pod", { namespace, labelSelector: `${LABEL_SUBNET}=${name}` });
  for (const pod of pods.items) {
    const index = Number(pod.metadata.labels?.[LABEL_POD_INDEX]);
    const podName = pod.metadata.name;
    if (pod.metadata.deletionTimestamp !== undefined || podName === undefined || !Number.isInteger(index)) continue;
    const desired = groupLabelsOf(known.groups, index);
    const current = Object.fromEntries(Object.entries(pod.metadata.labels ?? {}).filter(([k]) => k.startsWith(GROUP_LABEL_PREFIX)));
    if (JSON.stringify(Object.entries(current).sort()) === JSON.stringify(Object.entries(desired).sort())) continue;
    // Server-side apply of the labels alone: the operator owns these keys, so one it no longer
    // sends (the node left a group at an epoch change) is removed.
    await deps.api.apply({ apiVersion: "v1", kind: "Pod", metadata: { name: podName, namespace, labels: desired } });
  }
  state.labelled(id, digest, now);
}
