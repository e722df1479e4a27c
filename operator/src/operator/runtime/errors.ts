// SPDX-License-Identifier: Apache-2.0
/** Errors the runtime distinguishes: API status codes, and reconcile errors not worth retrying. */

/** An error response from the Kubernetes API, with its HTTP status code. */
export class KubeError extends Error {
  override readonly name = "KubeError";
  constructor(
    readonly code: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeError && err.code === 404;
export const isConflict = (err: unknown): boolean => err instanceof KubeError && err.code === 409;
export const isGone = (err: unknown): boolean => err instanceof KubeError && err.code === 410;

/**
 * Thrown by a reconciler for a failure that retrying cannot fix (an invalid spec the schema let
 * through, say). The key is dropped from the queue until its object changes again.
 */
export class TerminalError extends Error {
  override readonly name = "TerminalError";
}
