/**
 * Released means immutable (SPEC §1): the version files of a prompt whose content no longer has
 * a digest some environment recorded for that version when it pinned it (a pin's sha256 or a
 * history entry's; core/integrity.ts), e.g. an old release edited in place. `bump` names them;
 * `validate` reports them as released-version-changed (validate/phase-pins.ts), from its own reading.
 */
import * as fs from 'node:fs';
import { integrityMismatch, type RecordedDigest } from '../core/integrity.js';
import { contentSha256 } from './files.js';
import { pinsOf } from './env-view.js';
import type { Registry } from './registry.js';

export interface ReleasedChange {
  version: string;
  /** registry-relative path */
  rel: string;
  /** the digests recorded for it (none of which is `now`) */
  recorded: RecordedDigest[];
  now: string;
}

export function changedReleases(reg: Registry, id: string): ReleasedChange[] {
  const pins = pinsOf(reg, id, new Map());
  const out: ReleasedChange[] = [];
  for (const version of reg.listVersions(id)) {
    const file = reg.versionPath(id, version);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch {
      continue;
    }
    const now = contentSha256(bytes);
    const recorded = integrityMismatch(version, now, pins);
    if (recorded) out.push({ version, rel: reg.rel(file), recorded, now });
  }
  return out;
}
