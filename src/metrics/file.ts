/**
 * Per-arm metrics of a rollout from a JSON file (`rollout check --metrics <file.json>`, SPEC §12):
 *
 *   { "arms": { "<version>": { "requests", "errors", "p95_latency_ms", "cost_usd", "quality" } } }
 *
 * Every field optional; numbers only (non-negative except quality). A version missing from the
 * file is "no data" for that arm. Anything else is exit 2 naming the problem. Bounded in size.
 */
import * as fs from 'node:fs';
import { UsageError } from '../errors.js';
import type { MeasuredArm } from '../core/rollout-check.js';

const MAX_BYTES = 1024 * 1024;
const FIELDS = ['requests', 'errors', 'p95_latency_ms', 'cost_usd', 'quality'] as const;

export function readMetricsFile(file: string, display: string, versions: { stable: string; candidate: string }): { stable: MeasuredArm | null; candidate: MeasuredArm | null; source: string } {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new UsageError(`--metrics ${display} is not a file`);
    if (st.size > MAX_BYTES) throw new UsageError(`--metrics ${display} is larger than ${MAX_BYTES} bytes`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read --metrics ${display} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--metrics ${display} is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const bad = (what: string): UsageError => new UsageError(`--metrics ${display}: ${what}`, { hint: 'expected { "arms": { "<version>": { "requests": n, "errors": n, "p95_latency_ms": n, "cost_usd": n, "quality": n } } }' });
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObj(value) || !isObj(value.arms)) throw bad('no "arms" object');
  const arms = value.arms;
  const arm = (version: string): MeasuredArm | null => {
    if (!Object.hasOwn(arms, version)) return null;
    const a = arms[version];
    if (!isObj(a)) throw bad(`arms["${version}"] is not an object`);
    for (const k of Object.keys(a)) if (!(FIELDS as readonly string[]).includes(k)) throw bad(`arms["${version}"] has an unknown field "${k}" (fields: ${FIELDS.join(', ')})`);
    const out: MeasuredArm = { requests: null, errors: null, p95_latency_ms: null, cost_usd: null, quality: null };
    for (const k of FIELDS) {
      const v = a[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || (k !== 'quality' && v < 0)) throw bad(`arms["${version}"].${k} must be a ${k === 'quality' ? '' : 'non-negative '}number`);
      out[k] = v;
    }
    if (out.requests !== null && out.errors !== null && out.errors > out.requests) throw bad(`arms["${version}"] has more errors (${out.errors}) than requests (${out.requests})`);
    return out;
  };
  return { stable: arm(versions.stable), candidate: arm(versions.candidate), source: `file ${display}` };
}
