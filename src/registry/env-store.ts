/**
 * Environment files on disk (SPEC §4): a stable, hand-emitted YAML serialization (same input,
 * same bytes: diffs in review show only what changed), reading a snapshot with its exact bytes
 * for compare-and-swap, atomic writes, and restoring the old bytes when a later step fails.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentFile, EnvPin, EvalSummary, HistoryEntry } from '../core/types.js';
import type { Registry } from './registry.js';
import { writeFileAtomic, decodeRegistryBytes, MAX_ENV_FILE_BYTES } from './files.js';
import { pidAlive } from './lock.js';
import { isObject } from '../core/json.js';

export const ENV_HEADER = '# Written by `prompts promote` and `prompts rollback`. Do not edit by hand.';

const PIN_KEYS = ['version', 'sha256', 'previous', 'promoted_at', 'promoted_by', 'reason', 'eval', 'history'] as const;
const ENTRY_KEYS = ['action', 'version', 'from', 'sha256', 'at', 'by', 'reason', 'eval', 'skip_eval'] as const;
const EVAL_KEYS = ['pass_rate', 'passed', 'cases', 'suite_sha256', 'regressions', 'provider', 'model', 'skipped', 'report_sha256', 'shards'] as const;

// No ':' in plain scalars: timestamps stay quoted so YAML 1.1 readers (js-yaml, PyYAML) read strings too.
const PLAIN = /^[A-Za-z0-9_][A-Za-z0-9._/+-]*$/;
const NOT_STRING = [
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
    } else {
      out.push(`    ${yamlString(k)}: ${scalar(v)}`);
    }
  }
  const text = out.join('\n');
  blockCache.set(pin, { id, text });
  return text;
}

/** The environment file's bytes: header comment, `environment`, pins sorted by prompt id. */
export function serializeEnv(env: EnvironmentFile): string {
  const out: string[] = [ENV_HEADER, `environment: ${yamlString(env.environment)}`];
  const ids = Object.keys(env.prompts).sort();
  if (ids.length === 0) {
    out.push('prompts: {}');
    return `${out.join('\n')}\n`;
  }
  out.push('prompts:');
  for (const id of ids) out.push(pinBlock(id, env.prompts[id] as EnvPin));
  return `${out.join('\n')}\n`;
}

export interface EnvSnapshot {
  env: string;
  file: string;
  /** registry-relative path */
  rel: string;
  exists: boolean;
  /** the exact bytes read (null when the file did not exist) */
  bytes: Buffer | null;
  value: EnvironmentFile;
}

/** Reads and validates an environment file (exit 1 with file:line:col when it is broken). */
export function readEnvSnapshot(registry: Registry, env: string): EnvSnapshot {
  registry.assertEnv(env);
  const file = registry.envPath(env);
  const rel = registry.rel(file);
  if (!fs.existsSync(file)) return { env, file, rel, exists: false, bytes: null, value: { environment: env, prompts: {} } };
  // fast path: a file exactly as promote/rollback write it
  const raw = readOwnEnvBytes(file);
  if (raw) {
    const fast = fastParseEnv(raw.text);
    if (fast && envShapeOk(fast)) return { env, file, rel, exists: true, bytes: raw.bytes, value: fast };
  }
  const loaded = registry.loadYaml<EnvironmentFile>(file, 'environment');
  return { env, file, rel, exists: true, bytes: loaded.decoded.bytes, value: loaded.value };
}

/** The file's bytes and text when it passes the registry-file guards (else the full path explains why). */
function readOwnEnvBytes(file: string): { bytes: Buffer; text: string } | null {
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile()) return null;
    const d = decodeRegistryBytes(fs.readFileSync(file), MAX_ENV_FILE_BYTES);
    return 'rule' in d ? null : d;
  } catch {
    return null;
  }
}

/** Have the bytes on disk changed since `snap` was read? */
export function changedSince(snap: EnvSnapshot): boolean {
  let now: Buffer | null;
  try {
    now = fs.readFileSync(snap.file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') now = null;
    else throw e;
  }
  if (now === null || snap.bytes === null) return now !== snap.bytes;
  return !now.equals(snap.bytes);
}

/** Atomic write of the new env file (temp + fsync + rename). */
export function writeEnv(file: string, value: EnvironmentFile): string {
  const text = serializeEnv(value);
  removeDeadTempFiles(path.dirname(file));
  writeFileAtomic(file, text);
  return text;
}

/** Puts back exactly what `snap` read (or removes the file when there was none). */
export function restoreEnv(snap: EnvSnapshot): void {
  if (snap.bytes === null) {
    try {
      fs.unlinkSync(snap.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  } else {
    writeFileAtomic(snap.file, snap.bytes);
  }
}

/**
 * A process killed between creating its temp file and renaming it leaves `.<name>.<pid>.<rand>.tmp`
 * behind; remove those of dead processes so they do not pile up as untracked files.
 */
export function removeDeadTempFiles(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    try {
      fs.unlinkSync(path.join(dir, n));
    } catch {
      /* another process removed it */
    }
  }
}

/* ---------------------------------------------------------------- fast path for our own output -- */

class FastParseError extends Error {}

const plainCache = new Map<string, unknown>();
function plainValue(tok: string): unknown {
  const hit = plainCache.get(tok);
  if (hit !== undefined) return hit;
  const v = plainValueUncached(tok);
  if (plainCache.size < 50_000) plainCache.set(tok, v);
  return v;
}

function plainValueUncached(tok: string): unknown {
  if (tok === 'null') return null;
  if (tok === 'true') return true;
  if (tok === 'false') return false;
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(tok)) return Number(tok);
  if (PLAIN.test(tok) && !NOT_STRING.some((r) => r.test(tok))) return tok;
  throw new FastParseError(tok);
}

const stringCache = new Map<string, string>();

/** Reads one JSON string literal starting at s[i] === '"'; returns [value, next index]. */
function jsonString(s: string, i: number): [string, number] {
  let j = i + 1;
  while (j < s.length) {
    const ch = s[j];
    if (ch === '\\') j += 2;
    else if (ch === '"') {
      const raw = s.slice(i, j + 1);
      let v = stringCache.get(raw);
      if (v === undefined) {
        v = JSON.parse(raw) as string;
        if (stringCache.size < 50_000) stringCache.set(raw, v);
      }
      return [v, j + 1];
    }
    else j++;
  }
  throw new FastParseError('unterminated string');
}

function flowValue(s: string, i: number): [unknown, number] {
  const ch = s[i];
  if (ch === '"') return jsonString(s, i);
  if (ch === '{') return flowMap(s, i);
  if (ch === '[') {
    const out: unknown[] = [];
    i++;
    if (s[i] === ']') return [out, i + 1];
    for (;;) {
      const [v, n] = flowValue(s, i);
      out.push(v);
      if (s.startsWith(', ', n)) i = n + 2;
      else if (s[n] === ']') return [out, n + 1];
      else throw new FastParseError('array');
    }
  }
  let j = i;
  while (j < s.length && s[j] !== ',' && s[j] !== ']' && !(s[j] === ' ' && s[j + 1] === '}')) j++;
  return [plainValue(s.slice(i, j)), j];
}

function flowMap(s: string, i: number): [Record<string, unknown>, number] {
  const out: Record<string, unknown> = {};
  if (s.startsWith('{}', i)) return [out, i + 2];
  if (!s.startsWith('{ ', i)) throw new FastParseError('map');
  i += 2;
  for (;;) {
    const colon = s.indexOf(': ', i);
    if (colon === -1) throw new FastParseError('key');
    const key = s.slice(i, colon);
    if (!PLAIN.test(key)) throw new FastParseError('key');
    if (key in out) throw new FastParseError('duplicate key');
    const [v, n] = flowValue(s, colon + 2);
    out[key] = v;
    if (s.startsWith(', ', n)) i = n + 2;
    else if (s.startsWith(' }', n)) return [out, n + 2];
    else throw new FastParseError('map end');
  }
}

function blockValue(rest: string): unknown {
  const [v, n] = flowValue(rest, 0);
  if (n !== rest.length) throw new FastParseError('trailing');
  return v;
}

/**
 * Parses an environment file exactly as `serializeEnv` writes it, in a fraction of the time a
 * general YAML parser needs for a file with thousands of entries. Returns null for anything
 * else (hand edits, comments, other layouts): callers then use the full parser with positions.
 * Every construct is read strictly (plain scalars only where YAML 1.2 reads the same string,
 * JSON strings, no duplicate keys, no empty collections where YAML would read null), so a
 * non-null result is what the YAML parser reads; test/integration/promote.test.ts checks that
 * on thousands of mutated files.
 */
export function fastParseEnv(text: string): EnvironmentFile | null {
  try {
    const lines = text.split('\n');
    if (lines[0] !== ENV_HEADER || lines[lines.length - 1] !== '' || !lines[1]?.startsWith('environment: ')) return null;
    const environment = blockValue(lines[1].slice('environment: '.length));
    const prompts: Record<string, Record<string, unknown>> = {};
    const value = { environment, prompts } as unknown as EnvironmentFile;
    if (lines[2] === 'prompts: {}') return lines.length === 4 ? value : null;
    if (lines[2] !== 'prompts:' || lines.length < 5) return null;
    let pin: Record<string, unknown> | null = null;
    let history: unknown[] | null = null;
    // each pin's source lines, kept so that writing the file back reuses them verbatim
    const blocks: { id: string; pin: Record<string, unknown>; start: number }[] = [];
    for (let k = 3; k < lines.length - 1; k++) {
      const line = lines[k]!;
      if (line.startsWith('      - ')) {
        if (!history) return null;
        history.push(blockValue(line.slice(8)));
        continue;
      }
      // a "history:" line must be followed by its entries (YAML reads a bare "history:" as null)
      if (history && history.length === 0) return null;
      if (line.startsWith('    ')) {
        if (!pin) return null;
        const colon = line.indexOf(':', 4);
        if (colon === -1) return null;
        const key = line.slice(4, colon);
        if (!/^[a-z][a-z0-9_]*$/.test(key) || key in pin) return null;
        if (line.length === colon + 1) {
          if (key !== 'history') return null;
          history = [];
          pin.history = history;
        } else {
          if (line[colon + 1] !== ' ') return null;
          pin[key] = blockValue(line.slice(colon + 2));
          history = null;
        }
      } else if (line.startsWith('  ') && line.endsWith(':') && line[2] !== ' ') {
        const id = blockValue(line.slice(2, -1));
        if (typeof id !== 'string' || id in prompts) return null;
        pin = {};
        prompts[id] = pin;
        blocks.push({ id, pin, start: k });
        history = null;
      } else return null;
    }
    if (history && history.length === 0) return null;
    for (let b = 0; b < blocks.length; b++) {
      const { id, pin: p, start } = blocks[b]!;
      const end = blocks[b + 1]?.start ?? lines.length - 1;
      blockCache.set(p as unknown as EnvPin, { id, text: lines.slice(start, end).join('\n') });
    }
    return value;
  } catch (e) {
    if (e instanceof FastParseError || e instanceof SyntaxError) return null;
    throw e;
  }
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const HEX64 = /^[0-9a-f]{64}$/;
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;
const ID = /^[a-z0-9][a-z0-9._-]{0,63}(\/[a-z0-9][a-z0-9._-]{0,63}){0,3}$/;
const ENV_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function onlyKeys(o: Record<string, unknown>, keys: readonly string[]): boolean {
  return Object.keys(o).every((k) => keys.includes(k));
}
function evalOk(e: unknown): boolean {
  if (!isObject(e) || !onlyKeys(e, EVAL_KEYS)) return false;
  const int = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;
  return (
    typeof e.pass_rate === 'number' && e.pass_rate >= 0 && e.pass_rate <= 1 && int(e.passed) && int(e.cases) &&
    (e.suite_sha256 === undefined || (typeof e.suite_sha256 === 'string' && HEX64.test(e.suite_sha256))) &&
    (e.regressions === undefined || int(e.regressions)) &&
    (e.provider === undefined || typeof e.provider === 'string') &&
    (e.model === undefined || typeof e.model === 'string') &&
    (e.skipped === undefined || typeof e.skipped === 'boolean') &&
    (e.report_sha256 === undefined || (typeof e.report_sha256 === 'string' && HEX64.test(e.report_sha256))) &&
    (e.shards === undefined || (int(e.shards) && (e.shards as number) >= 1))
  );
}
const semverOrNull = (v: unknown): boolean => v === null || (typeof v === 'string' && SEMVER.test(v));

/**
 * The environment schema (schemas/environment.schema.json) as code, for the fast path: true
 * means the schema accepts the value. Anything it rejects goes to ajv for a positioned message.
 */
export function envShapeOk(v: unknown): v is EnvironmentFile {
  if (!isObject(v) || !onlyKeys(v, ['environment', 'prompts'])) return false;
  if (typeof v.environment !== 'string' || !ENV_NAME.test(v.environment) || !isObject(v.prompts)) return false;
  for (const [id, p] of Object.entries(v.prompts)) {
    if (!ID.test(id) || !isObject(p) || !onlyKeys(p, PIN_KEYS)) return false;
    if (typeof p.version !== 'string' || !SEMVER.test(p.version)) return false;
    if (typeof p.sha256 !== 'string' || !HEX64.test(p.sha256)) return false;
    if (!('previous' in p) || !semverOrNull(p.previous)) return false;
    if (typeof p.promoted_at !== 'string' || !DATE_TIME.test(p.promoted_at) || typeof p.promoted_by !== 'string') return false;
    if (p.reason !== undefined && typeof p.reason !== 'string') return false;
    if (p.eval !== undefined && !evalOk(p.eval)) return false;
    if (!Array.isArray(p.history)) return false;
    for (const h of p.history) {
      if (!isObject(h) || !onlyKeys(h, ENTRY_KEYS)) return false;
      if (h.action !== 'promote' && h.action !== 'rollback') return false;
      if (typeof h.version !== 'string' || !SEMVER.test(h.version) || !('from' in h) || !semverOrNull(h.from)) return false;
      if (h.sha256 !== undefined && (typeof h.sha256 !== 'string' || !HEX64.test(h.sha256))) return false;
      if (typeof h.at !== 'string' || !DATE_TIME.test(h.at) || typeof h.by !== 'string') return false;
      if (h.reason !== undefined && typeof h.reason !== 'string') return false;
      if (h.eval !== undefined && !evalOk(h.eval)) return false;
      if (h.skip_eval !== undefined && typeof h.skip_eval !== 'boolean') return false;
    }
  }
  return true;
}
