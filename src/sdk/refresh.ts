/**
 * Bundles that reload without a redeploy: loadBundle(pathOrUrl, { refresh: { intervalMs } })
 * re-reads a file (when its stat changes) or an http(s) URL (conditional GET with If-None-Match /
 * If-Modified-Since), verifies the new bundle in full (every digest, every source re-derived,
 * the runtime config digest, no provider endpoint or key variable changed), and only then swaps
 * it in with one assignment. On any failure — network error, HTTP error, an unsolicited 304,
 * a tampered, half-written or non-JSON bundle — it keeps serving the last good bundle and calls
 * onError; the next interval tries again. close() stops it.
 */
import { stat, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sha256 } from '../registry/files.js';
import { BundleFormatError, IntegrityError } from './errors.js';
import { checkBundle, isHttpSource, makeBundleSet, MAX_BUNDLE_BYTES, parseBundleText, readBundleFile, type CheckedBundle } from './load-bundle.js';
import type { BundleUpdate, GetOptions, LoadBundleOptions, PromptSet } from './types.js';
import { own } from '../core/own.js';

/** A bundle larger than this is refused (bounded memory). */
export { MAX_BUNDLE_BYTES };

type Poll = { changed: false } | { changed: true; text: string; commit: () => void };

interface Source {
  /** for messages and IntegrityError locations */
  label: string;
  /** the current text, unconditionally (start-up) */
  first(): Promise<string>;
  /** the text when it may have changed since the last commit()ed read */
  poll(): Promise<Poll>;
  abort(): void;
}

function fileSource(file: string): Source {
  let seen = '';
  const fingerprint = async (): Promise<string> => {
    const s = await stat(file, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  };
  return {
    label: file,
    async first() {
      const fp = await fingerprint().catch(() => '');
      const text = await readBundleFile(file);
      seen = fp;
      return text;
    },
    async poll() {
      let fp: string;
      try {
        fp = await fingerprint();
      } catch (e) {
        throw new BundleFormatError(`cannot read the bundle (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file });
      }
      if (fp === seen) return { changed: false };
      const buf = await readFile(file).catch((e: NodeJS.ErrnoException) => {
        throw new BundleFormatError(`cannot read the bundle (${e.code ?? String(e)})`, { file });
      });
      if (buf.length > MAX_BUNDLE_BYTES) throw new BundleFormatError(`bundle is larger than ${MAX_BUNDLE_BYTES} bytes`, { file });
      return { changed: true, text: buf.toString('utf8'), commit: () => (seen = fp) };
    },
    abort() {},
  };
}

function httpSource(url: string, timeoutMs: number): Source {
  let etag: string | null = null;
  let lastModified: string | null = null;
  let inflight: AbortController | undefined;
  const get = async (conditional: boolean): Promise<{ status: number; text: string; etag: string | null; lastModified: string | null }> => {
    const ac = new AbortController();
    inflight = ac;
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (conditional && etag) headers['if-none-match'] = etag;
    if (conditional && lastModified) headers['if-modified-since'] = lastModified;
    try {
      const res = await fetch(url, { headers, signal: ac.signal });
      if (res.status === 304) {
        await res.body?.cancel();
        if (!conditional || (!etag && !lastModified)) throw new BundleFormatError('the server answered 304 Not Modified to a request that had no validators', { file: url });
        return { status: 304, text: '', etag: null, lastModified: null };
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new BundleFormatError(`fetching the bundle failed: HTTP ${res.status}`, { file: url });
      }
      const len = Number(res.headers.get('content-length') ?? NaN);
      if (Number.isFinite(len) && len > MAX_BUNDLE_BYTES) {
        await res.body?.cancel();
        throw new BundleFormatError(`bundle is larger than ${MAX_BUNDLE_BYTES} bytes`, { file: url });
      }
      const text = await res.text();
      if (text.length > MAX_BUNDLE_BYTES) throw new BundleFormatError(`bundle is larger than ${MAX_BUNDLE_BYTES} bytes`, { file: url });
      return { status: res.status, text, etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') };
    } catch (e) {
      if (e instanceof BundleFormatError) throw e;
      const why = ac.signal.aborted ? `no answer within ${timeoutMs} ms` : ((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message);
      throw new BundleFormatError(`fetching the bundle failed: ${why}`, { file: url });
    } finally {
      clearTimeout(timer);
      if (inflight === ac) inflight = undefined;
    }
  };
  return {
    label: url,
    async first() {
      const r = await get(false);
      etag = r.etag;
      lastModified = r.lastModified;
      return r.text;
    },
    async poll() {
      const r = await get(true);
      if (r.status === 304) return { changed: false };
      return {
        changed: true,
        text: r.text,
        commit: () => {
          etag = r.etag;
          lastModified = r.lastModified;
        },
      };
    },
    abort() {
      inflight?.abort();
    },
  };
}

/** A refreshed bundle may not send keys anywhere the start-up bundle did not. */
function providerChange(start: CheckedBundle, next: CheckedBundle): string | null {
  for (const [name, p] of Object.entries(next.providers)) {
    const was = own(start.providers, name);
    if (!was) return `adds provider "${name}"`;
    for (const k of ['type', 'base_url', 'api_key_env'] as const) {
      if ((was[k] ?? null) !== (p[k] ?? null)) return `changes the ${k} of provider "${name}"`;
    }
  }
  return null;
}

function versions(b: CheckedBundle): Map<string, { version: string; rollout: { version: string; weight: number } | null }> {
  const m = new Map<string, { version: string; rollout: { version: string; weight: number } | null }>();
  for (const [id, e] of b.entries) m.set(id, { version: e.version, rollout: e.rollout ? { version: e.rollout.candidate.version, weight: e.rollout.weight } : null });
  return m;
}

export async function openRefreshing(input: string | URL, opts: LoadBundleOptions): Promise<PromptSet> {
  const http = isHttpSource(input);
  const where = typeof input === 'string' ? input : input.href;
  const timeoutMs = opts.refresh?.timeoutMs ?? 10_000;
  const source = http ? httpSource(where, timeoutMs) : fileSource(typeof input === 'string' ? input : fileURLToPath(input));
  const firstText = await source.first();
  const start = checkBundle(parseBundleText(firstText, source.label), opts, source.label);
  let currentBundle = start;
  let currentDigest = sha256(firstText);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const close = (): void => {
    closed = true;
    if (timer) clearTimeout(timer);
    source.abort();
  };
  let current = makeBundleSet(start, opts, close);
  // what the app holds: every call goes to the bundle in force at that moment
  const live: PromptSet = Object.freeze({
    get env() {
      return current.env;
    },
    get origin() {
      return current.origin;
    },
    get commit() {
      return current.commit;
    },
    get: ((id: string, o?: GetOptions) => current.get(id, o)) as PromptSet['get'],
    has: (id: string) => current.has(id),
    ids: () => current.ids(),
    list: () => current.list(),
    close,
  });
  if (!opts.refresh) return live;
  const interval = Math.max(10, opts.refresh.intervalMs);

  const report = (e: unknown): void => {
    try {
      opts.onError?.(e instanceof Error ? e : new Error(String(e)));
    } catch {}
  };
  const tick = async (): Promise<void> => {
    let poll: Poll;
    try {
      poll = await source.poll();
    } catch (e) {
      if (!closed) report(e);
      return;
    }
    if (closed || !poll.changed) return;
    const digest = sha256(poll.text);
    if (digest === currentDigest) {
      poll.commit();
      return;
    }
    let next: CheckedBundle;
    try {
      next = checkBundle(parseBundleText(poll.text, source.label), { verify: 'full' }, source.label);
      if (next.env !== start.env) throw new IntegrityError(`the refreshed bundle is for environment "${next.env}", not "${start.env}"; refused`, { file: source.label });
      const change = opts.refresh?.allowProviderChanges ? null : providerChange(start, next);
      if (change) {
        throw new IntegrityError(`the refreshed bundle ${change}; refused: keys only go where the bundle loaded at start-up sends them`, {
          file: source.label,
          hint: 'restart the application to deploy provider changes, or set refresh.allowProviderChanges',
        });
      }
    } catch (e) {
      report(e);
      return;
    }
    if (closed) return;
    const before = versions(currentBundle);
    const after = versions(next);
    const previousCommit = currentBundle.commit;
    current = makeBundleSet(next, opts, close);
    currentBundle = next;
    currentDigest = digest;
    poll.commit();
    const changed: BundleUpdate['changed'] = [];
    for (const id of [...new Set([...before.keys(), ...after.keys()])].sort()) {
      const from = before.get(id)?.version ?? null;
      const to = after.get(id)?.version ?? null;
      const rFrom = before.get(id)?.rollout ?? null;
      const rTo = after.get(id)?.rollout ?? null;
      const rolloutChanged = rFrom?.version !== rTo?.version || rFrom?.weight !== rTo?.weight;
      if (from !== to || rolloutChanged) changed.push({ id, from, to, ...(rolloutChanged ? { rollout: { from: rFrom, to: rTo } } : {}) });
    }
    try {
      opts.onUpdate?.({ prompts: live, commit: next.commit, previousCommit, changed });
    } catch {}
  };
  const schedule = (): void => {
    if (closed) return;
    timer = setTimeout(() => {
      void tick().finally(schedule);
    }, interval);
    timer.unref();
  };
  schedule();
  return live;
}
