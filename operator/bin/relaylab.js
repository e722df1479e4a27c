#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// "#cli" is the compiled dist/cli/main.js under `node --conditions=production` (the container image)
// and src/cli/main.ts otherwise, so a checkout runs the TypeScript through tsx without a build step.
const entry = import.meta.resolve("#cli");
if (entry.endsWith(".ts")) {
  const { register } = await import("tsx/esm/api");
  register();
}
await import(entry);
