/**
 * Immutability of pinned bytes (SPEC §1, §4), one algorithm for every command that pins a
 * version file: the sha256 of the bytes about to be pinned must be one recorded for that
 * version wherever it was pinned before, in any environment: a pin's `sha256`, a running
 * rollout's candidate `sha256`, or the `sha256`
 * of a history entry of that version (so a version pinned once, rolled away from and pinned
 * again is still checked against its first bytes). A version never recorded anywhere passes.
 */
import type { DepsMap, EnvironmentFile, EnvPin } from './types.js';
import type { Refusal } from './env-change.js';

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

/** The deps one pin or history entry recorded (the sha256 of each partial and parent it was resolved from). */
export interface DepsRecord {
  env: string;
  /** the prompt whose pin recorded them */
  id: string;
  deps: DepsMap;
}

/** Every deps map an environment file records: each pin's and each history entry's. */
export function depsRecords(env: string, file: EnvironmentFile): DepsRecord[] {
  const out: DepsRecord[] = [];
  for (const [id, pin] of Object.entries(file.prompts)) {
    if (pin.deps) out.push({ env, id, deps: pin.deps });
    for (const h of pin.history) if (h.deps) out.push({ env, id, deps: h.deps });
  }
  return out;
}

export interface DepMismatch {
  key: string;
  /** its sha256 now */
  sha256: string;
  /** the sha256 recorded for it, where first */
  recorded: string;
  env: string;
  id: string;
}

/**
 * The immutability of what a version is resolved from, by the same rule as the version itself:
 * each file of `deps` (a partial, a parent) must have a sha256 recorded for it wherever it was
 * pinned before — through any prompt, in any environment. A file never recorded passes. null,
 * or the first file that changed after it was pinned.
 */
export function depsMismatch(deps: DepsMap, records: readonly DepsRecord[]): DepMismatch | null {
  for (const [key, sha] of Object.entries(deps)) {
    let first: DepsRecord | undefined;
    let same = false;
    for (const r of records) {
      const got = Object.hasOwn(r.deps, key) ? r.deps[key] : undefined;
      if (got === undefined) continue;
      if (got === sha) {
        same = true;
        break;
      }
      first ??= r;
    }
    if (!same && first) return { key, sha256: sha, recorded: first.deps[key]!, env: first.env, id: first.id };
  }
  return null;
}

/** `shared/tone@1.2.0 9f2c…, base/x@1.0.0 1ab3…`: a dry run's deps line. */
export function depsLine(deps: DepsMap): string {
  return Object.entries(deps)
    .map(([k, s]) => `${k} ${short(s)}`)
    .join(', ');
}

/** The refusal of a version resolved from a file that changed after it was pinned (through any prompt). */
export function depRefusal(what: string, m: DepMismatch): Omit<Refusal, 'kind'> {
  return {
    code: 'integrity',
    exit: 1,
    message: `refused: ${what} is resolved from ${m.key}, which changed after it was pinned in "${m.env}" (through ${m.id}): its sha256 is ${short(m.sha256)}, recorded ${short(m.recorded)}`,
    hint: 'version files are immutable, partials too: restore the pinned bytes from git, or bump a new partial version and move the prompt to it (prompts bump <id> --use <partial>@<version>)',
  };
}
