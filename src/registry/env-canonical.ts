/**
 * Is an environment file exactly as promote/rollback write it, with schema-valid values? A
 * check of every line against the serializer's own output (env-store.ts serializeEnv): one
 * sticky-regex pass, no objects built. It is strictly narrower than the fast reader
 * (fastParseEnv + envShapeOk): true means that reader accepts the file too (a test checks it on
 * thousands of mutated files), and false only means "not certain": the caller reads the file in
 * full, with positioned errors. It lets a one-pin change of a file with thousands of pins refuse
 * a broken file, as a full read does, without parsing the pins it does not change.
 */
import { ENV_HEADER, yamlString } from './env-store.js';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const HEX64 = /^[0-9a-f]{64}$/;
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const ID = /^[a-z0-9][a-z0-9._-]{0,63}(\/[a-z0-9][a-z0-9._-]{0,63}){0,3}$/;
const ENV_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const INT = /^(0|[1-9]\d{0,14})$/;
const NUM = /^(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;

/** The next scalar token at `i`: a JSON-quoted string or a plain token (no spaces, commas, braces). */
const TOKEN = /"(?:[^"\\\n]|\\.)*"|[^\s,{}[\]"]+/y;

class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  lit(t: string): boolean {
    if (!this.s.startsWith(t, this.i)) return false;
    this.i += t.length;
    return true;
  }
  token(): string | null {
    TOKEN.lastIndex = this.i;
    const m = TOKEN.exec(this.s);
    if (!m) return null;
    this.i += m[0].length;
    return m[0];
  }
  /** a string as the serializer writes it (plain when that reads back as the string, else JSON) */
  str(test?: RegExp): boolean {
    const t = this.token();
    if (t === null) return false;
    let v: string;
    if (t.startsWith('"')) {
      try {
        v = JSON.parse(t) as string;
      } catch {
        return false;
      }
    } else v = t;
    return yamlString(v) === t && (!test || test.test(v));
  }
  semverOrNull(): boolean {
    const save = this.i;
    if (this.token() === 'null') return true;
    this.i = save;
    return this.str(SEMVER);
  }
  num(test: RegExp, max = Infinity): boolean {
    const t = this.token();
    return t !== null && test.test(t) && Number(t) <= max;
  }
  bool(): boolean {
    const t = this.token();
    return t === 'true' || t === 'false';
  }
  end(): boolean {
    return this.i === this.s.length;
  }
}

/** `{ pass_rate: …, passed: …, cases: …[, suite_sha256][, regressions][, provider][, model][, skipped] }` */
function evalFlow(c: Cursor): boolean {
  if (!(c.lit('{ pass_rate: ') && c.num(NUM, 1) && c.lit(', passed: ') && c.num(INT) && c.lit(', cases: ') && c.num(INT))) return false;
  if (c.lit(', suite_sha256: ') && !c.str(HEX64)) return false;
  if (c.lit(', regressions: ') && !c.num(INT)) return false;
  if (c.lit(', provider: ') && !c.str()) return false;
  if (c.lit(', model: ') && !c.str()) return false;
  if (c.lit(', skipped: ') && !c.bool()) return false;
  return c.lit(' }');
}

/** A history entry line after its `      - `. */
function entryLine(line: string): boolean {
  const c = new Cursor(line);
  if (!((c.lit('{ action: promote, ') || c.lit('{ action: rollback, ')) && c.lit('version: ') && c.str(SEMVER) && c.lit(', from: ') && c.semverOrNull())) return false;
  if (c.lit(', sha256: ') && !c.str(HEX64)) return false;
  if (!(c.lit(', at: ') && c.str(DATE_TIME) && c.lit(', by: ') && c.str())) return false;
  if (c.lit(', reason: ') && !c.str()) return false;
  if (c.lit(', eval: ') && !evalFlow(c)) return false;
  if (c.lit(', skip_eval: ') && !c.bool()) return false;
  return c.lit(' }') && c.end();
}

function field(line: string, key: string, value: (c: Cursor) => boolean): boolean {
  const c = new Cursor(line);
  return c.lit(`    ${key}: `) && value(c) && c.end();
}

/**
 * True when every line of `text` is what serializeEnv writes for a schema-valid environment
 * file: the header, `environment`, then each pin's keys in their order (version, sha256,
 * previous, promoted_at, promoted_by, reason?, eval?, history) with valid values. Pin ids must
 * be sorted and unique (the caller's layout scan checks that).
 */
export function isCanonicalEnvText(text: string): boolean {
  const lines = text.split('\n');
  if (lines[0] !== ENV_HEADER || lines[lines.length - 1] !== '' || !field(`    ${lines[1] ?? ''}`, 'environment', (c) => c.str(ENV_NAME))) return false;
  if (lines[2] === 'prompts: {}') return lines.length === 4;
  if (lines[2] !== 'prompts:' || lines.length < 5) return false;
  let k = 3;
  const last = lines.length - 1;
  while (k < last) {
    const key = lines[k]!;
    if (!key.startsWith('  ') || !key.endsWith(':')) return false;
    const c = new Cursor(key.slice(2, -1));
    if (!(c.str(ID) && c.end())) return false;
    const at = (n: number): string => (k + n < last ? lines[k + n]! : '');
    if (!field(at(1), 'version', (x) => x.str(SEMVER))) return false;
    if (!field(at(2), 'sha256', (x) => x.str(HEX64))) return false;
    if (!field(at(3), 'previous', (x) => x.semverOrNull())) return false;
    if (!field(at(4), 'promoted_at', (x) => x.str(DATE_TIME))) return false;
    if (!field(at(5), 'promoted_by', (x) => x.str())) return false;
    k += 6;
    if (at(0).startsWith('    reason: ')) {
      if (!field(at(0), 'reason', (x) => x.str())) return false;
      k++;
    }
    if (at(0).startsWith('    eval: ')) {
      if (!field(at(0), 'eval', evalFlow)) return false;
      k++;
    }
    if (at(0) === '    history: []') {
      k++;
      continue;
    }
    if (at(0) !== '    history:' || !at(1).startsWith('      - ')) return false;
    k++;
    while (k < last && lines[k]!.startsWith('      - ')) {
      if (!entryLine(lines[k]!.slice(8))) return false;
      k++;
    }
  }
  return true;
}
