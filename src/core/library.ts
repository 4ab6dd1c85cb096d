/**
 * The template library's registry-wide questions (SPEC §14), pure: who uses a partial (or
 * extends a prompt) at which version, and which latest prompt versions use a partial behind its
 * latest version. The facts come from registry/library-scan.ts (each version file's own `uses:`
 * and `extends:`, and the closure resolution gives it).
 */
import semver from 'semver';
import { latestVersion } from './ref.js';

/** What one version file declares and what it resolves to. */
export interface VersionFacts {
  id: string;
  version: string;
  kind: 'prompt' | 'partial';
  /** its effective uses (extends applied): name -> `<id>@<version>` */
  uses: Record<string, string>;
  /** the version it extends directly (`<id>@<version>`), if any */
  extends?: string;
  /** every other file of its closure (the pin's deps keys); null when it does not resolve */
  closure: string[] | null;
}

const idOf = (key: string): string => key.slice(0, key.lastIndexOf('@'));
const versionOf = (key: string): string => key.slice(key.lastIndexOf('@') + 1);

export interface Dependent {
  /** the version file that depends on it */
  id: string;
  version: string;
  /** the version of the dependency it resolves to */
  uses: string;
  /** directly (a `uses:` entry or `extends:` of its own) or through another file of its closure */
  how: 'uses' | 'extends' | 'through';
  /** the names it includes it by (direct uses) */
  names: string[];
  /** environments whose pin (or rollout candidate) is this version */
  pinnedIn: string[];
}

/** Every version file whose closure holds a version of `target` (sorted by id, then semver). */
export function dependentsOf(target: string, facts: readonly VersionFacts[], pins: ReadonlyMap<string, string[]>): Dependent[] {
  const out: Dependent[] = [];
  for (const f of facts) {
    if (f.id === target) continue;
    const names = Object.entries(f.uses).filter(([, k]) => idOf(k) === target);
    const ext = f.extends !== undefined && idOf(f.extends) === target ? f.extends : undefined;
    const through = (f.closure ?? []).find((k) => idOf(k) === target);
    const key = names[0]?.[1] ?? ext ?? through;
    if (key === undefined) continue;
    out.push({
      id: f.id,
      version: f.version,
      uses: versionOf(key),
      how: names.length ? 'uses' : ext ? 'extends' : 'through',
      names: names.map(([n]) => n),
      pinnedIn: pins.get(`${f.id}@${f.version}`) ?? [],
    });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : semver.compare(a.version, b.version)));
}

export interface OutdatedUse {
  /** the prompt (its latest version) */
  id: string;
  version: string;
  /** the include name */
  name: string;
  partial: string;
  /** the version it uses */
  current: string;
  /** the partial's latest version (stable, unless the use is itself a prerelease) */
  latest: string;
}

/**
 * The uses of each id's latest version that are behind the partial's latest version. A stable
 * use is compared with the latest stable version (a newer prerelease is not "newer" to it).
 */
export function outdatedUses(facts: readonly VersionFacts[], versionsOf: (id: string) => readonly string[]): OutdatedUse[] {
  const latestOf = new Map<string, VersionFacts>();
  for (const f of facts) {
    const have = latestOf.get(f.id);
    if (!have || semver.gt(f.version, have.version)) latestOf.set(f.id, f);
  }
  const out: OutdatedUse[] = [];
  for (const f of [...latestOf.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    for (const [name, key] of Object.entries(f.uses).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const partial = idOf(key);
      const current = versionOf(key);
      const all = versionsOf(partial);
      const pool = semver.prerelease(current) ? all : all.filter((v) => !semver.prerelease(v));
      const latest = latestVersion(pool);
      if (latest && semver.valid(current) && semver.gt(latest, current)) out.push({ id: f.id, version: f.version, name, partial, current, latest });
    }
  }
  return out;
}
