/**
 * Immutability of pinned bytes (SPEC §1, §4), one algorithm for every command that pins a
 * version file: the sha256 of the bytes about to be pinned must be one recorded for that
 * version wherever it was pinned before, in any environment: a pin's `sha256`, a running
 * rollout's candidate `sha256`, or the `sha256`
 * of a history entry of that version (so a version pinned once, rolled away from and pinned
 * again is still checked against its first bytes). A version never recorded anywhere passes.
 */
import type { EnvPin } from './types.js';

/** The pin of one prompt in one environment (undefined: not pinned there). */
export interface PinIn {
  env: string;
  pin: EnvPin | undefined;
  /** the environment file, registry-relative (for messages) */
  rel?: string;
}

export interface RecordedDigest {
  sha256: string;
  /** the first environment (in config order) that recorded it */
  env: string;
}

/** Every distinct sha256 recorded for `version` across `pins`, in the order of `pins`. */
export function recordedDigests(version: string, pins: readonly PinIn[]): RecordedDigest[] {
  const seen = new Map<string, string>();
  for (const { env, pin } of pins) {
    if (!pin) continue;
    if (pin.version === version && pin.sha256 && !seen.has(pin.sha256)) seen.set(pin.sha256, env);
    if (pin.rollout?.version === version && pin.rollout.sha256 && !seen.has(pin.rollout.sha256)) seen.set(pin.rollout.sha256, env);
    for (const h of pin.history) if (h.version === version && h.sha256 && !seen.has(h.sha256)) seen.set(h.sha256, env);
  }
  return [...seen].map(([sha256, env]) => ({ sha256, env }));
}

/**
 * null when `digest` may be pinned as `version`; else the digests recorded for it (none of
 * which is `digest`): the file changed after it was pinned.
 */
export function integrityMismatch(version: string, digest: string, pins: readonly PinIn[]): RecordedDigest[] | null {
  const recorded = recordedDigests(version, pins);
  if (recorded.length === 0 || recorded.some((r) => r.sha256 === digest)) return null;
  return recorded;
}

export const short = (sha: string): string => `${sha.slice(0, 12)}…`;
