/**
 * The response cache under `.prompts/cache/`: one small JSON file per response, sharded by the
 * first two hex digits of its key (256 folders keep directories small at 10k+ entries). The key
 * is the sha256 of what determines a response — provider type, base_url, model, parameters and
 * the rendered messages — and never includes an API key or header.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sha256 } from '../registry/files.js';
import type { Message } from '../core/types.js';
import { canonicalJson } from '../core/json.js';
import type { Usage } from '../providers/types.js';

export type CacheMode = 'readwrite' | 'record' | 'replay' | 'off';

export interface CacheEntry {
  output: string;
  usage: Usage | null;
  latency_ms: number;
  provider_type: string;
  model: string;
  created: string;
}

export function cacheKey(parts: { type: string; baseUrl: string; model: string; parameters: Record<string, unknown>; messages: readonly Message[] }): string {
  return sha256(canonicalJson({ v: 1, type: parts.type, base_url: parts.baseUrl, model: parts.model, parameters: parts.parameters, messages: parts.messages }));
}

export class ResponseCache {
  constructor(readonly dir: string, readonly mode: CacheMode) {}

  get reads(): boolean {
    return this.mode === 'readwrite' || this.mode === 'replay';
  }
  get writes(): boolean {
    return this.mode === 'readwrite' || this.mode === 'record';
  }

  fileOf(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  get(key: string): CacheEntry | undefined {
    if (!this.reads) return undefined;
    let text: string;
    try {
      text = fs.readFileSync(this.fileOf(key), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const e = JSON.parse(text) as CacheEntry;
      return typeof e.output === 'string' ? e : undefined;
    } catch {
      return undefined; // a damaged entry is a miss; the next write replaces it
    }
  }

  private madeDirs = new Set<string>();

  /**
   * Atomic write (temp file in the same folder + rename), asynchronous so a run with hundreds of
   * requests in flight never blocks on the disk. No fsync: an entry is reproducible, and one
   * damaged by a crash reads as a miss and is replaced.
   */
  async set(key: string, entry: CacheEntry): Promise<void> {
    if (!this.writes) return;
    const file = this.fileOf(key);
    const dir = path.dirname(file);
    if (!this.madeDirs.has(dir)) {
      await fs.promises.mkdir(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    const tmp = path.join(dir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await fs.promises.writeFile(tmp, `${JSON.stringify(entry)}\n`, { flag: 'wx' });
      await fs.promises.rename(tmp, file);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
      throw e;
    }
  }
}
