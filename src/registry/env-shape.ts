/**
 * The environment schema (schemas/environment.schema.json) as code, for the fast path of
 * reading an environment file: a test keeps the two in agreement on thousands of mutated files.
 */
import type { EnvironmentFile } from '../core/types.js';
import { isObject } from '../core/json.js';
import { APPROVAL_KEYS, ENTRY_KEYS, EVAL_KEYS, PIN_KEYS, ROLLOUT_KEYS } from './env-serialize.js';

const ACTIONS: readonly string[] = ['promote', 'rollback', 'rollout-start', 'rollout-set', 'rollout-abort', 'rollout-complete'];

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
/** a deps key: <id>@<exact version> (the schema's propertyNames pattern) */
export const DEP_KEY = /^[a-z0-9][a-z0-9._-]{0,63}(\/[a-z0-9][a-z0-9._-]{0,63}){0,3}@(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$/;
function depsOk(d: unknown): boolean {
  if (d === undefined) return true;
  if (!isObject(d)) return false;
  for (const [k, s] of Object.entries(d)) if (!DEP_KEY.test(k) || typeof s !== 'string' || !HEX64.test(s)) return false;
  return true;
}
const weightOk = (v: unknown): boolean => typeof v === 'number' && v >= 0 && v <= 100;
/** JSON Schema's minLength/maxLength count code points */
const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};
function rolloutOk(r: unknown): boolean {
  if (!isObject(r) || !onlyKeys(r, ROLLOUT_KEYS)) return false;
  if (typeof r.version !== 'string' || !SEMVER.test(r.version) || typeof r.sha256 !== 'string' || !HEX64.test(r.sha256) || !weightOk(r.weight)) return false;
  if (!depsOk(r.deps)) return false;
  if (typeof r.salt !== 'string' || r.salt.length === 0 || codePoints(r.salt) > 256) return false;
  if (r.stages !== undefined) {
    if (!Array.isArray(r.stages) || r.stages.length === 0 || r.stages.length > 100) return false;
    if (!r.stages.every((x) => typeof x === 'number' && x > 0 && x <= 100)) return false;
  }
  if (typeof r.started_at !== 'string' || !DATE_TIME.test(r.started_at) || typeof r.started_by !== 'string') return false;
  if (typeof r.updated_at !== 'string' || !DATE_TIME.test(r.updated_at)) return false;
  return r.eval === undefined || evalOk(r.eval);
}

const APPROVAL_KEY = /^[a-z0-9][a-z0-9._-]{0,63}(\/[a-z0-9][a-z0-9._-]{0,63}){0,3}@(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
function approvalsOk(a: unknown): boolean {
  if (!isObject(a)) return false;
  for (const [k, list] of Object.entries(a)) {
    if (!APPROVAL_KEY.test(k) || !Array.isArray(list) || list.length === 0) return false;
    for (const x of list) {
      if (!isObject(x) || !onlyKeys(x, APPROVAL_KEYS)) return false;
      if (typeof x.by !== 'string' || x.by.length === 0 || typeof x.at !== 'string' || !DATE_TIME.test(x.at)) return false;
      if (typeof x.sha256 !== 'string' || !HEX64.test(x.sha256) || (x.reason !== undefined && typeof x.reason !== 'string')) return false;
    }
  }
  return true;
}

/**
 * The environment schema (schemas/environment.schema.json) as code, for the fast path: true
 * means the schema accepts the value. Anything it rejects goes to ajv for a positioned message.
 */
export function envShapeOk(v: unknown): v is EnvironmentFile {
  if (!isObject(v) || !onlyKeys(v, ['environment', 'prompts', 'approvals'])) return false;
  if (typeof v.environment !== 'string' || !ENV_NAME.test(v.environment) || !isObject(v.prompts)) return false;
  if (v.approvals !== undefined && !approvalsOk(v.approvals)) return false;
  for (const [id, p] of Object.entries(v.prompts)) {
    if (!ID.test(id) || !isObject(p) || !onlyKeys(p, PIN_KEYS)) return false;
    if (typeof p.version !== 'string' || !SEMVER.test(p.version)) return false;
    if (typeof p.sha256 !== 'string' || !HEX64.test(p.sha256)) return false;
    if (!depsOk(p.deps)) return false;
    if (!('previous' in p) || !semverOrNull(p.previous)) return false;
    if (typeof p.promoted_at !== 'string' || !DATE_TIME.test(p.promoted_at) || typeof p.promoted_by !== 'string') return false;
    if (p.reason !== undefined && typeof p.reason !== 'string') return false;
    if (p.eval !== undefined && !evalOk(p.eval)) return false;
    if (p.rollout !== undefined && !rolloutOk(p.rollout)) return false;
    if (!Array.isArray(p.history)) return false;
    for (const h of p.history) {
      if (!isObject(h) || !onlyKeys(h, ENTRY_KEYS)) return false;
      if (typeof h.action !== 'string' || !ACTIONS.includes(h.action)) return false;
      if (typeof h.version !== 'string' || !SEMVER.test(h.version) || !('from' in h) || !semverOrNull(h.from)) return false;
      if (h.weight !== undefined && !weightOk(h.weight)) return false;
      if (h.sha256 !== undefined && (typeof h.sha256 !== 'string' || !HEX64.test(h.sha256))) return false;
      if (!depsOk(h.deps)) return false;
      if (typeof h.at !== 'string' || !DATE_TIME.test(h.at) || typeof h.by !== 'string') return false;
      if (h.reason !== undefined && typeof h.reason !== 'string') return false;
      if (h.eval !== undefined && !evalOk(h.eval)) return false;
      if (h.skip_eval !== undefined && typeof h.skip_eval !== 'boolean') return false;
      if ('previous' in h && !semverOrNull(h.previous)) return false;
      if (h.digest !== undefined && (typeof h.digest !== 'string' || !HEX64.test(h.digest))) return false;
      if (h.prev !== undefined && (typeof h.prev !== 'string' || !HEX64.test(h.prev))) return false;
    }
  }
  return true;
}
