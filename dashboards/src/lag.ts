// SPDX-License-Identifier: Apache-2.0
/** How far nodes trail their subnet's beacon head, the signal behind lag panels and divergence alerts. */
import { NODE_METRICS } from "@relaylab/node/metrics-names";
import { BY_SUBNET } from "./targets.js";
import { agg, sel } from "./promql.js";

/**
 * Rounds between the subnet's head (highest round any node matched by `headMatchers` accepted)
 * and the best node of each `by` group matched by `matchers`; `by` must include the namespace and
 * subnet labels.
 */
export function roundLag(headMatchers: readonly string[], matchers: readonly string[], by: readonly string[]): string {
  const head = agg("max", BY_SUBNET, sel(NODE_METRICS.beaconRound, headMatchers));
  return `${head} - on (${BY_SUBNET.join(", ")}) group_right ${agg("max", by, sel(NODE_METRICS.beaconRound, matchers))}`;
}
