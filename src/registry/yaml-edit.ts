/**
 * Surgical edits of top-level keys in a YAML mapping, keeping every other byte of the file:
 * comments, blank lines, quoting and flow style stay exactly as the user wrote them. Only the
 * edited values' text is replaced (or a new `key: value` line inserted). The result is re-parsed
 * and compared with the expected value; if the surgery cannot be proven right, the `yaml`
 * Document API (which also keeps comments) is used instead.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, stringify, type Node as YNode, type Pair } from 'yaml';
import { jsonEqual } from '../core/json.js';

export type TopLevelValue = string | string[];

interface Edit {
  start: number;
  end: number;
  text: string;
}

function scalarText(s: string): string {
  const plain = stringify(s, { lineWidth: 0 }).replace(/\n$/, '');
  return plain.includes('\n') ? JSON.stringify(s) : plain;
}

function findPair(doc: ReturnType<typeof parseDocument>, key: string): Pair<YNode, YNode | null> | undefined {
  const contents = doc.contents;
  if (!isMap(contents)) return undefined;
  return contents.items.find((p): p is Pair<YNode, YNode | null> => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const i = text.indexOf('\n', offset);
  return i === -1 ? text.length : i;
}

/**
 * Sets top-level keys of the mapping in `text`. Keys that do not exist are inserted after
 * `insertAfter` (the first of those keys that exists), else at the end. Values are strings or
 * lists of strings (written as block sequences).
 */
export function setTopLevelKeys(text: string, values: Record<string, TopLevelValue>, insertAfter: string[] = []): string {
  const doc = parseDocument(text, { version: '1.2', keepSourceTokens: false });
  const original = doc.toJS() as Record<string, unknown>;
  const expected: Record<string, unknown> = { ...original, ...values };
  const edits: Edit[] = [];
  const inserts: string[] = [];
  // keep the file's line endings (CRLF files stay CRLF)
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  let ok = isMap(doc.contents) && doc.errors.length === 0;
  if (ok) {
    for (const [key, value] of Object.entries(values)) {
      const pair = findPair(doc, key);
      const v = pair?.value;
      if (!pair || !v || !v.range || !isScalar(pair.key) || !pair.key.range) {
        if (pair) {
          ok = false; // e.g. `changes:` with an empty value: leave it to the Document API
          break;
        }
        inserts.push(Array.isArray(value) ? blockSeq(key, value, '  ', eol) : `${key}: ${scalarText(value)}`);
        continue;
      }
      const [vStart, vEnd] = v.range;
      if (typeof value === 'string') {
        if (!isScalar(v)) {
          ok = false;
          break;
        }
        edits.push({ start: vStart, end: vEnd, text: scalarText(value) });
      } else {
        // Replace whole lines from the key to the end of the sequence: old items (and their
        // comments) go, the lines around stay.
        const keyLine = lineStart(text, pair.key.range[0]);
        if (text.slice(keyLine, pair.key.range[0]).trim() !== '') {
          ok = false;
          break;
        }
        let indent = '  ';
        if (isSeq(v) && !v.flow && v.items.length > 0) {
          const col = vStart - lineStart(text, vStart);
          indent = ' '.repeat(col);
        }
        let end = lineEnd(text, Math.max(vEnd - 1, vStart));
        if (text[end - 1] === '\r') end -= 1;
        edits.push({ start: keyLine, end, text: blockSeq(key, value, indent, eol) });
      }
    }
  }
  if (ok) {
    let out = text;
    for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
    if (inserts.length) out = insertLines(out, inserts, insertAfter, eol);
    const check = parseDocument(out, { version: '1.2' });
    if (check.errors.length === 0 && jsonEqual(check.toJS(), expected)) return out;
  }
  return viaDocument(text, values);
}

function blockSeq(key: string, items: string[], indent: string, eol: string): string {
  if (items.length === 0) return `${key}: []`;
  return `${key}:${eol}${items.map((i) => `${indent}- ${scalarText(i)}`).join(eol)}`;
}

function insertLines(text: string, lines: string[], after: string[], eol: string): string {
  const doc = parseDocument(text, { version: '1.2' });
  for (const k of after) {
    const pair = findPair(doc, k);
    const end = pair?.value?.range?.[1];
    if (pair && end !== undefined) {
      let at = lineEnd(text, Math.max(end - 1, 0));
      if (text[at - 1] === '\r') at -= 1;
      return `${text.slice(0, at)}${eol}${lines.join(eol)}${text.slice(at)}`;
    }
  }
  const sep = text.endsWith('\n') ? '' : eol;
  return `${text}${sep}${lines.join(eol)}${eol}`;
}

function viaDocument(text: string, values: Record<string, TopLevelValue>): string {
  const doc = parseDocument(text, { version: '1.2' });
  for (const [k, v] of Object.entries(values)) doc.set(k, doc.createNode(v));
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** A value to set at a path of keys (nested mappings are created as needed). */
export interface PathEdit {
  path: string[];
  value: unknown;
}

/**
 * Sets values at nested paths, keeping every other byte where it can: a string that replaces a
 * scalar is spliced in place (comments, quoting and layout of the rest untouched); anything else
 * (new keys, lists, mappings) goes through the `yaml` Document API, which keeps comments. The
 * result is re-parsed and must equal the expected value, else the Document API's text is used.
 */
export function setInPaths(text: string, edits: readonly PathEdit[]): string {
  const doc = parseDocument(text, { version: '1.2', keepSourceTokens: false });
  const expected = structuredClone(doc.toJS()) as Record<string, unknown>;
  for (const e of edits) {
    let cur: Record<string, unknown> = expected;
    e.path.slice(0, -1).forEach((k) => {
      const next = cur[k];
      cur = (next && typeof next === 'object' && !Array.isArray(next) ? next : (cur[k] = {})) as Record<string, unknown>;
    });
    cur[e.path[e.path.length - 1]!] = structuredClone(e.value);
  }
  const spliced: Edit[] = [];
  let surgical = doc.errors.length === 0;
  for (const e of edits) {
    const node = doc.getIn(e.path, true) as YNode | undefined;
    if (typeof e.value === 'string' && node && isScalar(node) && node.range) spliced.push({ start: node.range[0], end: node.range[1], text: scalarText(e.value) });
    else surgical = false;
  }
  if (surgical) {
    let out = text;
    for (const s of spliced.sort((a, b) => b.start - a.start)) out = out.slice(0, s.start) + s.text + out.slice(s.end);
    const check = parseDocument(out, { version: '1.2' });
    if (check.errors.length === 0 && jsonEqual(check.toJS(), expected)) return out;
  }
  for (const e of edits) {
    const node = doc.createNode(e.value);
    // a new collection takes the style of what it replaces, else of its siblings (a { type: string } beside others)
    const was = doc.getIn(e.path, true) as YNode | undefined;
    const parent = e.path.length > 1 ? (doc.getIn(e.path.slice(0, -1), true) as YNode | undefined) : undefined;
    const sibling = isMap(parent) ? parent.items.map((p) => (isPair(p) ? (p.value as YNode | null) : null)).find((v) => isMap(v) || isSeq(v)) : undefined;
    const model = was && (isMap(was) || isSeq(was)) ? was : sibling;
    if ((isMap(node) || isSeq(node)) && model && (isMap(model) || isSeq(model)) && model.flow) node.flow = true;
    doc.setIn(e.path, node);
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}
