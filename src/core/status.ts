/**
 * `status` as data: prompts × environments with the pinned version, the latest version and
 * flags. Pure: the command supplies each pinned file's current sha256 (null = missing).
 */
import semver from 'semver';
import { wasPinned } from './promotion.js';
import { verifyPin } from './env-chain.js';
import type { EnvironmentFile } from './types.js';
import { own } from './own.js';

export type StatusFlag = 'behind' | 'missing' | 'sha-mismatch' | 'dep-missing' | 'dep-changed' | 'not-upstream' | 'candidate-missing' | 'candidate-sha-mismatch' | 'tampered';

/** Flags that mean a pin is broken (status exits 1 when any is present). */
export const BROKEN_FLAGS: readonly StatusFlag[] = ['missing', 'sha-mismatch', 'dep-missing', 'dep-changed', 'candidate-missing', 'candidate-sha-mismatch', 'tampered'];

export interface StatusCell {
  version: string | null;
  sha256: string | null;
  /** a running rollout: its candidate and weight */
  rollout: { version: string; weight: number } | null;
  flags: StatusFlag[];
}

export interface StatusRow {
  id: string;
  latest: string | null;
  /** the latest version that is not a prerelease (null: none) */
  latest_stable: string | null;
  versions: number;
  environments: Record<string, StatusCell>;
}

export interface StatusReport {
  environments: string[];
  prompts: StatusRow[];
  /** number of broken pins (missing file, sha256 mismatch, unknown prompt, edited by hand) */
  broken: number;
  /** number of cells with any flag */
  flagged: number;
}

export interface StatusInput {
  prompts: { id: string; versions: readonly string[] }[];
  environments: { name: string; requires?: string; file: EnvironmentFile }[];
  /** the current sha256 of a version file, or null when it does not exist */
  fileSha: (id: string, version: string) => string | null;
}

/** The latest version without a prerelease tag, of versions sorted by semver precedence. */
export function latestStable(sorted: readonly string[]): string | null {
  for (let i = sorted.length - 1; i >= 0; i--) if (semver.valid(sorted[i]!) && semver.prerelease(sorted[i]!) === null) return sorted[i]!;
  return null;
}

/**
 * Is a pin of `version` behind? A stable pin is behind the latest stable version only (a newer
 * prerelease is a candidate, not something production missed); a prerelease pin is behind any
 * later version, prerelease or stable.
 */
export function isBehind(version: string, sorted: readonly string[]): boolean {
  if (!semver.valid(version)) return false;
  const target = semver.prerelease(version) === null ? latestStable(sorted) : (sorted[sorted.length - 1] ?? null);
  return target !== null && semver.valid(target) !== null && semver.lt(version, target);
}

export function buildStatus(input: StatusInput): StatusReport {
  const byName = new Map(input.environments.map((e) => [e.name, e]));
  const known = new Map(input.prompts.map((p) => [p.id, p.versions]));
  const ids = new Set(input.prompts.map((p) => p.id));
  for (const e of input.environments) for (const id of Object.keys(e.file.prompts)) ids.add(id);
  let broken = 0;
  let flagged = 0;
  const rows: StatusRow[] = [...ids].sort().map((id) => {
    const versions = known.get(id) ?? [];
    const latest = versions.length ? versions[versions.length - 1]! : null;
    const cells: Record<string, StatusCell> = {};
    for (const e of input.environments) {
      const pin = own(e.file.prompts, id);
      if (!pin) {
        cells[e.name] = { version: null, sha256: null, rollout: null, flags: [] };
        continue;
      }
      const flags: StatusFlag[] = [];
      // a pin no promptrail command wrote (core/env-chain.ts) is that, not a changed file
      if (verifyPin(pin).status === 'tampered') flags.push('tampered');
      else {
        // a pinned file that is not there is missing, whether its version or its whole prompt was deleted
        const sha = known.has(id) ? input.fileSha(id, pin.version) : null;
        if (sha === null) flags.push('missing');
        else if (sha !== pin.sha256) flags.push('sha-mismatch');
        if (pin.rollout) {
          const csha = known.has(id) ? input.fileSha(id, pin.rollout.version) : null;
          if (csha === null) flags.push('candidate-missing');
          else if (csha !== pin.rollout.sha256) flags.push('candidate-sha-mismatch');
        }
      }
      // what the version (and a rollout's candidate) is resolved from (partials, parents) must still be the promoted bytes
      for (const [key, recorded] of [...Object.entries(pin.deps ?? {}), ...Object.entries(pin.rollout?.deps ?? {})]) {
        const at = key.lastIndexOf('@');
        const sha = at > 0 ? input.fileSha(key.slice(0, at), key.slice(at + 1)) : null;
        const flag: StatusFlag | null = sha === null ? 'dep-missing' : sha !== recorded ? 'dep-changed' : null;
        if (flag && !flags.includes(flag)) flags.push(flag);
      }
      if (isBehind(pin.version, versions)) flags.push('behind');
      const up = e.requires ? byName.get(e.requires) : undefined;
      if (up && !wasPinned(up.file, id, pin.version)) flags.push('not-upstream');
      if (flags.some((f) => BROKEN_FLAGS.includes(f))) broken++;
      if (flags.length) flagged++;
      cells[e.name] = { version: pin.version, sha256: pin.sha256, rollout: pin.rollout ? { version: pin.rollout.version, weight: pin.rollout.weight } : null, flags };
    }
    return { id, latest, latest_stable: latestStable(versions), versions: versions.length, environments: cells };
  });
  return { environments: input.environments.map((e) => e.name), prompts: rows, broken, flagged };
}
