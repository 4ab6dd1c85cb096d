/**
 * Per-arm metrics of a rollout from the Prometheus HTTP API (`GET /api/v1/query`): each
 * configured query, filled in for the arm (core/promql.ts), evaluated as an instant query. A query
 * must give one sample (a scalar or a one-series vector); an empty vector is "no data" (0 for the
 * counters requests, errors and cost_usd: nothing happened); NaN (a quantile of nothing) is no
 * data. Responses are bounded in size and time. Userinfo in the URL becomes a Basic
 * Authorization header and is never printed.
 */
import { UsageError } from '../errors.js';
import type { MeasuredArm } from '../core/rollout-check.js';
import type { QueryMetric } from '../core/promql.js';
import { displayUrl, readBody } from '../providers/http.js';

const MAX_BYTES = 1024 * 1024;
const COUNTERS: readonly QueryMetric[] = ['requests', 'errors', 'cost_usd'];

export interface PrometheusOptions {
  url: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

interface Endpoint {
  base: string;
  headers: Record<string, string>;
  display: string;
}

function endpoint(url: string): Endpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`the Prometheus URL "${displayUrl(url)}" is not a URL`, { hint: 'e.g. --prometheus http://127.0.0.1:9090' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`the Prometheus URL must be http(s), not ${u.protocol}`);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (u.username || u.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  const base = u.href.replace(/\/+$/, '');
  return { base, headers, display: base };
}

/** One instant query's single value (null: no data). Throws UsageError naming the problem. */
export async function instantQuery(ep: Endpoint, query: string, o: PrometheusOptions, what: string): Promise<number | null> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), o.timeoutMs);
  const onAbort = (): void => ac.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  let text: string;
  let status: number;
  try {
    const res = await fetch(`${ep.base}/api/v1/query?${new URLSearchParams({ query })}`, { headers: ep.headers, signal: ac.signal, redirect: 'error' });
    status = res.status;
    text = await readBody(res, MAX_BYTES);
  } catch (e) {
    const why = ac.signal.aborted ? `no answer within ${o.timeoutMs} ms` : e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    throw new UsageError(`cannot query Prometheus at ${ep.display} for ${what}: ${why}`, { hint: 'check --prometheus / metrics.prometheus.url, or pass --metrics <file.json>' });
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new UsageError(`Prometheus at ${ep.display} answered ${what} with HTTP ${status} and no JSON`, { hint: 'is this the Prometheus server (its HTTP API under /api/v1)?' });
  }
  const b = body as { status?: unknown; error?: unknown; errorType?: unknown; data?: { resultType?: unknown; result?: unknown } };
  if (b.status !== 'success') {
    const err = typeof b.error === 'string' ? b.error.slice(0, 300) : `HTTP ${status}`;
    throw new UsageError(`Prometheus refused the query for ${what}: ${err}`, { hint: `the query was: ${query}` });
  }
  const type = b.data?.resultType;
  const result = b.data?.result;
  if (type === 'scalar') return sample(result, what);
  if (type !== 'vector' || !Array.isArray(result)) throw new UsageError(`the query for ${what} gave a ${String(type)}, not one value`, { hint: `aggregate it to one series (sum(…)): ${query}` });
  if (result.length === 0) return null;
  if (result.length > 1) throw new UsageError(`the query for ${what} gave ${result.length} series, not one`, { hint: `aggregate it (sum(…), histogram_quantile(…, sum by (le) (…))): ${query}` });
  return sample((result[0] as { value?: unknown }).value, what);
}

function sample(v: unknown, what: string): number | null {
  if (!Array.isArray(v) || typeof v[1] !== 'string') throw new UsageError(`Prometheus gave a malformed sample for ${what}`);
  const n = Number(v[1]);
  return Number.isFinite(n) ? n : null;
}

/** Both arms' metrics: every query of each arm, all at once. `queries` per arm as filled in by core/promql.ts. */
export async function prometheusArms(
  o: PrometheusOptions,
  arms: { stable: { version: string; queries: Partial<Record<QueryMetric, string>> }; candidate: { version: string; queries: Partial<Record<QueryMetric, string>> } },
): Promise<{ stable: MeasuredArm; candidate: MeasuredArm; source: string }> {
  const ep = endpoint(o.url);
  const one = async (arm: { version: string; queries: Partial<Record<QueryMetric, string>> }): Promise<MeasuredArm> => {
    const out: MeasuredArm = { requests: null, errors: null, p95_latency_ms: null, cost_usd: null, quality: null };
    await Promise.all(
      (Object.entries(arm.queries) as [QueryMetric, string][]).map(async ([metric, q]) => {
        const v = await instantQuery(ep, q, o, `${metric} of ${arm.version}`);
        out[metric] = v === null && COUNTERS.includes(metric) ? 0 : v;
      }),
    );
    return out;
  };
  const [stable, candidate] = await Promise.all([one(arms.stable), one(arms.candidate)]);
  return { stable, candidate, source: `prometheus ${ep.display}` };
}
