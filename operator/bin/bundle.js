// SPDX-License-Identifier: Apache-2.0
/**
 * A checkout's TypeScript programs (the CLI, the node program) run from one esbuild bundle each, built once per
 * source hash, instead of through tsx: tsx compiles and resolves every module through loader hooks at each start
 * (1.8 s for `relaylab --help` against 0.9 s from the bundle) and costs each process about 38 MB.
 *
 * A bundle holds the program's own sources and those of the workspace packages it imports (`@relaylab/*`); every
 * other package stays external, unless the spec asks to bundle the dependencies as well (the node program, which a
 * testnet starts many times at once: one file to load instead of hundreds saves each start about 0.2 s of CPU). It lives in `<package>/.cache/`, one level below the package, as `src/` is, so
 * `../package.json` and the external packages resolve from it exactly as from the sources. Concurrent runs may
 * build the same hash: each builds in a temporary directory and renames its files into place, the entry last, and
 * rename is atomic, so a reader sees a whole bundle or none. A new bundle retires the older ones of its name past the
 * newest KEPT_BUNDLES (a checkout being edited builds one per change, 2.6 MB each for the node program); the ones
 * kept serve processes still running an earlier build, which may import a chunk late. Plain JavaScript, because the CLI's launcher must run it before anything can
 * compile TypeScript; bundle.d.ts gives its types.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** Bundles of one name kept in the cache, newest first: the current one and a few earlier builds. */
export const KEPT_BUNDLES = 3;
/** A temporary build directory older than this belongs to a build that died. */
const STALE_BUILD_MS = 60 * 60 * 1000;

/** The scope of the workspace packages, bundled from their sources; every other package stays external. */
const WORKSPACE_SCOPE = "@relaylab";

/**
 * Builds (or finds) `<packageDir>/.cache/<name>-<hash>.mjs` for the entry file `main`. The hash covers every `.ts`
 * source under `sourceDirs`, every manifest in `manifests` and the bundler's version.
 */
export function bundleOnce({ name, main, packageDir, sourceDirs, manifests, bundleDependencies }) {
  // esbuild is a development dependency, as tsx is: loaded only in a checkout, never in an image.
  const esbuild = createRequire(import.meta.url)("esbuild");
  const cacheDir = join(packageDir, ".cache");
  // A bundle that holds its dependencies is as new as the installed versions, which the lockfile names.
  const lockfile = bundleDependencies === undefined ? [] : findUp(packageDir, "package-lock.json");
  const stem = `${name}-${sourceHash(`${esbuild.version} ${JSON.stringify(bundleDependencies ?? null)}`, sourceDirs, [...manifests, ...lockfile])}`;
  const out = join(cacheDir, `${stem}.mjs`);
  if (existsSync(out)) return out;
  const tmp = join(cacheDir, `.${stem}.${process.pid}.${Date.now()}.tmp`);
  mkdirSync(tmp, { recursive: true });
  try {
    esbuild.buildSync({
      entryPoints: [main],
      outdir: tmp,
      // Modules the program imports dynamically go to chunks of their own, so that the packages only they import
      // (the Kubernetes client, for the CLI) load only when they are used.
      splitting: true,
      entryNames: stem,
      chunkNames: `${stem}-chunk-[hash]`,
      outExtension: { ".js": ".mjs" },
      bundle: true,
      platform: "node",
      format: "esm",
      logLevel: "silent",
      ...(bundleDependencies === undefined
        ? { external: externalPackages(packageDir) }
        : {
            external: bundleDependencies.except.flatMap((p) => [p, `${p}/*`]),
            // CommonJS packages call require(), which an ES module must be given.
            banner: { js: 'import { createRequire as __relaylabRequire } from "node:module"; const require = __relaylabRequire(import.meta.url);' },
          }),
    });
    // Chunks first, the entry last: a reader that finds the entry finds its chunks.
    const files = readdirSync(tmp).sort((a, b) => Number(a === `${stem}.mjs`) - Number(b === `${stem}.mjs`));
    for (const file of files) renameSync(join(tmp, file), join(cacheDir, file));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  pruneCache(cacheDir, name);
  return out;
}

/**
 * Removes the bundles of `name` older than the newest KEPT_BUNDLES (by the entry's modification time), each entry
 * before its chunks so that no entry is left without them, and temporary build directories of builds that died.
 * Best effort: another process may be pruning too, so files already gone are not an error.
 */
function pruneCache(cacheDir, name) {
  const entry = new RegExp(`^${name}-[0-9a-f]{16}\\.mjs$`);
  const mtime = (file) => {
    try {
      return statSync(join(cacheDir, file)).mtimeMs;
    } catch {
      return 0;
    }
  };
  const files = readdirSync(cacheDir);
  const entries = files.filter((f) => entry.test(f)).sort((a, b) => mtime(b) - mtime(a));
  for (const old of entries.slice(KEPT_BUNDLES)) {
    const stem = old.slice(0, -".mjs".length);
    rmSync(join(cacheDir, old), { force: true });
    for (const chunk of files.filter((f) => f.startsWith(`${stem}-chunk-`))) rmSync(join(cacheDir, chunk), { force: true });
  }
  for (const dir of files.filter((f) => f.startsWith(`.${name}-`) && f.endsWith(".tmp"))) {
    if (Date.now() - mtime(dir) > STALE_BUILD_MS) rmSync(join(cacheDir, dir), { recursive: true, force: true });
  }
}

/**
 * esbuild's external patterns for every package installed where `packageDir` resolves packages from (its
 * node_modules and those above it), workspace packages excepted. The synchronous API takes no resolver plugin,
 * and `packages: "external"` would leave the workspace packages out too.
 */
function externalPackages(packageDir) {
  const patterns = [];
  for (let dir = packageDir; ; dir = dirname(dir)) {
    const modules = join(dir, "node_modules");
    if (existsSync(modules)) {
      for (const name of readdirSync(modules)) {
        if (name.startsWith(".") || name === WORKSPACE_SCOPE) continue;
        patterns.push(...(name.startsWith("@") ? [`${name}/*`] : [name, `${name}/*`]));
      }
    }
    if (dirname(dir) === dir) return patterns;
  }
}

/** The nearest `file` in `dir` or above it, as a list of zero or one path. */
function findUp(dir, file) {
  for (;;) {
    if (existsSync(join(dir, file))) return [join(dir, file)];
    if (dirname(dir) === dir) return [];
    dir = dirname(dir);
  }
}

/** One line naming the first compile error and where it is, or the error's first line. */
export function describeBundleError(err) {
  const first = err?.errors?.[0];
  if (first) return first.location ? `${first.location.file}:${first.location.line}: ${first.text}` : first.text;
  return (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
}

/** A short hash of every source file (path and content), the manifests and the bundler version. */
function sourceHash(bundler, sourceDirs, manifests) {
  const h = createHash("sha256").update(bundler);
  for (const m of manifests) h.update(m).update("\0").update(readFileSync(m)).update("\0");
  for (const dir of sourceDirs) {
    const files = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
      .map((e) => join(e.parentPath, e.name))
      .sort();
    for (const f of files) h.update(f).update("\0").update(readFileSync(f)).update("\0");
  }
  return h.digest("hex").slice(0, 16);
}
