/**
 * Prompt ids and references (SPEC §1, §6). Pure: no fs. Every id is checked here before any
 * path is built from it, so `..`, absolute paths, back-slashes and upper case never reach the disk.
 */
import { createRequire } from 'node:module';

// semver is loaded on first use, and only the two functions used: this module is on the
// start-up path of every command (a pre-commit hook's `validate --staged` among them)
const requireCjs = createRequire(import.meta.url);
type Valid = (v: string, o: { loose: boolean }) => string | null;
type Compare = (a: string, b: string) => number;
let semverFns: { valid: Valid; compare: Compare } | undefined;
function semverLib(): { valid: Valid; compare: Compare } {
  semverFns ??= { valid: requireCjs('semver/functions/valid.js') as Valid, compare: requireCjs('semver/functions/compare.js') as Compare };
  return semverFns;
}

const SEGMENT = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MAX_ID_SEGMENTS = 4;
const ENV_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Returns why `id` is not a valid prompt id, or null when it is valid. */
export function idProblem(id: string): string | null {
  if (id.length === 0) return 'the id is empty';
  if (id.includes('\\')) return 'back-slashes are not allowed (use "/" between segments)';
  if (id.startsWith('/')) return 'an id may not start with "/" (it is relative to the prompts folder)';
  if (id.endsWith('/')) return 'an id may not end with "/"';
  if (/[A-Z]/.test(id)) return `upper case is not allowed (ids are lower case so the registry behaves the same on case-insensitive file systems): try "${id.toLowerCase()}"`;
  const segments = id.split('/');
  if (segments.length > MAX_ID_SEGMENTS) return `at most ${MAX_ID_SEGMENTS} segments are allowed, found ${segments.length}`;
  for (const seg of segments) {
    if (seg === '') return 'empty segment ("//") in the id';
    if (seg === '.' || seg === '..') return `"${seg}" segments are not allowed`;
    if (!SEGMENT.test(seg)) {
      return `segment "${seg}" must match [a-z0-9][a-z0-9._-]{0,63} (lower-case letters, digits, ".", "_", "-"; starting with a letter or digit)`;
    }
  }
  return null;
}

export function envNameProblem(name: string): string | null {
  return ENV_NAME.test(name) ? null : `environment name "${name}" must match [a-z0-9][a-z0-9_-]{0,63}`;
}

/** Strict semver 2.0, no leading "v". */
export function isStrictSemver(v: string): boolean {
  return semverLib().valid(v, { loose: false }) === v && !v.startsWith('v');
}

export type RefSelector =
  | { kind: 'latest' }
  | { kind: 'version'; version: string }
  | { kind: 'env'; env: string; arm: 'stable' | 'candidate' };

export interface PromptRef {
  id: string;
  selector: RefSelector;
  /** the text the user typed, for messages */
  raw: string;
}

/**
 * Parses `<id>`, `<id>@<version>`, `<id>@<env>` (`<id>@<env>:candidate`: a running rollout's
 * candidate there, `:stable` the pinned version) or `<id>@latest`. Which of version/env a
 * selector is is decided by its shape: a strict semver is a version, anything else an env name.
 * Returns a problem string instead of throwing so callers choose the error class.
 */
export function parseRef(raw: string): PromptRef | { problem: string } {
  const at = raw.lastIndexOf('@');
  const id = at === -1 ? raw : raw.slice(0, at);
  const sel = at === -1 ? '' : raw.slice(at + 1);
  const p = idProblem(id);
  if (p) return { problem: `invalid prompt id "${id}": ${p}` };
  if (at === -1 || sel === 'latest') return { id, selector: { kind: 'latest' }, raw };
  if (sel === '') return { problem: `"${raw}" has an empty selector after "@"` };
  if (/^v?\d/.test(sel)) {
    if (!isStrictSemver(sel)) {
      return { problem: `"${sel}" is not a strict semver version (expected e.g. 1.2.0 or 1.3.0-rc.1, no leading "v")` };
    }
    return { id, selector: { kind: 'version', version: sel }, raw };
  }
  const colon = sel.indexOf(':');
  const env = colon === -1 ? sel : sel.slice(0, colon);
  const arm = colon === -1 ? 'stable' : sel.slice(colon + 1);
  if (arm !== 'stable' && arm !== 'candidate') return { problem: `"${raw}": after "${env}:" comes "candidate" (a rollout's candidate) or "stable", not "${arm}"` };
  const ep = envNameProblem(env);
  if (ep) return { problem: `"${raw}": ${ep}` };
  return { id, selector: { kind: 'env', env, arm }, raw };
}

/** Sorts versions ascending by semver precedence (ties broken by string for determinism). */
export function sortVersions(versions: readonly string[]): string[] {
  return [...versions].sort((a, b) => semverLib().compare(a, b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Latest version: the highest by semver precedence (a prerelease of a higher version counts). */
export function latestVersion(versions: readonly string[]): string | undefined {
  const sorted = sortVersions(versions);
  return sorted[sorted.length - 1];
}
