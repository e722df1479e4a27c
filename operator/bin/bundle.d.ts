// SPDX-License-Identifier: Apache-2.0
export interface BundleSpec {
  /** The bundle's file name before its hash. */
  readonly name: string;
  /** The entry file. */
  readonly main: string;
  /** The package the bundle belongs to; it is written to its .cache/ directory. */
  readonly packageDir: string;
  /** Directories whose .ts files the hash covers. */
  readonly sourceDirs: readonly string[];
  /** package.json files the hash covers. */
  readonly manifests: readonly string[];
  /** Bundle the installed packages too, except these (by default every installed package stays external). */
  readonly bundleDependencies?: { readonly except: readonly string[] };
}
/** Bundles of one name kept in the cache, newest first. */
export const KEPT_BUNDLES: number;
/** Builds (or finds) `<packageDir>/.cache/<name>-<hash>.mjs` for the entry file `main`; returns its path. */
export function bundleOnce(spec: BundleSpec): string;
/** One line naming the first compile error and where it is, or the error's first line. */
export function describeBundleError(err: unknown): string;
