/**
 * The response cache under `.prompts/cache/`: one small JSON file per response, sharded by the
 * first two hex digits of its key (256 folders keep directories small at 10k+ entries). The key
 * is the sha256 of what determines a response — provider type, base_url, model, parameters and
 * the rendered messages — and never includes an API key or header.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { realDirProblem, removeDeadTempFiles, sha256, tempPathFor } from '../registry/files.js';
import { readStateText, type TrackedState } from '../registry/state.js';
import type { Message } from '../core/types.js';
import { canonicalJson } from '../core/json.js';
import type { ReplyKind, Usage } from '../providers/types.js';

export type CacheMode = 'readwrite' | 'record' | 'replay' | 'off';

export interface CacheEntry {
  output: string;
  usage: Usage | null;
  latency_ms: number;
  provider_type: string;
  model: string;
  created: string;
  /** the cache key the entry answers (its file name): an entry filed elsewhere is a miss */
  key?: string;
  /** a reply that was not plain text (refusal, tool_calls, empty) */
  reply?: ReplyKind;
}

/**
 * `resolved`: the resolved digest of a prompt with partials or parents (its content and every
 * partial's text), so a response is never shared across closures; prompts without them keep
 * the keys they always had.
 */
export function cacheKey(parts: { type: string; baseUrl: string; model: string; parameters: Record<string, unknown>; messages: readonly Message[]; resolved?: string }): string {
  return sha256(
    canonicalJson({ v: 1, type: parts.type, base_url: parts.baseUrl, model: parts.model, parameters: parts.parameters, messages: parts.messages, ...(parts.resolved ? { resolved: parts.resolved } : {}) }),
  );
}

export class ResponseCache {
  /**
   * `root`: the registry (the cache lives in its `.prompts/cache`); `tracked`: what git tracks
   * there (registry/state.ts): a committed entry, a symbolic link, or an entry whose `key` is not
   * the one asked for is a miss, never a response.
   */
  constructor(
    readonly root: string,
    readonly dir: string,
    readonly mode: CacheMode,
    readonly tracked: TrackedState,
  ) {}

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
    const text = readStateText(this.root, this.fileOf(key), this.tracked);
    if (text === undefined) return undefined;
    try {
      const e = JSON.parse(text) as CacheEntry;
      // entries written before `key` was recorded are kept by the file name alone
      return e && typeof e.output === 'string' && (e.key === undefined || e.key === key) ? e : undefined;
    } catch {
      return undefined; // a damaged entry is a miss; the next write replaces it
    }
  }

  private madeDirs = new Map<string, boolean>();

  /**
   * Atomic write (temp file in the same folder + rename), asynchronous so a run with hundreds of
   * requests in flight never blocks on the disk. No fsync: an entry is reproducible, and one
   * damaged by a crash reads as a miss and is replaced. Never through a symbolic link: a
   * `.prompts` that leads elsewhere gets no entries.
   */
  async set(key: string, entry: CacheEntry): Promise<void> {
    if (!this.writes) return;
    const file = this.fileOf(key);
    const dir = path.dirname(file);
    let ok = this.madeDirs.get(dir);
    if (ok === undefined) {
      ok = realDirProblem(this.root, dir, { create: true }) === null;
      if (ok) removeDeadTempFiles(dir);
      this.madeDirs.set(dir, ok);
    }
    if (!ok) return;
    const tmp = tempPathFor(file);
    try {
      await fs.promises.writeFile(tmp, `${JSON.stringify({ ...entry, key })}\n`, { flag: 'wx' });
      await fs.promises.rename(tmp, file);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
      throw e;
    }
  }
}
