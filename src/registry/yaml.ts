/**
 * YAML with source positions (the `yaml` package). Guards against duplicate keys, alias bombs
 * (bounded alias expansion), `__proto__` keys (rejected; `yaml` already defines them as own
 * properties so nothing is polluted) and multi-document files. The `yaml` package is loaded on
 * first use: commands reading only clean files (registry.ts reads those with js-yaml first) never
 * pay its start-up cost.
 */
import { createRequire } from 'node:module';
import type { Document, LineCounter, Node as YNode } from 'yaml';

const require = createRequire(import.meta.url);
let yamlModule: typeof import('yaml') | undefined;
const Y = (): typeof import('yaml') => (yamlModule ??= require('yaml') as typeof import('yaml'));

export interface YamlIssue {
  rule:
    | 'yaml-syntax'
    | 'yaml-duplicate-key'
    | 'yaml-alias-limit'
    | 'yaml-unsafe-key'
    | 'yaml-not-mapping'
    | 'yaml-multi-document'
    | 'yaml-tag'
    | 'yaml-version'
    | 'yaml-merge-key'
    | 'yaml-complex-key'
    | 'yaml-non-finite'
    | 'yaml-too-deep';
  message: string;
  line: number;
  column: number;
}

export interface ParsedYaml {
  /** the plain JS value (null when the document failed to parse) */
  value: unknown;
  doc: Document.Parsed;
  lines: LineCounter;
  issues: YamlIssue[];
}

/** Upper bound on alias expansions while converting to JS: a "billion laughs" file stops here. */
export const MAX_ALIAS_COUNT = 100;

/** Collections nested deeper than this are refused (every reader, validate included, reads the same). */
export const MAX_YAML_DEPTH = 64;
/** Explicit tags every reader reads alike; any other (`!!binary`, `!!float 1`, `!!set`, local tags) is refused. */
const SAFE_TAGS = new Set(['tag:yaml.org,2002:str', 'tag:yaml.org,2002:map', 'tag:yaml.org,2002:seq']);

/** Does the text open more than `max` flow collections ([ or {) in a row without closing one? (a cheap upper bound) */
function flowDepthOver(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth = depth > 0 ? depth - 1 : 0;
    else if (c === 10) depth = depth > max / 2 ? depth : 0; // block context: a new line starts over unless deep in flow
  }
  return false;
}

export function parseYaml(text: string): ParsedYaml {
  const { LineCounter, parseDocument, visit, isScalar, isCollection } = Y();
  const lines = new LineCounter();
  const parse = (): ReturnType<typeof parseDocument> | null => {
    try {
      return parseDocument(text, OPTIONS);
    } catch {
      return null; // a stack overflow on absurd nesting: refused below as too deep
    }
  };
  const OPTIONS = {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false,
    strict: true,
    version: '1.2' as const,
    merge: false,
  };
  // flow brackets nested past any sane file are refused before the parser recurses into them
  const parsedDoc = flowDepthOver(text, 1000) ? null : parse();
  if (parsedDoc === null) {
    const { Document } = Y();
    const empty = new Document() as Document.Parsed;
    return { value: null, doc: empty, lines, issues: [{ rule: 'yaml-too-deep', message: `the YAML nests too deeply (more than ${MAX_YAML_DEPTH} levels); flatten it`, line: 1, column: 1 }] };
  }
  const doc = parsedDoc as Document.Parsed;
  const issues: YamlIssue[] = [];
  const at = (offset: number): { line: number; column: number } => {
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col };
  };
  for (const e of doc.errors) {
    const pos = at(e.pos[0]);
    if (e.code === 'DUPLICATE_KEY') {
      issues.push({ rule: 'yaml-duplicate-key', message: 'duplicate key in mapping; each key may appear once (remove or rename one of them)', ...pos });
    } else if (e.code === 'RESOURCE_EXHAUSTION' && /call stack/i.test(e.message)) {
      issues.push({ rule: 'yaml-too-deep', message: `the YAML nests too deeply (more than ${MAX_YAML_DEPTH} levels); flatten it`, ...pos });
    } else if (e.code === 'MULTIPLE_DOCS') {
      issues.push({ rule: 'yaml-multi-document', message: 'a registry file holds one YAML document; remove the extra "---" document', ...pos });
    } else {
      issues.push({ rule: 'yaml-syntax', message: `YAML syntax error: ${firstLine(e.message)}`, ...pos });
    }
  }
  // one reading (SPEC §11): what YAML readers disagree on is refused, so validate, the runtime
  // and any other language's reader see the same values
  if (issues.length === 0 && doc.directives?.yaml.explicit && doc.directives.yaml.version !== '1.2') {
    issues.push({ rule: 'yaml-version', message: `"%YAML ${doc.directives.yaml.version}" changes what plain values mean (yes, 0b11, 017); registry files are YAML 1.2: remove the directive`, line: 1, column: 1 });
  }
  if (issues.length === 0) {
    const startOf = (n: { range?: [number, number, number] | null } | null | undefined): { line: number; column: number } => at(n?.range ? n.range[0] : 0);
    visit(doc, {
      Pair(_k, pair) {
        if (isScalar(pair.key) && pair.key.value === '__proto__') {
          issues.push({ rule: 'yaml-unsafe-key', message: 'the key "__proto__" is not allowed (it could pollute object prototypes); rename it', ...startOf(pair.key) });
        } else if (pair.key === null || (isScalar(pair.key) && pair.key.value === null)) {
          issues.push({ rule: 'yaml-complex-key', message: 'a key must be a name, not null or empty (YAML readers turn it into different strings); quote it or rename it', ...startOf((pair.key ?? pair.value) as { range?: [number, number, number] }) });
        } else if (!isScalar(pair.key)) {
          issues.push({ rule: 'yaml-complex-key', message: 'a key must be a plain value, not a list or mapping (YAML readers turn such keys into different strings)', ...startOf(pair.key as { range?: [number, number, number] }) });
        } else if (isScalar(pair.key) && pair.key.value === '<<' && pair.key.type === 'PLAIN') {
          issues.push({ rule: 'yaml-merge-key', message: 'merge keys (<<) are not supported (YAML 1.2 has none, so readers disagree); write the keys out', ...startOf(pair.key) });
        }
      },
      Node(_k, node, path) {
        const tag = (node as { tag?: string }).tag;
        if (tag !== undefined && !SAFE_TAGS.has(tag)) {
          issues.push({ rule: 'yaml-tag', message: `the YAML tag "${tag.replace('tag:yaml.org,2002:', '!!')}" is not supported (readers disagree on tagged values); write a plain value (quote it for a string)`, ...startOf(node) });
          return visit.SKIP;
        }
        if (isScalar(node) && typeof node.value === 'number' && !Number.isFinite(node.value)) {
          issues.push({ rule: 'yaml-non-finite', message: `${String(node.source ?? node.value)} is not a finite number (JSON, reports and bundles cannot hold it); write a number or quote it`, ...startOf(node) });
        }
        if (isCollection(node) && path.filter((p) => isCollection(p)).length >= MAX_YAML_DEPTH) {
          issues.push({ rule: 'yaml-too-deep', message: `the YAML nests more than ${MAX_YAML_DEPTH} levels deep; flatten it`, ...startOf(node) });
          return visit.BREAK;
        }
        return undefined;
      },
    });
  }
  let value: unknown = null;
  if (issues.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/alias/i.test(msg)) {
        issues.push({ rule: 'yaml-alias-limit', message: `too many YAML alias expansions (limit ${MAX_ALIAS_COUNT}); this looks like an alias bomb. Write the values out instead of using anchors`, line: 1, column: 1 });
      } else {
        issues.push({ rule: 'yaml-syntax', message: `YAML error: ${firstLine(msg)}`, line: 1, column: 1 });
      }
    }
  }
  if (issues.length === 0 && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    const kind = value === null ? 'nothing (null)' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
    issues.push({ rule: 'yaml-not-mapping', message: `expected a YAML mapping (key: value lines) at the top level, found ${kind}`, line: 1, column: 1 });
    value = null;
  }
  return { value, doc, lines, issues };
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

/** Splits a JSON pointer ("/messages/0/content") into segments, unescaping ~1 and ~0. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * The line/column of the node at `pointer` (ajv's instancePath). With `key`, the position of
 * that key inside the mapping (used for "unknown key" errors). Falls back to the deepest node found.
 */
export function positionOf(parsed: Pick<ParsedYaml, 'doc' | 'lines'>, pointer: string, key?: string): { line: number; column: number } {
  const { isAlias, isMap, isPair, isScalar, isSeq } = Y();
  let node: unknown = parsed.doc.contents;
  let best: unknown = node;
  const segs = pointerSegments(pointer);
  if (key !== undefined) segs.push(key);
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (isAlias(node)) break;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === seg);
      if (!pair) break;
      const isLast = i === segs.length - 1;
      if (isLast && key !== undefined) {
        best = pair.key;
        break;
      }
      node = pair.value ?? pair.key;
      best = pair.value && (pair.value as YNode).range ? pair.value : pair.key;
    } else if (isSeq(node)) {
      const idx = Number(seg);
      const item = Number.isInteger(idx) ? node.items[idx] : undefined;
      if (!item) break;
      node = item;
      best = item;
    } else {
      break;
    }
  }
  const range = (best as YNode | null | undefined)?.range;
  const off = range ? range[0] : 0;
  const p = parsed.lines.linePos(off);
  return { line: p.line, column: p.col };
}
