/**
 * The variables of a simple template without Handlebars' parser (which costs more than the
 * rest of a version file's checks). "Simple" is a small subset whose meaning is certain: text,
 * `{{name}}`, and `{{#if name}}` / `{{#unless name}}` blocks with an optional `{{else}}`, properly
 * nested, names being plain identifiers, spaces allowed inside the braces. For those the
 * variables and their positions are exactly what parseTemplate + templateVariables give (a
 * test compares the two over many generated templates). Anything else (other helpers, paths,
 * comments, partials, whitespace control, triple braces, escapes, literals, an unbalanced
 * block) returns null and the caller uses the real parser.
 */
import { MAX_TEMPLATE_DEPTH, type TemplateVariable } from '../core/template.js';

/**
 * names Handlebars reads as something else than a plain path: literals, this, else, and the
 * helpers a bare `{{name}}` calls (core/template-scope.ts reports those)
 */
const RESERVED = new Set(['true', 'false', 'null', 'undefined', 'this', 'else', 'if', 'unless', 'each', 'with', 'json', 'helperMissing', 'blockHelperMissing']);

export function scanTemplate(source: string): TemplateVariable[] | null {
  const vars: TemplateVariable[] = [];
  if (!source.includes('{{')) return vars;
  // the parser counts a lone \r as a line break too: leave such text to it
  if (source.includes('\r')) return null;
  const seen = new Set<string>();
  const open: string[] = [];
  let line = 1;
  let lineStart = 0;
  let counted = 0;
  // line and 1-based column of an offset (offsets only grow)
  const posOf = (off: number): { line: number; column: number } => {
    for (let i = source.indexOf('\n', counted); i !== -1 && i < off; i = source.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    counted = off;
    return { line, column: off - lineStart + 1 };
  };
  const add = (name: string, off: number): void => {
    if (seen.has(name)) return;
    seen.add(name);
    vars.push({ name, ...posOf(off) });
  };
  for (let at = 0; ; ) {
    const start = source.indexOf('{{', at);
    if (start === -1) break;
    // an escaped mustache (\{{) is text to Handlebars: leave it to the parser
    if (start > 0 && source.charCodeAt(start - 1) === 92) return null;
    const end = source.indexOf('}}', start + 2);
    // "}}}" and longer close something else to the lexer
    if (end === -1 || source.charCodeAt(end + 2) === 125) return null;
    const inner = source.slice(start + 2, end);
    if (inner.includes('{') || inner.includes('}')) return null;
    let m: RegExpExecArray | null;
    if ((m = OPEN_BLOCK.exec(inner))) {
      const [, helper, name] = m as unknown as [string, string, string];
      if (RESERVED.has(name)) return null;
      open.push(helper);
      if (open.length > MAX_TEMPLATE_DEPTH) return null; // the parser's path reports it (template-too-deep)
      add(name, start + 2 + inner.indexOf(name, helper.length + 1));
    } else if ((m = CLOSE_BLOCK.exec(inner))) {
      if (open.pop()?.replace(/:else$/, '') !== m[1]) return null;
    } else if ((m = PLAIN.exec(inner))) {
      const name = m[1]!;
      if (name === 'else') {
        // one {{else}} per block
        if (open.length === 0 || open[open.length - 1]!.endsWith(':else')) return null;
        open[open.length - 1] += ':else';
      } else {
        if (RESERVED.has(name)) return null;
        add(name, start + 2 + inner.indexOf(name));
      }
    } else return null;
    at = end + 2;
  }
  return open.length ? null : vars;
}

const OPEN_BLOCK = /^#(if|unless) +([A-Za-z_][A-Za-z0-9_]*) *$/;
const CLOSE_BLOCK = /^\/(if|unless) *$/;
const PLAIN = /^ *([A-Za-z_][A-Za-z0-9_]*) *$/;
