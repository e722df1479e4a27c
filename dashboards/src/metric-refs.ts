// SPDX-License-Identifier: Apache-2.0
/**
 * Extracts the metric names a PromQL expression reads, without a full parser: strings, label
 * matchers, range selectors, Grafana variables, grouping label lists and function calls are
 * removed, and what is left that looks like an identifier and is not a keyword is a metric.
 */

const KEYWORDS = new Set(["and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "inf", "nan"]);

/** Metric names referenced by `expr`, in order of first appearance. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, " ") // string literals
    .replace(/\{[^}]*\}/g, " ") // label matchers
    .replace(/\[[^\]]*\]/g, " ") // range and subquery selectors
    .replace(/\$\{?\w+\}?/g, " ") // Grafana variables
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " "); // label lists
  const names: string[] = [];
  // Tokens starting with a digit are numbers or durations (1e3, 0.99, 5m, 1h30m).
  for (const m of stripped.matchAll(/[0-9][\w.]*|([A-Za-z_:][\w:]*)(\s*\()?/g)) {
    const [, ident, call] = m;
    if (ident === undefined || call !== undefined || KEYWORDS.has(ident.toLowerCase())) continue;
    if (!names.includes(ident)) names.push(ident);
  }
  return names;
}
