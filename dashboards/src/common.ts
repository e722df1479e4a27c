// SPDX-License-Identifier: Apache-2.0
/**
 * Shared dashboard pieces: the Prometheus data source variable, the namespace → subnet → data center → node
 * variable chain, and panel factories with relaylab's defaults (legend as a table, shared
 * crosshair, one data source reference), so each dashboard module only states what it shows.
 */
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as heatmap from "@grafana/grafana-foundation-sdk/heatmap";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { LABELS, NODE_METRICS } from "@relaylab/node/metrics-names";
import { re, sel } from "./promql.js";
import { BY_SUBNET, NAMESPACE } from "./targets.js";

/*
 * The SDK deprecates the classic dashboard model in favour of dashboardv2, but Grafana's
 * provisioning and kube-prometheus-stack's sidecar (the chart's ConfigMaps) load classic JSON;
 * v2 needs Grafana 12 with feature flags. So relaylab stays on the classic model, named once here.
 */
// eslint-disable-next-line @typescript-eslint/no-deprecated
export type Dashboard = dashboard.Dashboard;
// eslint-disable-next-line @typescript-eslint/no-deprecated
type DashboardBuilder = dashboard.DashboardBuilder;
// eslint-disable-next-line @typescript-eslint/no-deprecated
const DashboardBuilder = dashboard.DashboardBuilder;

/** Grafana's rate window: at least four scrape intervals, so `rate()` always has two samples. */
export const RATE = "$__rate_interval";

/** Every query goes to the data source the viewer picks in the `datasource` variable. */
export const DATASOURCE: common.DataSourceRef = { type: "prometheus", uid: "${datasource}" };

/** Tag shared by every relaylab dashboard; the dashboards link to each other through it. */
export const TAG = "relaylab";

export { BY_SUBNET, NAMESPACE };
/** Every per-subnet legend shows both labels. */
export const SUBNET_LEGEND = `{{${NAMESPACE}}} {{${LABELS.subnet}}}`;

/**
 * Template variables named after the target labels they filter on (the local runner's file_sd
 * targets and the chart's PodMonitor set subnet, data_center and node on every node target; the
 * Prometheus Operator adds namespace).
 */
export const SCOPE_LABELS = [NAMESPACE, LABELS.subnet, LABELS.dataCenter, LABELS.node] as const;
export type ScopeLabel = (typeof SCOPE_LABELS)[number];

/** Matchers `label=~"$label"` for each scope variable a dashboard declares. */
export function scope(labels: readonly ScopeLabel[]): string[] {
  return labels.map((l) => re(l, `$${l}`));
}

/**
 * A multi-value variable listing the values of `label` on relaylab_node_info, filtered by the
 * variables before it in the chain (a data center list only shows the chosen subnets').
 */
function scopeVariable(label: ScopeLabel, before: readonly ScopeLabel[]): dashboard.QueryVariableBuilder {
  const query = `label_values(${sel(NODE_METRICS.nodeInfo, scope(before))}, ${label})`;
  return new dashboard.QueryVariableBuilder(label)
    .label(label.replace("_", " "))
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.NaturalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(".*")
    .current({ text: "All", value: "$__all", selected: true });
}

/** What a dashboard module declares about itself. */
export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  /** Scope variables in chain order, e.g. [subnet, data_center]. */
  readonly scope: readonly ScopeLabel[];
}

/** A dashboard with relaylab's defaults: data source and scope variables, links, refresh. */
export function relaylabDashboard(spec: DashboardSpec): DashboardBuilder {
  const builder = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([TAG])
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .timezone("utc")
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(
      new dashboard.DashboardLinkBuilder("relaylab")
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    )
    .withVariable(new dashboard.DatasourceVariableBuilder("datasource").label("data source").type("prometheus"));
  spec.scope.forEach((label, i) => builder.withVariable(scopeVariable(label, spec.scope.slice(0, i))));
  return builder;
}

/**
 * Builds the dashboard and numbers its panels 1, 2, … in layout order: stable ids keep the
 * generated JSON diff-free and let the live check name a panel by id.
 */
export function finish(builder: DashboardBuilder): Dashboard {
  const built = builder.build();
  let id = 0;
  for (const panel of built.panels ?? []) {
    panel.id = ++id;
    if (panel.type === "row" && "panels" in panel) for (const inner of panel.panels) inner.id = ++id;
  }
  return built;
}

/** One PromQL query of a panel and its legend. */
export interface Query {
  readonly expr: string;
  readonly legend: string;
}

/** What every panel states: title, why it matters, unit, queries, and its size on the 24-column grid. */
export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly queries: readonly Query[];
  /** Grid columns (of 24); 12 by default. */
  readonly span?: number;
  /** Grid rows; 8 by default. */
  readonly height?: number;
}

function targets(queries: readonly Query[], format: prometheus.PromQueryFormat, instant: boolean): prometheus.DataqueryBuilder[] {
  return queries.map((q, i) => {
    const target = new prometheus.DataqueryBuilder()
      .datasource(DATASOURCE)
      .refId(String.fromCharCode(65 + i))
      .expr(q.expr)
      .legendFormat(q.legend)
      .format(format);
    return instant ? target.instant() : target.range();
  });
}

/** Sets what every panel has: title, description, data source, unit, size and queries. */
function basics<B extends timeseries.PanelBuilder | stat.PanelBuilder | heatmap.PanelBuilder>(
  builder: B,
  spec: PanelSpec,
  span: number,
  height: number,
  format: prometheus.PromQueryFormat,
  instant: boolean,
): B {
  builder.title(spec.title).description(spec.description).datasource(DATASOURCE).unit(spec.unit);
  builder.span(spec.span ?? span).height(spec.height ?? height).targets(targets(spec.queries, format, instant));
  return builder;
}

/** Options of a time series panel beyond the common spec. */
export interface TimeseriesSpec extends PanelSpec {
  /** Stack series (shares of a whole, e.g. bytes by message type). */
  readonly stack?: boolean;
  /** Draw bars (counts per interval, e.g. stall events). */
  readonly bars?: boolean;
}

/** A time series panel with a table legend showing mean and max, multi-series tooltip. */
export function timeseriesPanel(spec: TimeseriesSpec): timeseries.PanelBuilder {
  return basics(new timeseries.PanelBuilder(), spec, 12, 8, prometheus.PromQueryFormat.TimeSeries, false)
    .drawStyle(spec.bars === true ? common.GraphDrawStyle.Bars : common.GraphDrawStyle.Line)
    .fillOpacity(spec.stack === true || spec.bars === true ? 60 : 10)
    .lineWidth(1)
    .showPoints(common.VisibilityMode.Never)
    .stacking(new common.StackingConfigBuilder().mode(spec.stack === true ? common.StackingMode.Normal : common.StackingMode.None))
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .calcs(["mean", "max", "lastNotNull"]),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
}

/** Options of a stat panel beyond the common spec. */
export interface StatSpec extends PanelSpec {
  /** Value at or above which the stat turns red (e.g. 1 stalled node); none: always neutral. */
  readonly redAt?: number;
}

/** A single-value stat (instant query, last value), red above a threshold when one is given. */
export function statPanel(spec: StatSpec): stat.PanelBuilder {
  const steps: dashboard.Threshold[] = [{ value: null, color: spec.redAt === undefined ? "blue" : "green" }];
  if (spec.redAt !== undefined) steps.push({ value: spec.redAt, color: "red" });
  return basics(new stat.PanelBuilder(), spec, 6, 4, prometheus.PromQueryFormat.TimeSeries, true)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false))
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value)
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps));
}

/**
 * A heatmap of a Prometheus histogram: the query must return per-`le` increases (format
 * heatmap), which Grafana draws as buckets without recalculating them.
 */
export function heatmapPanel(spec: PanelSpec): heatmap.PanelBuilder {
  return basics(new heatmap.PanelBuilder(), spec, 12, 8, prometheus.PromQueryFormat.Heatmap, false)
    .calculate(false)
    .rowsFrame(new heatmap.RowsHeatmapOptionsBuilder().layout(common.HeatmapCellLayout.Le))
    .yAxis(new heatmap.YAxisConfigBuilder().unit(spec.unit))
    .color(new heatmap.HeatmapColorOptionsBuilder().mode(heatmap.HeatmapColorMode.Scheme).scheme("Spectral").scale(heatmap.HeatmapColorScale.Exponential).exponent(0.5))
    .cellGap(1)
    .showLegend();
}

/** A collapsible-free section header. */
export function row(title: string): dashboard.RowBuilder {
  return new dashboard.RowBuilder(title);
}
