/**
 * Is an environment file exactly as promote/rollback write it, with schema-valid values? A
 * check of every line against the serializer's own output (env-store.ts serializeEnv): one
 * regular expression per line, no objects built. It is strictly narrower than the fast reader
 * (fastParseEnv + envShapeOk): true means that reader accepts the file too (a test checks it on
 * thousands of mutated files), and false only means "not certain": the caller reads the file in
 * full, with positioned errors. It lets a one-pin change of a file with thousands of pins refuse
 * a broken file, as a full read does, without parsing the pins it does not change; on the way it
 * finds where each pin's block is.
 */
import { ENV_HEADER, yamlString } from './env-store.js';

// a string as the serializer writes it: plain, or JSON-quoted (checked to be canonical below)
const STR = String.raw`([A-Za-z0-9_][A-Za-z0-9._/+-]*|"(?:[^"\\]|\\.)*")`;
const SEMVER = String.raw`(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?`;
const HEX = String.raw`([0-9a-f]{64}|"[0-9a-f]{64}")`;
const DT = String.raw`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)"`;
const INT = String.raw`(?:0|[1-9]\d{0,14})`;
const RATE = String.raw`(0|1|0\.\d+|1\.0+|[1-9]\d*(?:\.\d+)?[eE]-\d+|0\.\d+[eE]-\d+)`;
const BOOL = '(?:true|false)';
// groups: pass_rate, suite_sha256, provider, model, report_sha256 (kinds 'rhssh', see groupsOk)
const EVAL = String.raw`\{ pass_rate: ${RATE}, passed: ${INT}, cases: ${INT}(?:, suite_sha256: ${HEX})?(?:, regressions: ${INT})?(?:, provider: ${STR})?(?:, model: ${STR})?(?:, skipped: ${BOOL})?(?:, report_sha256: ${HEX})?(?:, shards: [1-9]\d{0,14})? \}`;

const ENTRY = new RegExp(String.raw`^      - \{ action: (?:promote|rollback), version: ${SEMVER}, from: (?:null|${SEMVER})(?:, sha256: ${HEX})?, at: ${DT}, by: ${STR}(?:, reason: ${STR})?(?:, eval: ${EVAL})?(?:, skip_eval: ${BOOL})? \}$`);
const KEY = new RegExp(String.raw`^  ${STR}:$`);
const ENTRY_KINDS = 'hssrhssh'; // sha256, by, reason, then the eval's groups
/** a pin's lines in order: the line, the kinds of its groups, optional */
const FIELDS: [re: RegExp, kinds: string, optional: boolean][] = [
  [new RegExp(`^    version: ${SEMVER}$`), '', false],
  [new RegExp(`^    sha256: ${HEX}$`), 'h', false],
  [new RegExp(`^    previous: (?:null|${SEMVER})$`), '', false],
  [new RegExp(`^    promoted_at: ${DT}$`), '', false],
  [new RegExp(`^    promoted_by: ${STR}$`), 's', false],
  [new RegExp(`^    reason: ${STR}$`), 's', true],
  [new RegExp(`^    eval: ${EVAL}$`), 'rhssh', true],
];
const ENVIRONMENT = new RegExp(`^environment: ${STR}$`);
const ID = /^[a-z0-9][a-z0-9._-]{0,63}(\/[a-z0-9][a-z0-9._-]{0,63}){0,3}$/;
const ENV_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** token → the string it spells when the serializer writes that string so, else null (memo: files repeat names) */
const spelled = new Map<string, string | null>();
function spelling(t: string): string | null {
  let v = spelled.get(t);
  if (v !== undefined) return v;
  if (t.startsWith('"')) {
    try {
      v = JSON.parse(t) as string;
    } catch {
      v = null;
    }
  } else v = t;
  if (v !== null && yamlString(v) !== t) v = null;
  if (spelled.size < 50_000) spelled.set(t, v);
  return v;
}

/** a hex digest YAML would read as a number: the serializer quotes exactly those */
const NUMERIC_HEX = /^\d+(?:e\d+)?$/;

/**
 * Every captured group of a match is canonical, by its kind: 's' a string token, 'h' a hex
 * digest (quoted exactly when it looks like a number), 'r' a pass rate (at most 1).
 */
function groupsOk(m: RegExpExecArray, kinds: string): boolean {
  for (let g = 1; g < m.length; g++) {
    const t = m[g];
    if (t === undefined) continue;
    const kind = kinds[g - 1];
    if (kind === 'h') {
      const quoted = t.startsWith('"');
      if (NUMERIC_HEX.test(quoted ? t.slice(1, -1) : t) !== quoted) return false;
    } else if (kind === 'r' ? Number(t) > 1 : spelling(t) === null) return false;
  }
  return true;
}

/** The pins of a canonical file: the header and `environment` lines, and where each pin's block is. */
export interface PinLayout {
  intro: string;
  /** sorted by id; `end` is where the next block (or the file) starts */
  blocks: { id: string; start: number; end: number }[];
}

/**
 * The pin layout of `text` when every line of it is what serializeEnv writes for a
 * schema-valid environment file: the header, `environment`, then each pin (ids sorted and
 * unique) with its keys in their order (version, sha256, previous, promoted_at, promoted_by,
 * reason?, eval?, history) and valid values. null otherwise.
 */
export function canonicalPins(text: string): PinLayout | null {
  const lines = text.split('\n');
  const env = ENVIRONMENT.exec(lines[1] ?? '');
  if (lines[0] !== ENV_HEADER || lines[lines.length - 1] !== '' || !env || !ENV_NAME.test(spelling(env[1]!) ?? '')) return null;
  const intro = `${lines[0]}\n${lines[1]}\n`;
  if (lines[2] === 'prompts: {}') return lines.length === 4 ? { intro, blocks: [] } : null;
  if (lines[2] !== 'prompts:' || lines.length < 5) return null;
  const blocks: PinLayout['blocks'] = [];
  const last = lines.length - 1;
  let k = 3;
  let pos = intro.length + 'prompts:\n'.length; // offset of line k
  const step = (): void => {
    pos += lines[k]!.length + 1;
    k++;
  };
  while (k < last) {
    const key = KEY.exec(lines[k]!);
    const id = key ? spelling(key[1]!) : null;
    const prev = blocks[blocks.length - 1];
    if (id === null || !ID.test(id) || (prev && !(prev.id < id))) return null;
    if (prev) prev.end = pos;
    blocks.push({ id, start: pos, end: text.length });
    step();
    for (const [re, kinds, optional] of FIELDS) {
      const m = k < last ? re.exec(lines[k]!) : null;
      if (!m) {
        if (optional) continue;
        return null;
      }
      if (!groupsOk(m, kinds)) return null;
      step();
    }
    if (lines[k] === '    history: []') {
      step();
      continue;
    }
    if (lines[k] !== '    history:' || k + 1 >= last || !lines[k + 1]!.startsWith('      - ')) return null;
    step();
    while (k < last && lines[k]!.startsWith('      - ')) {
      const m = ENTRY.exec(lines[k]!);
      if (!m || !groupsOk(m, ENTRY_KINDS)) return null;
      step();
    }
  }
  return { intro, blocks };
}

/** Is `text` exactly what serializeEnv writes for a schema-valid environment file? */
export function isCanonicalEnvText(text: string): boolean {
  return canonicalPins(text) !== null;
}
