// SPDX-License-Identifier: Apache-2.0
/** Reads one sample from a node's /metrics text (Prometheus exposition format). */
export async function scrape(metricsAddress: string): Promise<string> {
  const res = await fetch(`http://${metricsAddress}/metrics`);
  return res.text();
}

/** Value of `name{labels}` in exposition text, or 0 when absent. Labels must be given in exposition order. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    const labelPart = rest.startsWith("{") ? rest.slice(1, rest.indexOf("}")) : "";
    const after = rest.startsWith("{") ? rest.slice(rest.indexOf("}") + 1) : rest;
    if (!after.startsWith(" ")) continue;
    const have = labelPart === "" ? [] : labelPart.split(",");
    if (wanted.every((w) => have.includes(w)) && (wanted.length > 0 || have.length === 0)) return Number(after.trim());
  }
  return 0;
}
