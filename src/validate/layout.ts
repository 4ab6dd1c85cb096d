/**
 * Which registry path is what: version files, suites, environment files, and the structural
 * problems a listing alone reveals (stray or misnamed files, `.yml`, directories where a
 * version file should be, folders that collide on case-insensitive file systems, two files
 * of the same version). Pure: works the same on a working-tree walk and on the git index.
 */
import { createRequire } from 'node:module';
import { isStrictSemver as slowStrictSemver } from '../core/ref.js';
import type { FileKind } from './checks/types.js';
import type { FileProblemEntry } from './problem.js';
import { CONFIG_FILE } from '../paths.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface ListedEntry {
  rel: string;
  type: EntryType;
  /** a problem the listing itself found (e.g. a symbolic link leaving the registry) */
  problem?: FileProblemEntry;
}

export interface Layout {
  /** checkable files and their kind */
  files: Map<string, FileKind>;
  /** structural problems by file */
  problems: Map<string, FileProblemEntry[]>;
  /** prompt id → versions present (file names) */
  versions: Map<string, string[]>;
}

const STRICT = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?$/;

/** core/ref isStrictSemver, with a regex first: it runs once per file of a large registry */
export function isStrictSemver(v: string): boolean {
  if (!STRICT.test(v)) return false;
  return v.length <= 64 && v.split(/[.-]/, 3).every((n) => Number(n) <= Number.MAX_SAFE_INTEGER) ? true : slowStrictSemver(v);
}

function err(rule: string, message: string, severity: 'error' | 'warning' = 'error'): FileProblemEntry {
  return { line: 1, column: 1, rule, message, severity };
}

export function versionRel(promptsDir: string, id: string, version: string): string {
  return `${promptsDir}/${id}/${version}.yaml`;
}

/**
 * `otherIds`: prompt ids of the whole registry when `entries` is only part of it, so that a
 * case collision with a folder outside the part is still found.
 */
export function analyzeLayout(entries: ListedEntry[], promptsDir: string, environmentsDir: string, otherIds: Iterable<string> = []): Layout {
  const files = new Map<string, FileKind>();
  const problems = new Map<string, FileProblemEntry[]>();
  const versions = new Map<string, string[]>();
  const suites = new Map<string, string>();
  const yamlNames = new Set(entries.map((e) => e.rel));
  const push = (rel: string, p: FileProblemEntry): void => {
    const list = problems.get(rel);
    if (list) list.push(p);
    else problems.set(rel, [p]);
  };
  const pPrefix = `${promptsDir}/`;
  const ePrefix = `${environmentsDir}/`;
  for (const e of entries) {
    const { rel, type } = e;
    if (e.problem) {
      push(rel, e.problem);
      continue;
    }
    if (rel === CONFIG_FILE) {
      files.set(rel, 'config');
      continue;
    }
    const slash = rel.lastIndexOf('/');
    const name = rel.slice(slash + 1);
    const isYaml = name.endsWith('.yaml');
    const isYml = name.endsWith('.yml');
    if (rel.startsWith(ePrefix)) {
      if (rel.slice(ePrefix.length).includes('/')) continue; // sub-folders are not environments
      if (isYml) {
        push(rel, err('file-extension', `environment files use the .yaml extension: rename it to ${name.replace(/\.yml$/, '.yaml')}`));
      } else if (isYaml) {
        if (type === 'dir') push(rel, err('file-not-regular', 'expected an environment file but found a directory'));
        else files.set(rel, 'environment');
      }
      continue;
    }
    if (!rel.startsWith(pPrefix)) continue;
    const inner = rel.slice(pPrefix.length);
    const folder = inner.includes('/') ? inner.slice(0, inner.lastIndexOf('/')) : '';
    if (!isYaml && !isYml) continue;
    if (folder === '') {
      push(rel, err('stray-file', `"${name}" is directly in ${promptsDir}/; a version file lives in ${promptsDir}/<id>/<version>.yaml`));
      continue;
    }
    const stem = name.slice(0, isYaml ? -5 : -4);
    if (isYml) {
      const twin = `${rel.slice(0, -4)}.yaml`;
      if (yamlNames.has(twin)) push(rel, err('duplicate-version', `${name} duplicates ${stem}.yaml; keep only ${stem}.yaml`));
      else push(rel, err('file-extension', `registry files use the .yaml extension: rename it to ${stem}.yaml`));
      continue;
    }
    if (name === 'evals.yaml') {
      if (type === 'dir') push(rel, err('file-not-regular', 'expected an eval suite file but found a directory'));
      else {
        files.set(rel, 'suite');
        suites.set(folder, rel);
      }
      continue;
    }
    if (!isStrictSemver(stem)) {
      const fixed = stem.replace(/^v(?=\d)/, '');
      const coerce = createRequire(import.meta.url)('semver/functions/coerce.js') as (v: string) => { version: string } | null;
      const coerced = isStrictSemver(fixed) ? fixed : coerce(stem)?.version;
      push(
        rel,
        err('version-filename', `"${name}" is not a version file name: version files are named <semver>.yaml${coerced ? `; did you mean "${coerced}.yaml"?` : ' (e.g. 1.0.0.yaml)'}`),
      );
      continue;
    }
    if (type === 'dir') {
      push(rel, err('file-not-regular', 'expected a version file but found a directory; a version is one file'));
      continue;
    }
    files.set(rel, 'prompt');
    const list = versions.get(folder);
    if (list) list.push(stem);
    else versions.set(folder, [stem]);
  }
  // ids that differ only in case collide on case-insensitive file systems
  const byLower = new Map<string, string[]>();
  for (const id of new Set([...versions.keys(), ...otherIds])) {
    const k = id.toLowerCase();
    const l = byLower.get(k);
    if (l) l.push(id);
    else byLower.set(k, [id]);
  }
  for (const ids of byLower.values()) {
    if (ids.length < 2) continue;
    for (const id of ids) {
      const others = ids.filter((o) => o !== id).join('", "');
      for (const v of versions.get(id) ?? []) {
        push(versionRel(promptsDir, id, v), err('duplicate-id', `prompt "${id}" collides with "${others}" on case-insensitive file systems; merge the folders or rename one`));
      }
    }
  }
  for (const [folder, rel] of suites) {
    if (!versions.has(folder)) push(rel, err('suite-orphan', `eval suite for "${folder}", which has no version files; add ${promptsDir}/${folder}/1.0.0.yaml or remove the suite`, 'warning'));
  }
  return { files, problems, versions };
}
