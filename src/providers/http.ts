/**
 * HTTP for providers: one JSON POST with a per-request timeout, error classification (what is
 * worth retrying, what is fatal), Retry-After parsing, and the backoff/retry loop with
 * exponential backoff and full jitter. Every text that came from the server is redacted of the
 * API key over its WHOLE length before anything is cut from it, so no fragment of a key survives
 * a truncation.
 */
import { ProviderError } from './types.js';

/** Consecutive characters of a secret that count as a leak of it: a server may echo part of a key. */
export const SECRET_FRAGMENT = 8;

/** The spellings of a secret a server may send back: as is, JSON-escaped, URL-encoded. */
function spellings(secret: string): string[] {
  const out = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  // every character as a JSON \u escape, upper and lower case hex
  const u = [...secret].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
  out.add(u);
  out.add(u.toUpperCase().replace(/\\U/g, '\\u'));
  return [...out];
}

/**
 * Replaces every occurrence of a secret with "***" (secrets shorter than 4 chars are ignored):
 * the secret as is, JSON-escaped or URL-encoded, and any run of SECRET_FRAGMENT or more of
 * its consecutive characters (a partial echo such as "sk-abc…wxyz" that kept 8 in a row).
 * Callers redact the WHOLE text, and again after decoding it (JSON.parse turns `\u0073k-…`
 * into the key), before anything is cut from it.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length < 4) continue;
    for (const form of spellings(s)) if (out.includes(form)) out = out.split(form).join('***');
    if (s.length > SECRET_FRAGMENT) out = redactFragments(out, s);
  }
  return out;
}

/** Every run of >= SECRET_FRAGMENT consecutive characters of `secret` in `text`, as "***" (one indexOf scan per fragment). */
function redactFragments(text: string, secret: string): string {
  const marks: [number, number][] = [];
  for (let i = 0; i + SECRET_FRAGMENT <= secret.length; i++) {
    const frag = secret.slice(i, i + SECRET_FRAGMENT);
    for (let at = text.indexOf(frag); at !== -1; at = text.indexOf(frag, at + 1)) marks.push([at, at + SECRET_FRAGMENT]);
  }
  if (marks.length === 0) return text;
  marks.sort((a, b) => a[0] - b[0]);
  let out = '';
  let pos = 0;
  let [start, end] = marks[0]!;
  for (const [a, b] of marks.slice(1)) {
    if (a <= end) end = Math.max(end, b);
    else {
      out += `${text.slice(pos, start)}***`;
      pos = end;
      [start, end] = [a, b];
    }
  }
  return `${out}${text.slice(pos, start)}***${text.slice(end)}`;
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

export const MAX_RETRY_AFTER_MS = 120_000;
const MAX_BACKOFF_MS = 30_000;
/** A provider reply larger than this is refused (bounded memory, SPEC §11). */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface PostOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  secrets: readonly string[];
  /** e.g. 'provider "openai"' for messages */
  label: string;
}

function truncate(t: string, n: number): string {
  return t.length > n ? `${t.slice(0, n)}…` : t;
}

/**
 * The message inside a provider's error body, redacted and shortened for one line. The body is
 * redacted as a whole first, and the message again once JSON.parse has decoded its escapes
 * (a key sent back as `\u0073\u006b-…` is only the key after decoding) — each time before it is cut.
 */
function errorText(body: string, secrets: readonly string[]): string {
  const raw = redact(body, secrets);
  try {
    const j = JSON.parse(raw) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof j.error === 'string' ? j.error : j.error && typeof j.error.message === 'string' ? j.error.message : typeof j.message === 'string' ? j.message : undefined;
    if (m !== undefined) return truncate(redact(unescapeEchoes(m), secrets), 500);
  } catch {}
  return truncate(redact(unescapeEchoes(raw).replace(/\s+/g, ' ').trim(), secrets), 200);
}

/**
 * JSON `\uXXXX` / `\"` and URL `%XX` escapes decoded, for text we are about to show: a key sent
 * back with every few characters escaped reads as the key again, and is redacted as such.
 */
function unescapeEchoes(text: string): string {
  if (!text.includes('\\') && !text.includes('%')) return text;
  return text
    .replace(/\\u([0-9a-fA-F]{4})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/\\(["\\/])/g, '$1')
    .replace(/%([0-9a-fA-F]{2})/g, (m, h: string) => (parseInt(h, 16) < 0x80 ? String.fromCharCode(parseInt(h, 16)) : m));
}

/** A URL for messages: userinfo (user:password@) is never printed (SPEC §11). */
export function displayUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');
}

/**
 * A base_url's userinfo (`http://user:pass@host/v1`) taken out of the URL: the URL without it
 * (what is fetched, shown, cached and traced) and the credentials, sent as HTTP Basic auth and
 * redacted from everything the server sends back. fetch() itself refuses URLs with credentials.
 */
export function splitUserinfo(url: string): { url: string; basic?: string; secrets: string[] } {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i.exec(url);
  if (!m) return { url, secrets: [] };
  const info = m[2]!;
  const colon = info.indexOf(':');
  const dec = (x: string): string => {
    try {
      return decodeURIComponent(x);
    } catch {
      return x;
    }
  };
  const user = dec(colon === -1 ? info : info.slice(0, colon));
  const pass = colon === -1 ? '' : dec(info.slice(colon + 1));
  const basic = Buffer.from(`${user}:${pass}`).toString('base64');
  return { url: m[1]! + url.slice(m[0].length), basic, secrets: [info, `${user}:${pass}`, pass, basic].filter((x) => x.length >= 4) };
}

function statusHint(status: number, url: string): string {
  if (status === 401) return 'the API key was rejected: check the key in the environment variable named by api_key_env';
  if (status === 403) return 'the API key is not allowed to use this model or endpoint';
  if (status === 404) return `not found: check the model name and the provider's base_url (${url})`;
  if (status === 400) return 'the provider rejected the request: check the model parameters';
  return '';
}

/**
 * Reads the body as it streams in, refusing more than `max` bytes: a server that sends an
 * endless or huge body (with or without content-length) is cut off at the limit, so memory
 * stays bounded whatever it sends.
 */
export async function readBody(res: Response, max: number = MAX_RESPONSE_BYTES): Promise<string> {
  const len = Number(res.headers.get('content-length') ?? NaN);
  const tooLarge = (): RangeError => new RangeError(`the response is larger than ${max} bytes (${max / 1024 / 1024} MiB); refused`);
  if (Number.isFinite(len) && len > max) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    parts.push(decoder.decode(value, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join('');
}

const aborted = (): ProviderError => new ProviderError('interrupted', { retryable: false, kind: 'aborted' });

/** POSTs JSON and returns the parsed JSON body, or throws a classified ProviderError. */
export async function postJson(url: string, headers: Record<string, string>, body: unknown, opts: PostOptions): Promise<unknown> {
  if (opts.signal?.aborted) throw aborted();
  const shown = displayUrl(url);
  // one controller and one timer per request, both released when it ends: AbortSignal.timeout
  // would keep a timer (and its signal) alive for timeout_ms after every fast call
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, opts.timeoutMs);
  const onAbort = (): void => ac.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: JSON.stringify(body), signal: ac.signal });
    text = await readBody(res);
  } catch (e) {
    if (opts.signal?.aborted) throw aborted();
    if (timedOut) throw new ProviderError(`${opts.label}: no response within ${opts.timeoutMs} ms (timeout_ms)`, { retryable: true, kind: 'timeout' });
    if (e instanceof RangeError) throw new ProviderError(`${opts.label}: ${e.message}`, { retryable: false, kind: 'format' });
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const code = err.cause?.code ?? '';
    const detail = redact(code || err.cause?.message || err.message, opts.secrets);
    const fatal = code === 'ENOTFOUND' || code === 'ERR_INVALID_URL';
    // nothing listens there (refused) or the connection died mid-way: say what that means
    const why = fatal
      ? '; check base_url'
      : code === 'ECONNREFUSED'
        ? ': the server is down (nothing accepts connections at that address); check that it runs, or base_url'
        : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET'
          ? ': the server closed the connection without replying'
          : '';
    throw new ProviderError(`${opts.label}: network error talking to ${shown} (${detail})${why}`, { retryable: !fatal, fatal, kind: 'network' });
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
  if (!res.ok) {
    const msg = errorText(text, opts.secrets);
    const status = res.status;
    const hint = statusHint(status, shown);
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
    const t = truncate(redact(unescapeEchoes(redact(text, opts.secrets)), opts.secrets).replace(/\s+/g, ' '), 80);
    throw new ProviderError(`${opts.label}: the response is not valid JSON ("${t}")`, { retryable: true, kind: 'format' });
  }
}

export interface RetryOptions {
  retries: number;
  /** first backoff step; doubles each attempt */
  baseMs?: number;
  signal?: AbortSignal;
  /** called before each wait, for --verbose progress and span events */
  onRetry?: (err: ProviderError, attempt: number, waitMs: number) => void;
  /** called before every attempt (1-based); throwing stops the loop with that error (the runtime's breaker) */
  beforeAttempt?: (attempt: number) => void;
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
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const base = opts.baseMs ?? 250;
  for (let attempt = 0; ; attempt++) {
    opts.beforeAttempt?.(attempt + 1);
    try {
      return await fn(attempt + 1);
    } catch (e) {
      if (!(e instanceof ProviderError) || !e.retryable || attempt >= opts.retries || opts.signal?.aborted) throw e;
      const wait = backoffMs(attempt, e, base, opts.random);
      opts.onRetry?.(e, attempt + 1, wait);
      await sleep(wait, opts.signal);
      if (opts.signal?.aborted) throw aborted();
    }
  }
}
