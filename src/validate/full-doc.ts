/**
 * The full-mode Doc: the `yaml` package's document with a line counter gives positions of
 * values, keys and of places inside template scalars (block `|`/`>`, plain and quoted).
 * Loaded only when a file has findings (clean files never need positions).
 */
import { isMap, isSeq, isScalar, isPair, isAlias, Scalar, type Node as YNode } from 'yaml';
import type { ParsedYaml } from '../registry/yaml.js';
import { pointerSegments, positionOf } from '../registry/yaml.js';
import type { Doc, Pos } from './doc.js';

export function fullDoc(parsed: ParsedYaml, text: string): Doc {
  return {
    value: parsed.value as Record<string, unknown>,
    fast: false,
    pos(pointer, key) {
      return positionOf(parsed, pointer, key);
    },
    posInScalar(pointer, line, column) {
      const node = nodeAt(parsed, pointer);
      if (!node || !isScalar(node) || !node.range) return positionOf(parsed, pointer);
      const at = (off: number): Pos => {
        const p = parsed.lines.linePos(off);
        return { line: p.line, column: p.col };
      };
      return mapScalarPosition(text, node, line, column, at);
    },
  };
}

/** The YAML node at a JSON pointer, or undefined. */
export function nodeAt(parsed: Pick<ParsedYaml, 'doc'>, pointer: string): YNode | undefined {
  let node: unknown = parsed.doc.contents;
  for (const seg of pointerSegments(pointer)) {
    if (isAlias(node)) return undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === seg);
      if (!pair) return undefined;
      node = pair.value;
    } else if (isSeq(node)) {
      const idx = Number(seg);
      node = Number.isInteger(idx) ? node.items[idx] : undefined;
    } else {
      return undefined;
    }
    if (node === undefined || node === null) return undefined;
  }
  return node as YNode;
}

/**
 * Maps a 1-based line/column inside a scalar's value to the file position. Literal block
 * scalars map exactly (header line + n, block indentation + column); single-line plain and
 * quoted scalars by offset; folded and multi-line flow scalars by finding the text at that
 * place inside the node's source; the node's start otherwise.
 */
export function mapScalarPosition(text: string, node: Scalar, line: number, column: number, at: (offset: number) => Pos): Pos {
  const range = node.range!;
  const start = range[0];
  const end = range[1];
  const value = typeof node.value === 'string' ? node.value : String(node.value);
  const valueLines = value.split('\n');
  const vLine = valueLines[Math.max(0, line - 1)] ?? '';
  if (node.type === Scalar.BLOCK_LITERAL) {
    const headerEnd = text.indexOf('\n', start);
    if (headerEnd !== -1) {
      const contentStart = headerEnd + 1;
      const body = text.slice(contentStart, end);
      const indentMatch = /^( *)\S/m.exec(body);
      const indent = indentMatch ? indentMatch[1]!.length : 0;
      const headerPos = at(start);
      return { line: headerPos.line + line, column: indent + column };
    }
  }
  const src = text.slice(start, end);
  const singleLine = !src.includes('\n');
  if (singleLine && (node.type === Scalar.PLAIN || node.type === Scalar.QUOTE_SINGLE || node.type === Scalar.QUOTE_DOUBLE) && line === 1) {
    const quoted = node.type !== Scalar.PLAIN ? 1 : 0;
    const prefix = vLine.slice(0, column - 1);
    // escapes before the position make offsets differ; only trust offsets without them
    const rawPrefix = src.slice(quoted, quoted + prefix.length);
    if (rawPrefix === prefix) return at(start + quoted + column - 1);
  }
  // search for the text at the position inside the node's source
  const needle = vLine.slice(column - 1, column - 1 + 16).trimEnd();
  if (needle.length > 0) {
    // skip occurrences on earlier value lines: count how often the needle occurs before
    let before = 0;
    const prior = valueLines.slice(0, line - 1).join('\n') + (line > 1 ? '\n' : '') + vLine.slice(0, column - 1);
    for (let i = prior.indexOf(needle); i !== -1; i = prior.indexOf(needle, i + 1)) before++;
    let idx = -1;
    let from = 0;
    for (let k = 0; k <= before; k++) {
      idx = src.indexOf(needle, from);
      if (idx === -1) break;
      from = idx + 1;
    }
    if (idx === -1) idx = src.indexOf(needle);
    if (idx !== -1) return at(start + idx);
  }
  return at(start);
}
