/**
 * HTTP for providers: one JSON POST with a per-request timeout, error classification (what is
 * worth retrying, what is fatal for the whole run), Retry-After parsing, and a retry loop with
 * exponential backoff and full jitter. Every text that came from the server is redacted of the
 * API key before it is used in a message.
 */
import { ProviderError } from './providers/types.js';

/** Replaces every occurrence of a secret with "***" (secrets shorter than 4 chars are ignored). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length >= 4 && out.includes(s)) out = out.split(s).join('***');
  }
  return out;
}

/** Parses Retry-After (delta seconds or an HTTP date) and retry-after-ms into milliseconds. */
export function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(ra)) return Math.round(Number(ra) * 1000);
  const date = Date.parse(ra);
  if (Number.isFinite(date)) return Math.max(0, date - now);
  return undefined;
}

const MAX_RETRY_AFTER_MS = 120_000;
const MAX_BACKOFF_MS = 30_000;

export interface PostOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  secrets: readonly string[];
  /** e.g. "openai provider \"openai\"" for messages */
  label: string;
}

function errorText(body: string): string {
  try {
    const j = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof j.error === 'string') return j.error;
    if (j.error && typeof j.error.message === 'string') return j.error.message;
    if (typeof j.message === 'string') return j.message;
  } catch {}
  const t = body.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}

function statusHint(status: number, url: string): string {
  if (status === 401) return 'the API key was rejected: check the key in the environment variable named by api_key_env';
  if (status === 403) return 'the API key is not allowed to use this model or endpoint';
  if (status === 404) return `not found: check the model name and the provider's base_url (${url})`;
  if (status === 400) return 'the provider rejected the request: check the model parameters';
  return '';
}

/** POSTs JSON and returns the parsed JSON body, or throws a classified ProviderError. */
export async function postJson(url: string, headers: Record<string, string>, body: unknown, opts: PostOptions): Promise<unknown> {
  if (opts.signal?.aborted) throw new ProviderError('interrupted', { retryable: false, kind: 'aborted' });
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: JSON.stringify(body), signal });
    text = await res.text();
  } catch (e) {
    if (opts.signal?.aborted) throw new ProviderError('interrupted', { retryable: false, kind: 'aborted' });
    if (timeout.aborted) throw new ProviderError(`${opts.label}: no response within ${opts.timeoutMs} ms (timeout_ms)`, { retryable: true, kind: 'timeout' });
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const code = err.cause?.code ?? '';
    const detail = redact(code || err.cause?.message || err.message, opts.secrets);
    const fatal = code === 'ENOTFOUND' || code === 'ERR_INVALID_URL';
    throw new ProviderError(`${opts.label}: network error talking to ${url} (${detail})${fatal ? '; check base_url' : ''}`, { retryable: !fatal, fatal, kind: 'network' });
  }
  if (!res.ok) {
    const msg = redact(errorText(text), opts.secrets);
    const status = res.status;
    const hint = statusHint(status, url);
    const retryable = status === 429 || status === 408 || status >= 500;
    const fatal = status === 401 || status === 403 || status === 404;
    throw new ProviderError(`${opts.label}: HTTP ${status}${msg ? `: ${msg}` : ''}${hint ? ` (${hint})` : ''}`, {
      status,
      retryable,
      fatal,
      retryAfterMs: retryAfterMs(res.headers),
      kind: 'http',
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const t = redact(text.slice(0, 80), opts.secrets).replace(/\s+/g, ' ');
    throw new ProviderError(`${opts.label}: the response is not valid JSON ("${t}${text.length > 80 ? '…' : ''}")`, { retryable: true, kind: 'format' });
  }
}

export interface RetryOptions {
  retries: number;
  /** first backoff step; doubles each attempt */
  baseMs?: number;
  signal?: AbortSignal;
  /** called before each wait, for --verbose progress */
  onRetry?: (err: ProviderError, attempt: number, waitMs: number) => void;
  /** injectable for tests */
  random?: () => number;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The wait before retry number `attempt` (0-based): Retry-After when given, else full-jitter exponential backoff. */
export function backoffMs(attempt: number, err: ProviderError, baseMs: number, random: () => number = Math.random): number {
  if (err.opts.retryAfterMs !== undefined) return Math.min(err.opts.retryAfterMs, MAX_RETRY_AFTER_MS);
  const cap = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** attempt);
  return Math.round(cap / 2 + random() * (cap / 2));
}

/** Runs `fn`, retrying retryable ProviderErrors up to `retries` times. */
export async function withRetries<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const base = opts.baseMs ?? 250;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof ProviderError) || !e.retryable || attempt >= opts.retries || opts.signal?.aborted) throw e;
      const wait = backoffMs(attempt, e, base, opts.random);
      opts.onRetry?.(e, attempt + 1, wait);
      await sleep(wait, opts.signal);
      if (opts.signal?.aborted) throw new ProviderError('interrupted', { retryable: false, kind: 'aborted' });
    }
  }
}
