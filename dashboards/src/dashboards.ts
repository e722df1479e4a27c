// SPDX-License-Identifier: Apache-2.0
/** Every relaylab dashboard, by the file name it is generated to. */
import type { Dashboard } from "./common.js";
import { perDataCenter } from "./datacenter.js";
import { perNodeDashboard } from "./node.js";
import { operatorHealth } from "./operator.js";
import { subnetOverview } from "./subnet-overview.js";

/** File name (in dashboards/generated and the chart) → dashboard builder. */
export const DASHBOARDS: Readonly<Record<string, () => Dashboard>> = {
  "subnet-overview.json": subnetOverview,
  "datacenter.json": perDataCenter,
  "node.json": perNodeDashboard,
  "operator.json": operatorHealth,
};
