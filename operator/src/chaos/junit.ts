// SPDX-License-Identifier: Apache-2.0
/** JUnit XML for CI systems: one testsuite per experiment, one testcase per expectation. */
import type { Verdict } from "./verdict.js";

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] ?? c);
}

export function junitXml(experiment: string, verdicts: readonly Verdict[], durationSeconds: number): string {
  const failures = verdicts.filter((v) => !v.passed).length;
  const cases = verdicts.map((v) => {
    const open = `    <testcase classname="relaylab.chaos.${escapeXml(experiment)}" name="${escapeXml(v.name)}" time="0">`;
    const body = v.passed
      ? `\n      <system-out>${escapeXml(`measured ${v.measured}; expected ${v.expected}`)}</system-out>`
      : `\n      <failure message="${escapeXml(`expected ${v.expected}, measured ${v.measured}`)}" type="ExpectationFailed"/>`;
    return `${open}${body}\n    </testcase>`;
  });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="relaylab chaos" tests="${verdicts.length}" failures="${failures}" time="${durationSeconds.toFixed(3)}">`,
    `  <testsuite name="${escapeXml(experiment)}" tests="${verdicts.length}" failures="${failures}" errors="0" skipped="0" time="${durationSeconds.toFixed(3)}">`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    "",
  ].join("\n");
}
