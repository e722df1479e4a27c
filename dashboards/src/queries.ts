// SPDX-License-Identifier: Apache-2.0
/**
 * Every PromQL expression a dashboard runs, as plain records, so a live check can evaluate each
 * against a real Prometheus and name the panel that comes back empty.
 */

/** One expression and where it lives. */
export interface DashboardQuery {
  /** Dashboard uid. */
  readonly dashboard: string;
  /** Panel title, or `variable <name>` for a template variable's query. */
  readonly panel: string;
  readonly panelId: number | null;
  readonly refId: string;
  readonly expr: string;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function objects(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

function text(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** `label_values(<selector>, <label>)` → the selector, the only PromQL in a variable query. */
const LABEL_VALUES = /^label_values\((.*),\s*\w+\)$/s;

/**
 * The queries of a dashboard given as JSON (a built dashboard or a generated file): panel
 * targets (inside rows too) and `label_values` variable selectors, in layout order.
 */
export function dashboardQueries(json: unknown): DashboardQuery[] {
  if (!isObject(json)) throw new Error("dashboardQueries: expected a dashboard object");
  const uid = text(json.uid);
  const out: DashboardQuery[] = [];
  const templating = isObject(json.templating) ? json.templating : {};
  for (const v of objects(templating.list)) {
    const selector = LABEL_VALUES.exec(text(v.query))?.[1];
    if (selector !== undefined) out.push({ dashboard: uid, panel: `variable ${text(v.name)}`, panelId: null, refId: "query", expr: selector });
  }
  const panels = objects(json.panels).flatMap((p) => [p, ...objects(p.panels)]);
  for (const p of panels) {
    for (const t of objects(p.targets)) {
      out.push({ dashboard: uid, panel: text(p.title), panelId: typeof p.id === "number" ? p.id : null, refId: text(t.refId), expr: text(t.expr) });
    }
  }
  return out;
}

/** Values substituted for Grafana's variables when an expression runs outside Grafana. */
export interface VariableValues {
  /** `$__rate_interval`, `$__interval`, `$__range`: a PromQL duration, e.g. "1m". */
  readonly interval: string;
  /** Scope variables (`$subnet`, `$data_center`, `$node`): regexes; default ".*" (All). */
  readonly scope?: Readonly<Record<string, string>>;
}

/**
 * The expression with Grafana's variables replaced, ready for Prometheus' HTTP API: interval
 * variables by `values.interval`, scope variables by their regex (All by default).
 */
export function expandVariables(expr: string, values: VariableValues): string {
  return expr
    .replace(/\$__(?:rate_interval|interval|range)\b/g, values.interval)
    .replace(/\$\{?(\w+)\}?/g, (_, name: string) => values.scope?.[name] ?? ".*");
}
