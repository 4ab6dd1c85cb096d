/**
 * The bytes of an environment file (SPEC §4), as promote and rollback write it: a stable,
 * hand-emitted YAML serialization (same input, same bytes: diffs in review show only what
 * changed). Known keys first in their documented order, flow mappings for history entries,
 * plain scalars only where every YAML reader reads back the same string.
 */
import type { Approval, EnvironmentFile, EnvPin, EvalSummary, HistoryEntry, RolloutState } from '../core/types.js';

export const ENV_HEADER = '# Written by `prompts promote` and `prompts rollback`. Do not edit by hand.';

export const PIN_KEYS = ['version', 'sha256', 'deps', 'previous', 'promoted_at', 'promoted_by', 'reason', 'eval', 'rollout', 'history'] as const;
export const ENTRY_KEYS = ['action', 'version', 'from', 'weight', 'previous', 'sha256', 'deps', 'at', 'by', 'reason', 'eval', 'skip_eval', 'prev', 'digest'] as const;
export const ROLLOUT_KEYS = ['version', 'sha256', 'deps', 'weight', 'salt', 'stages', 'started_at', 'started_by', 'updated_at', 'eval'] as const;
export const APPROVAL_KEYS = ['by', 'at', 'sha256', 'reason'] as const;
export const EVAL_KEYS = ['pass_rate', 'passed', 'cases', 'suite_sha256', 'regressions', 'provider', 'model', 'skipped', 'report_sha256', 'shards'] as const;

// No ':' in plain scalars: timestamps stay quoted so YAML 1.1 readers (js-yaml, PyYAML) read strings too.
export const PLAIN = /^[A-Za-z0-9_][A-Za-z0-9._/+-]*$/;
export const NOT_STRING = [
  /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/,
  /^[-+]?[0-9_]+(\.[0-9_]*)?$/,
  /^(y|Y|n|N|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$/,
  /^0x[0-9a-fA-F]+$/,
  /^0o[0-7]+$/,
  /^(true|false|null|True|False|Null|TRUE|FALSE|NULL|~)$/,
  /^[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$/,
];

/** A YAML 1.2 scalar for a string: plain when that reads back as the same string, else JSON-quoted. */
const scalarCache = new Map<string, string>();
export function yamlString(s: string): string {
  let out = scalarCache.get(s);
  if (out === undefined) {
    out = PLAIN.test(s) && !NOT_STRING.some((r) => r.test(s)) ? s : JSON.stringify(s);
    // env files repeat the same dates, names and versions thousands of times
    if (scalarCache.size < 50_000) scalarCache.set(s, out);
  }
  return out;
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return yamlString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return flow(v);
}

/** Known keys first in their documented order, then any others sorted (forward compatible). */
function orderedKeys(o: object, known: readonly string[]): string[] {
  const r = o as Record<string, unknown>;
  const out: string[] = [];
  for (const k of known) if (r[k] !== undefined) out.push(k);
  let n = 0;
  for (const k in r) if (r[k] !== undefined) n++;
  if (n === out.length) return out;
  return [...out, ...Object.keys(r).filter((k) => r[k] !== undefined && !known.includes(k)).sort()];
}

function flow(v: unknown, known: readonly string[] = []): string {
  if (Array.isArray(v)) return `[${v.map((x) => scalar(x)).join(', ')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = orderedKeys(o, known);
    if (keys.length === 0) return '{}';
    return `{ ${keys.map((k) => `${yamlString(k)}: ${k === 'eval' ? flow(o[k], EVAL_KEYS) : scalar(o[k])}`).join(', ')} }`;
  }
  return scalar(v);
}

function evalFlow(e: EvalSummary): string {
  return flow(e, EVAL_KEYS);
}

function entryFlow(h: HistoryEntry): string {
  return flow(h, ENTRY_KEYS);
}

/**
 * Text of each pin's block, by pin object: pins are never mutated (promote/rollback build new
 * ones), so when a file is read (fastParseEnv records each pin's source lines) and written back,
 * the 999 untouched pins of a 1,000-pin file keep their exact bytes and cost nothing.
 */
const blockCache = new WeakMap<EnvPin, { id: string; text: string }>();

/** Records the source text of a pin block just read (env-fast-parse), so writing it back reuses it. */
export function rememberPinBlock(pin: EnvPin, id: string, text: string): void {
  blockCache.set(pin, { id, text });
}

function pinBlock(id: string, pin: EnvPin): string {
  const hit = blockCache.get(pin);
  if (hit && hit.id === id) return hit.text;
  const out: string[] = [`  ${yamlString(id)}:`];
  for (const k of orderedKeys(pin, PIN_KEYS)) {
    const v = (pin as unknown as Record<string, unknown>)[k];
    if (k === 'history') {
      const h = v as HistoryEntry[];
      if (h.length === 0) out.push('    history: []');
      else {
        out.push('    history:');
        for (const e of h) out.push(`      - ${entryFlow(e)}`);
      }
    } else if (k === 'eval') {
      out.push(`    eval: ${evalFlow(v as EvalSummary)}`);
    } else if (k === 'rollout') {
      // a block of its own lines: a change of weight is one changed line in review
      const r = v as RolloutState;
      out.push('    rollout:');
      for (const rk of orderedKeys(r, ROLLOUT_KEYS)) {
        const rv = (r as unknown as Record<string, unknown>)[rk];
        out.push(`      ${yamlString(rk)}: ${rk === 'eval' ? evalFlow(rv as EvalSummary) : scalar(rv)}`);
      }
    } else {
      out.push(`    ${yamlString(k)}: ${scalar(v)}`);
    }
  }
  const text = out.join('\n');
  blockCache.set(pin, { id, text });
  return text;
}

/**
 * The environment file's bytes: header comment, `environment`, pins sorted by prompt id, then
 * the approvals (SPEC §15) by "<id>@<version>" sorted, each list oldest first. A file with
 * approvals is not the one-pin layout (env-canonical.ts) nor the fast reader's: it is read by
 * the full YAML reader and the schema, and changed as a whole file.
 */
export function serializeEnv(env: EnvironmentFile): string {
  const out: string[] = [ENV_HEADER, `environment: ${yamlString(env.environment)}`];
  const ids = Object.keys(env.prompts).sort();
  if (ids.length === 0) out.push('prompts: {}');
  else {
    out.push('prompts:');
    for (const id of ids) out.push(pinBlock(id, env.prompts[id] as EnvPin));
  }
  const keys = Object.keys(env.approvals ?? {}).filter((k) => (env.approvals![k]?.length ?? 0) > 0).sort();
  if (keys.length > 0) {
    out.push('approvals:');
    for (const k of keys) {
      out.push(`  ${yamlString(k)}:`);
      for (const a of env.approvals![k] as Approval[]) out.push(`    - ${flow(a, APPROVAL_KEYS)}`);
    }
  }
  return `${out.join('\n')}\n`;
}
