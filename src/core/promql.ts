/**
 * The PromQL of `rollout check` (SPEC §12): the configured query per metric with `{{id}}`,
 * `{{version}}`, `{{env}}` and `{{window}}` filled in as DATA, never by evaluating a template.
 * The query text is scanned like PromQL's lexer does (strings in "…", '…' or `…`, comments):
 * a value placed inside a quoted string is escaped for that string (backslash and the quote),
 * `{{window}}` is a duration checked against PromQL's duration syntax, and anything else
 * (an unknown placeholder, an id outside a string, a value a raw `…` string cannot hold) is a
 * configuration error. Pure.
 */

export type QueryMetric = 'requests' | 'errors' | 'p95_latency_ms' | 'cost_usd' | 'quality';

export const QUERY_METRICS: readonly QueryMetric[] = ['requests', 'errors', 'p95_latency_ms', 'cost_usd', 'quality'];

const ARM = 'prompt_id="{{id}}",prompt_version="{{version}}",env="{{env}}"';

/**
 * Over what run() exports (`@opentelemetry/exporter-prometheus`): the request counter, the
 * latency histogram (seconds) and the cost counter, per prompt, version and environment.
 * `quality` has no default (it is the app's own metric).
 */
export const DEFAULT_QUERIES: Readonly<Partial<Record<QueryMetric, string>>> = {
  requests: `sum(increase(promptrail_requests_total{${ARM}}[{{window}}]))`,
  errors: `sum(increase(promptrail_requests_total{${ARM},outcome!="ok"}[{{window}}]))`,
  p95_latency_ms: `1000 * histogram_quantile(0.95, sum by (le) (rate(promptrail_request_duration_bucket{${ARM}}[{{window}}])))`,
  cost_usd: `sum(increase(promptrail_cost_total{${ARM}}[{{window}}]))`,
};

export interface QueryValues {
  id: string;
  version: string;
  env: string;
  window: string;
}

/** PromQL's duration: one or more <number><unit>, e.g. 90s, 1h30m. */
export const PROMQL_DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;

export class QueryTemplateError extends Error {}

const PLACEHOLDER = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/;

/** `value` as the content of a PromQL string opened with `quote` (`"` or `'`): backslash and that quote escaped, control characters as \x escapes. */
export function escapePromqlString(value: string, quote: '"' | "'"): string {
  let out = '';
  for (const ch of value) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch < ' ' || ch === '\x7f') out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/** The query with its placeholders filled in, or a QueryTemplateError saying what is wrong with the template. */
export function fillQuery(template: string, v: QueryValues): string {
  if (!PROMQL_DURATION.test(v.window)) throw new QueryTemplateError(`window "${v.window}" is not a PromQL duration (e.g. 30m, 1h, 1h30m)`);
  let out = '';
  let quote: '"' | "'" | '`' | null = null;
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if (ch === '{' && template[i + 1] === '{') {
      const m = PLACEHOLDER.exec(template.slice(i));
      const name = m?.[1];
      if (!m || (name !== 'id' && name !== 'version' && name !== 'env' && name !== 'window')) {
        throw new QueryTemplateError(`unknown placeholder ${m ? m[0] : '"{{"'} at character ${i + 1}; the placeholders are {{id}}, {{version}}, {{env}} and {{window}}`);
      }
      out += filled(name, v, quote);
      i += m[0].length;
      continue;
    }
    if (quote === null) {
      if (ch === '"' || ch === "'" || ch === '`') quote = ch;
      else if (ch === '#') {
        // a comment runs to the end of the line: copied, placeholders in it stay unfilled text
        const end = template.indexOf('\n', i);
        const stop = end === -1 ? template.length : end;
        out += template.slice(i, stop);
        i = stop;
        continue;
      }
    } else if (ch === '\\' && quote !== '`') {
      out += template.slice(i, i + 2);
      i += 2;
      continue;
    } else if (ch === quote) quote = null;
    out += ch;
    i++;
  }
  if (quote !== null) throw new QueryTemplateError(`a string opened with ${quote} is never closed`);
  return out;
}

function filled(name: 'id' | 'version' | 'env' | 'window', v: QueryValues, quote: '"' | "'" | '`' | null): string {
  const value = v[name];
  if (name === 'window') {
    // checked above: digits and unit letters only, the same in any context
    return value;
  }
  if (quote === null) throw new QueryTemplateError(`{{${name}}} must be inside a quoted string (a label value, e.g. prompt_id="{{id}}")`);
  if (quote === '`') {
    if (value.includes('`')) throw new QueryTemplateError(`{{${name}}} is inside a raw \`…\` string, which cannot hold its value; use "…"`);
    return value;
  }
  return escapePromqlString(value, quote);
}

/** Every query of an arm: the configured ones over the defaults. */
export function armQueries(configured: Partial<Record<QueryMetric, string>> | undefined, v: QueryValues): Partial<Record<QueryMetric, string>> {
  const out: Partial<Record<QueryMetric, string>> = {};
  for (const m of QUERY_METRICS) {
    const t = configured?.[m] ?? DEFAULT_QUERIES[m];
    if (t !== undefined) {
      try {
        out[m] = fillQuery(t, v);
      } catch (e) {
        if (e instanceof QueryTemplateError) throw new QueryTemplateError(`query "${m}": ${e.message}`);
        throw e;
      }
    }
  }
  return out;
}
