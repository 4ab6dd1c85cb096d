/**
 * Environment files on disk (SPEC §4): a stable, hand-emitted YAML serialization (same input,
 * same bytes: diffs in review show only what changed), reading a snapshot with its exact bytes
 * for compare-and-swap, atomic writes, and restoring the old bytes when a later step fails.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentFile, EnvPin, EvalSummary, HistoryEntry } from '../core/types.js';
import type { Registry } from './registry.js';
import { writeFileAtomic } from './files.js';

export const ENV_HEADER = '# Written by `prompts promote` and `prompts rollback`. Do not edit by hand.';

const PIN_KEYS = ['version', 'sha256', 'previous', 'promoted_at', 'promoted_by', 'reason', 'eval', 'history'] as const;
const ENTRY_KEYS = ['action', 'version', 'from', 'sha256', 'at', 'by', 'reason', 'eval', 'skip_eval'] as const;
const EVAL_KEYS = ['pass_rate', 'passed', 'cases', 'suite_sha256', 'regressions', 'provider', 'model', 'skipped'] as const;

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
export function yamlString(s: string): string {
  if (PLAIN.test(s) && !NOT_STRING.some((r) => r.test(s))) return s;
  return JSON.stringify(s);
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
  const present = Object.keys(o).filter((k) => (o as Record<string, unknown>)[k] !== undefined);
  return [...known.filter((k) => present.includes(k)), ...present.filter((k) => !known.includes(k)).sort()];
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

/** The environment file's bytes: header comment, `environment`, pins sorted by prompt id. */
export function serializeEnv(env: EnvironmentFile): string {
  const out: string[] = [ENV_HEADER, `environment: ${yamlString(env.environment)}`];
  const ids = Object.keys(env.prompts).sort();
  if (ids.length === 0) {
    out.push('prompts: {}');
    return `${out.join('\n')}\n`;
  }
  out.push('prompts:');
  for (const id of ids) {
    const pin = env.prompts[id] as EnvPin;
    out.push(`  ${yamlString(id)}:`);
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
  }
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
  const loaded = registry.loadYaml<EnvironmentFile>(file, 'environment');
  return { env, file, rel, exists: true, bytes: loaded.decoded.bytes, value: loaded.value };
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

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
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
