/**
 * The fast reader of environment files exactly as `serializeEnv` writes them: a fraction of the
 * time a general YAML parser needs for a file with thousands of entries. Anything else (hand
 * edits, comments, other layouts) returns null and callers use the full parser with positions.
 */
import type { EnvironmentFile, EnvPin } from '../core/types.js';
import { ENV_HEADER, NOT_STRING, PLAIN, rememberPinBlock } from './env-serialize.js';

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
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(tok)) {
    const n = Number(tok);
    if (!Number.isFinite(n)) throw new FastParseError(tok); // 1e999: the careful reader refuses it (yaml-non-finite)
    return n;
  }
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
    let key: string;
    let colon: number;
    if (s[i] === '"') {
      // a JSON-quoted key (deps: { "shared/tone@1.2.0": … }): what YAML reads of a double-quoted key
      [key, colon] = jsonString(s, i);
      if (!s.startsWith(': ', colon)) throw new FastParseError('key');
    } else {
      colon = s.indexOf(': ', i);
      if (colon === -1) throw new FastParseError('key');
      key = s.slice(i, colon);
      if (!PLAIN.test(key)) throw new FastParseError('key');
    }
    if (Object.hasOwn(out, key) || key === '__proto__') throw new FastParseError(key === '__proto__' ? 'unsafe key' : 'duplicate key');
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
 * The `approvals:` section from `lines[from]` to the end, as serializeEnv writes it: keys at two
 * spaces, each with at least one `    - { … }` entry (a key without entries, or a section without
 * keys, is what YAML reads as null: not this layout). null when it is anything else.
 */
function approvalsSection(lines: string[], from: number): Record<string, unknown[]> | null {
  if (lines[from] !== 'approvals:') return null;
  const out: Record<string, unknown[]> = {};
  let list: unknown[] | null = null;
  for (let k = from + 1; k < lines.length - 1; k++) {
    const line = lines[k]!;
    if (line.startsWith('    - ')) {
      if (!list) return null;
      list.push(blockValue(line.slice(6)));
    } else if (line.startsWith('  ') && line.endsWith(':') && line[2] !== ' ') {
      if (list && list.length === 0) return null;
      const key = blockValue(line.slice(2, -1));
      if (typeof key !== 'string' || key in out) return null;
      list = [];
      out[key] = list;
    } else return null;
  }
  if (!list || list.length === 0) return null;
  return out;
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
    if (lines[2] === 'prompts: {}') {
      if (lines.length === 4) return value;
      const approvals = approvalsSection(lines, 3);
      if (!approvals) return null;
      (value as { approvals?: unknown }).approvals = approvals;
      return value;
    }
    if (lines[2] !== 'prompts:' || lines.length < 5) return null;
    let pin: Record<string, unknown> | null = null;
    let history: unknown[] | null = null;
    // the pin's `rollout:` map while its lines are read
    let rollout: Record<string, unknown> | null = null;
    // each pin's source lines, kept so that writing the file back reuses them verbatim
    const blocks: { id: string; pin: Record<string, unknown>; start: number }[] = [];
    // where the approvals (SPEC §15) start, after every pin: the last pin's block ends there
    let tail = lines.length - 1;
    for (let k = 3; k < lines.length - 1; k++) {
      const line = lines[k]!;
      if (line === 'approvals:') {
        if (!pin) return null;
        const approvals = approvalsSection(lines, k);
        if (!approvals) return null;
        (value as { approvals?: unknown }).approvals = approvals;
        tail = k;
        break;
      }
      if (line.startsWith('      - ')) {
        if (!history) return null;
        history.push(blockValue(line.slice(8)));
        continue;
      }
      if (line.startsWith('      ')) {
        if (!rollout) return null;
        const colon = line.indexOf(':', 6);
        const key = colon === -1 ? '' : line.slice(6, colon);
        if (!/^[a-z][a-z0-9_]*$/.test(key) || key in rollout || line[colon + 1] !== ' ') return null;
        rollout[key] = blockValue(line.slice(colon + 2));
        continue;
      }
      // a "history:" line must be followed by its entries, a "rollout:" line by its keys (YAML reads a bare one as null)
      if (history && history.length === 0) return null;
      if (rollout && Object.keys(rollout).length === 0) return null;
      rollout = null;
      if (line.startsWith('    ')) {
        if (!pin) return null;
        const colon = line.indexOf(':', 4);
        if (colon === -1) return null;
        const key = line.slice(4, colon);
        if (!/^[a-z][a-z0-9_]*$/.test(key) || Object.hasOwn(pin, key) || key === '__proto__') return null;
        if (line.length === colon + 1) {
          if (key === 'history') {
            history = [];
            pin.history = history;
          } else if (key === 'rollout') {
            rollout = {};
            pin.rollout = rollout;
            history = null;
          } else return null;
        } else {
          if (line[colon + 1] !== ' ') return null;
          pin[key] = blockValue(line.slice(colon + 2));
          history = null;
        }
      } else if (line.startsWith('  ') && line.endsWith(':') && line[2] !== ' ') {
        const id = blockValue(line.slice(2, -1));
        if (typeof id !== 'string' || Object.hasOwn(prompts, id) || id === '__proto__') return null; // the YAML reader reports __proto__
        pin = {};
        prompts[id] = pin;
        blocks.push({ id, pin, start: k });
        history = null;
      } else return null;
    }
    if (history && history.length === 0) return null;
    if (rollout && Object.keys(rollout).length === 0) return null;
    for (let b = 0; b < blocks.length; b++) {
      const { id, pin: p, start } = blocks[b]!;
      const end = blocks[b + 1]?.start ?? tail;
      rememberPinBlock(p as unknown as EnvPin, id, lines.slice(start, end).join('\n'));
    }
    return value;
  } catch (e) {
    if (e instanceof FastParseError || e instanceof SyntaxError) return null;
    throw e;
  }
}
