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
  rule: 'yaml-syntax' | 'yaml-duplicate-key' | 'yaml-alias-limit' | 'yaml-unsafe-key' | 'yaml-not-mapping' | 'yaml-multi-document';
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

export function parseYaml(text: string): ParsedYaml {
  const { LineCounter, parseDocument, visit, isScalar } = Y();
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    uniqueKeys: true,
    prettyErrors: false,
    strict: true,
    version: '1.2',
    merge: false,
  });
  const issues: YamlIssue[] = [];
  const at = (offset: number): { line: number; column: number } => {
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col };
  };
  for (const e of doc.errors) {
    const pos = at(e.pos[0]);
    if (e.code === 'DUPLICATE_KEY') {
      issues.push({ rule: 'yaml-duplicate-key', message: 'duplicate key in mapping; each key may appear once (remove or rename one of them)', ...pos });
    } else if (e.code === 'MULTIPLE_DOCS') {
      issues.push({ rule: 'yaml-multi-document', message: 'a registry file holds one YAML document; remove the extra "---" document', ...pos });
    } else {
      issues.push({ rule: 'yaml-syntax', message: `YAML syntax error: ${firstLine(e.message)}`, ...pos });
    }
  }
  if (issues.length === 0) {
    visit(doc, {
      Pair(_k, pair) {
        if (isScalar(pair.key) && pair.key.value === '__proto__') {
          const r = pair.key.range;
          issues.push({ rule: 'yaml-unsafe-key', message: 'the key "__proto__" is not allowed (it could pollute object prototypes); rename it', ...at(r ? r[0] : 0) });
        }
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
