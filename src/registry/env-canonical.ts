/**
 * Is an environment file in the layout promote/rollback write, every value one the schema
 * accepts? One sticky regular expression per pin, run over the text (no lines split, no
 * objects built), that only admits what the fast reader (env-store.ts fastParseEnv +
 * envShapeOk) reads as a valid file: true means that reader accepts the file too (a test
 * checks it on thousands of mutated files), false only means "not certain", and the caller
 * reads the file in full, with positioned errors. It lets a one-pin change of a file with
 * thousands of pins refuse a broken file, as a full read does, without parsing the pins it
 * does not change; on the way it finds where each pin's block is.
 */
import { ENV_HEADER } from './env-store.js';
import { fastParseEnv } from './env-fast-parse.js';
import { envShapeOk } from './env-shape.js';

// A plain scalar the fast reader reads as a string: not one YAML reads as a number, bool or null
// (env-store.ts NOT_STRING, anchored at the end of the token).
const NOT_STRING = String.raw`(?:\d+\.?\d*(?:[eE][-+]?\d+)?|[0-9_]+(?:\.[0-9_]*)?|[yYnN]|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|0x[0-9a-fA-F]+|0o[0-7]+|true|false|null|True|False|Null|TRUE|FALSE|NULL)(?![A-Za-z0-9._/+-])`;
const PLAIN = String.raw`(?!${NOT_STRING})[A-Za-z0-9_][A-Za-z0-9._/+-]*`;
// a JSON string literal (what the fast reader hands to JSON.parse)
const QUOTED = String.raw`"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"`;
const STR = `(?:${PLAIN}|${QUOTED})`;
const SEMVER = String.raw`(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?`;
// a digest YAML would read as a number must be quoted
const HEX = String.raw`(?:(?!\d+(?:e\d+)?(?![0-9a-f]))[0-9a-f]{64}|"[0-9a-f]{64}")`;
const DT = String.raw`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)"`;
const INT = String.raw`(?:0|[1-9]\d{0,14})`;
// a number from 0 to 1 as JavaScript prints one
const RATE = String.raw`(?:0|1|0\.\d+|1\.0+|[1-9](?:\.\d+)?[eE]-0*[1-9]\d*|0\.\d+[eE]-0*[1-9]\d*)`;
const BOOL = '(?:true|false)';
// a weight (0 to 100) and a stage (above 0, up to 100) as JavaScript prints them, short of exponents
const WEIGHT = String.raw`(?:100|[1-9]?\d(?:\.\d*[1-9])?)`;
const STAGE = String.raw`(?:100|[1-9]\d?(?:\.\d*[1-9])?|0\.\d*[1-9])`;
const ACTION = '(?:promote|rollback|rollout-start|rollout-set|rollout-abort|rollout-complete)';
const EVAL = String.raw`\{ pass_rate: ${RATE}, passed: ${INT}, cases: ${INT}(?:, suite_sha256: ${HEX})?(?:, regressions: ${INT})?(?:, provider: ${STR})?(?:, model: ${STR})?(?:, skipped: ${BOOL})?(?:, report_sha256: ${HEX})?(?:, shards: [1-9]\d{0,14})? \}`;
// deps: { "<id>@<version>": <sha256>, … } (keys are always quoted: "@" is not plain); duplicates are ruled out after the match
const DEP_KEY = String.raw`"[a-z0-9][a-z0-9._-]{0,63}(?:/[a-z0-9][a-z0-9._-]{0,63}){0,3}@(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-(?:(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"`;
const DEPS = String.raw`\{ ${DEP_KEY}: ${HEX}(?:, ${DEP_KEY}: ${HEX})* \}`;
// every entry promptrail writes is chained (core/env-chain.ts): an entry without a digest (a
// file written before chains) is not this layout, and takes the full reader (which migrates it)
const ENTRY = String.raw`      - \{ action: ${ACTION}, version: ${SEMVER}, from: (?:null|${SEMVER})(?:, weight: ${WEIGHT})?(?:, previous: (?:null|${SEMVER}))?(?:, sha256: ${HEX})?(?:, deps: ${DEPS})?, at: ${DT}, by: ${STR}(?:, reason: ${STR})?(?:, eval: ${EVAL})?(?:, skip_eval: ${BOOL})?(?:, prev: ${HEX})?, digest: ${HEX} \}\n`;

// a running rollout: its salt (group 2) is checked for length by the caller
const ROLLOUT = [
  '    rollout:\\n',
  `      version: ${SEMVER}\\n`,
  `      sha256: ${HEX}\\n`,
  `(?:      deps: ${DEPS}\\n)?`,
  `      weight: ${WEIGHT}\\n`,
  `      salt: (${STR})\\n`,
  `(?:      stages: \\[${STAGE}(?:, ${STAGE}){0,99}\\]\\n)?`,
  `      started_at: ${DT}\\n`,
  `      started_by: ${STR}\\n`,
  `      updated_at: ${DT}\\n`,
  `(?:      eval: ${EVAL}\\n)?`,
].join('');

/** One pin's block: its key (group 1), its keys in their order, its rollout, its history. */
const PIN = new RegExp(
  [
    `  (${STR}):\\n`,
    `    version: ${SEMVER}\\n`,
    `    sha256: ${HEX}\\n`,
    `(?:    deps: ${DEPS}\\n)?`,
    `    previous: (?:null|${SEMVER})\\n`,
    `    promoted_at: ${DT}\\n`,
    `    promoted_by: ${STR}\\n`,
    `(?:    reason: ${STR}\\n)?`,
    `(?:    eval: ${EVAL}\\n)?`,
    `(?:${ROLLOUT})?`,
    `(?:    history: \\[\\]\\n|    history:\\n(?:${ENTRY})+)`,
  ].join(''),
  'y',
);
const ENVIRONMENT = new RegExp(`environment: (${STR})\\n`, 'y');
const ID = /^[a-z0-9][a-z0-9._-]{0,63}(\/[a-z0-9][a-z0-9._-]{0,63}){0,3}$/;
const ENV_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The string a scalar token spells (a JSON literal or a plain string), or null. */
function spelling(t: string): string | null {
  if (!t.startsWith('"')) return t;
  try {
    return JSON.parse(t) as string;
  } catch {
    return null;
  }
}

/** The pins of such a file: the header and `environment` lines, and where each pin's block is. */
export interface PinLayout {
  intro: string;
  /** sorted by id; `end` is where the next block (or the approvals, or the file's end) starts */
  blocks: { id: string; start: number; end: number }[];
  /** the `approvals:` section after the pins (SPEC §15): where it starts (text.length: none) */
  tail: number;
}

/** Is `section` (from "approvals:" to the end) what the fast reader reads as valid approvals? */
function approvalsOk(intro: string, section: string): boolean {
  const mini = fastParseEnv(`${intro}prompts: {}\n${section}`);
  return mini !== null && envShapeOk(mini) && mini.approvals !== undefined;
}

/** The schema's salt: 1 to 256 code points. */
function saltOk(s: string | null): boolean {
  if (!s) return false;
  let n = 0;
  for (const _ of s) if (++n > 256) return false;
  return true;
}

/**
 * The pin layout of `text` when it is the header, `environment`, then each pin (ids sorted
 * and unique) with its keys in their order (version, sha256, previous, promoted_at,
 * promoted_by, reason?, eval?, rollout?, history) and valid values; null otherwise.
 */
export function canonicalPins(text: string): PinLayout | null {
  if (!text.startsWith(`${ENV_HEADER}\n`)) return null;
  ENVIRONMENT.lastIndex = ENV_HEADER.length + 1;
  const env = ENVIRONMENT.exec(text);
  if (!env || !ENV_NAME.test(spelling(env[1]!) ?? '')) return null;
  const intro = text.slice(0, ENVIRONMENT.lastIndex);
  if (text.length === intro.length + 'prompts: {}\n'.length && text.endsWith('prompts: {}\n')) return { intro, blocks: [], tail: text.length };
  if (text.startsWith('prompts: {}\napprovals:\n', intro.length)) {
    const tail = intro.length + 'prompts: {}\n'.length;
    return approvalsOk(intro, text.slice(tail)) ? { intro, blocks: [], tail } : null;
  }
  if (!text.startsWith('prompts:\n', intro.length)) return null;
  const blocks: PinLayout['blocks'] = [];
  let pos = intro.length + 'prompts:\n'.length;
  if (pos === text.length) return null; // "prompts:" with no pin reads as null
  let tail = text.length;
  while (pos < text.length) {
    if (blocks.length > 0 && text.startsWith('approvals:\n', pos)) {
      if (!approvalsOk(intro, text.slice(pos))) return null;
      tail = pos;
      break;
    }
    PIN.lastIndex = pos;
    const m = PIN.exec(text);
    const id = m ? spelling(m[1]!) : null;
    const prev = blocks[blocks.length - 1];
    if (id === null || !ID.test(id) || (prev && !(prev.id < id))) return null;
    if (m![2] !== undefined && !saltOk(spelling(m![2]))) return null;
    if (!uniqueDeps(text, pos, PIN.lastIndex)) return null;
    blocks.push({ id, start: pos, end: PIN.lastIndex });
    pos = PIN.lastIndex;
  }
  return { intro, blocks, tail };
}

const DEPS_MAP = /deps: \{ ([^}]*) \}/g;
/** No deps map of the block at text[start, end) names a file twice (the reader refuses duplicate keys). */
function uniqueDeps(text: string, start: number, end: number): boolean {
  const block = text.slice(start, end);
  if (!block.includes('deps: {')) return true;
  for (const m of block.matchAll(DEPS_MAP)) {
    const keys = m[1]!.split(', ').map((pair) => pair.slice(0, pair.indexOf('": ') + 1));
    if (new Set(keys).size !== keys.length) return false;
  }
  return true;
}

/** Is `text` an environment file as promote/rollback write it, with valid values? */
export function isCanonicalEnvText(text: string): boolean {
  return canonicalPins(text) !== null;
}
