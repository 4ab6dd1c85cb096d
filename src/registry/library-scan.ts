/**
 * The facts core/library.ts answers `dependents` and `outdated` from: every version file of the
 * registry read once (through the resolution loader, so a partial many prompts include is read
 * and schema-checked once), each resolved by core/resolve.ts. A file that does not read or
 * resolve is listed in `skipped` (validate explains it) instead of failing the command.
 */
import { resolveDocument } from '../core/resolve.js';
import type { VersionFacts } from '../core/library.js';
import { isObject } from '../core/json.js';
import { registryLoader } from './resolved.js';
import type { Registry } from './registry.js';

export interface LibraryScan {
  facts: VersionFacts[];
  /** `<id>@<version>` of files that could not be read or resolved, with why */
  skipped: { key: string; why: string }[];
}

export function scanLibrary(reg: Registry): LibraryScan {
  const loader = registryLoader(reg);
  const facts: VersionFacts[] = [];
  const skipped: LibraryScan['skipped'] = [];
  for (const id of reg.listPromptIds()) {
    for (const version of reg.listVersions(id)) {
      const doc = loader.load(id, version);
      if (!('value' in doc)) {
        skipped.push({ key: `${id}@${version}`, why: 'invalid' in doc ? doc.invalid : 'it could not be read' });
        continue;
      }
      const res = resolveDocument(doc, loader.load);
      const ext = doc.value.extends;
      facts.push({
        id,
        version,
        kind: res.kind,
        uses: res.uses,
        ...(typeof ext === 'string' ? { extends: ext } : {}),
        closure: res.problems.length ? null : Object.keys(res.deps),
      });
      if (res.problems.length) skipped.push({ key: `${id}@${version}`, why: res.problems[0]!.message });
    }
  }
  return { facts, skipped };
}

/** `<id>@<version>` -> the environments pinning it (`<env>`, or `<env>:candidate` for a rollout's candidate). */
export function pinPlaces(reg: Registry): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (k: string, place: string): void => {
    const l = out.get(k);
    if (l) l.push(place);
    else out.set(k, [place]);
  };
  for (const env of reg.config.environmentOrder) {
    let prompts: Record<string, unknown>;
    try {
      prompts = reg.loadEnv(env).value.prompts;
    } catch {
      continue; // a broken environment file: validate's business
    }
    for (const [id, pin] of Object.entries(prompts)) {
      if (!isObject(pin) || typeof pin.version !== 'string') continue;
      add(`${id}@${pin.version}`, env);
      if (isObject(pin.rollout) && typeof pin.rollout.version === 'string') add(`${id}@${pin.rollout.version}`, `${env}:candidate`);
    }
  }
  return out;
}
