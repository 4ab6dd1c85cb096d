/**
 * Templates: Handlebars (noEscape, strict, knownHelpersOnly; built-ins if/unless/each/with plus
 * `json`). Rendering never runs code from a prompt file: custom helpers and decorators are
 * unavailable, and knownHelpersOnly rejects any other helper at compile time. The one partial form
 * is `{{> name}}` of a name the file declares under `uses:` (core/partials.ts compiles them from
 * resolved, verified files); dynamic partials, partial blocks, inline partials and partials given
 * a context or hash arguments are refused here.
 *
 * Static analysis walks the AST to find the root-level variables a template uses, so validate
 * can report undeclared variables (with line/column inside the template) without rendering.
 */
import type HandlebarsNS from 'handlebars';
import { createRequire } from 'node:module';
import { analyzeTemplate, type TemplatePos, type TemplateVariable } from './template-scope.js';

export type { TemplatePos, TemplateVariable } from './template-scope.js';
export { analyzeTemplate, type ScopeAnalysis, type ScopeFinding } from './template-scope.js';

// Loaded on first use: parsing needs only Handlebars' parser (validate, a pre-commit hook, never
// renders), rendering the whole library. `Handlebars.parse` is that same parser function.
const requireCjs = createRequire(import.meta.url);
type Parse = (source: string) => hbs.AST.Program;
let parseOnly: Parse | undefined;
function parser(): Parse {
  parseOnly ??= (requireCjs('handlebars/dist/cjs/handlebars/compiler/base.js') as { parse: Parse }).parse;
  return parseOnly;
}

type ProgramNode = hbs.AST.Program;
type AnyNode = hbs.AST.Node;

export interface TemplateProblem extends TemplatePos {
  rule: 'template-syntax' | 'template-unknown-helper' | 'template-partial' | 'template-too-deep';
  message: string;
}

export const BUILTIN_HELPERS = ['if', 'unless', 'each', 'with', 'json', 'lookup', 'log'] as const;
const ALLOWED_HELPERS = new Set(['if', 'unless', 'each', 'with', 'json']);

let env: typeof HandlebarsNS | undefined;
function hb(): typeof HandlebarsNS {
  if (!env) {
    env = (requireCjs('handlebars') as typeof HandlebarsNS).create();
    env.registerHelper('json', (value: unknown) => JSON.stringify(value ?? null));
    // `lookup` and `log` are built in; unregister them so only the documented helpers exist.
    env.unregisterHelper('lookup');
    env.unregisterHelper('log');
    env.unregisterHelper('helperMissing');
    env.registerHelper('helperMissing', function (...args: unknown[]) {
      const options = args[args.length - 1] as { name?: string };
      throw new Error(`unknown helper "${options.name ?? '?'}"`);
    });
  }
  return env;
}

export const COMPILE_OPTIONS = {
  noEscape: true,
  strict: true,
  knownHelpersOnly: true,
  knownHelpers: { json: true, lookup: false, log: false },
} as const;

/**
 * Nesting limits (SPEC §11): Handlebars' parser and compiler take super-linear time and then
 * overflow the stack on deep nesting (1,000 nested {{#if}} blocks take seconds, 3,000 crash,
 * 10,000 take minutes to fail). Validate and render refuse the same templates, before the parser
 * runs, with one linear scan.
 */
export const MAX_TEMPLATE_DEPTH = 32;
export const MAX_SUBEXPRESSION_DEPTH = 16;

/** Deeper block or subexpression nesting than the limits, with where it goes too deep; null when within. */
export function templateDepthProblem(source: string): TemplateProblem | null {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let counted = 0;
  const posOf = (off: number): TemplatePos => {
    for (let i = source.indexOf('\n', counted); i !== -1 && i < off; i = source.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    counted = off;
    return { line, column: off - lineStart + 1 };
  };
  for (let at = source.indexOf('{{'); at !== -1; ) {
    if (at > 0 && source[at - 1] === '\\') {
      at = source.indexOf('{{', at + 2);
      continue;
    }
    let p = at + 2;
    while (source[p] === '{') p++;
    if (source[p] === '~') p++;
    const kind = source[p];
    if (kind === '!') {
      // comments end at "--}}" when they start with "{{!--", else at "}}"
      const end = source.startsWith('--', p + 1) ? source.indexOf('--', p + 3) : p;
      const close = source.indexOf('}}', end === -1 ? source.length : end);
      if (close === -1) return null;
      at = source.indexOf('{{', close + 2);
      continue;
    }
    const close = source.indexOf('}}', p);
    if (close === -1) return null; // the parser reports the unclosed mustache
    const inner = source.slice(p, close);
    if (kind === '#' || (kind === '^' && inner.trim().length > 1)) {
      depth++;
      if (depth > MAX_TEMPLATE_DEPTH) return { rule: 'template-too-deep', message: `blocks are nested more than ${MAX_TEMPLATE_DEPTH} deep; flatten the template`, ...posOf(at) };
    } else if (kind === '/') depth = Math.max(0, depth - 1);
    let parens = 0;
    for (let i = 0; i < inner.length; i++) {
      const c = inner.charCodeAt(i);
      if (c === 40) {
        parens++;
        if (parens > MAX_SUBEXPRESSION_DEPTH) return { rule: 'template-too-deep', message: `subexpressions (…) are nested more than ${MAX_SUBEXPRESSION_DEPTH} deep; flatten the template`, ...posOf(at) };
      } else if (c === 41) parens = Math.max(0, parens - 1);
    }
    at = source.indexOf('{{', close + 2);
  }
  return null;
}

/** Parses a template; returns the AST or a problem with its position inside the template. */
export function parseTemplate(source: string): { ast: ProgramNode } | { problem: TemplateProblem } {
  const deep = templateDepthProblem(source);
  if (deep) return { problem: deep };
  let ast: ProgramNode;
  try {
    ast = parser()(source);
  } catch (e) {
    return { problem: parseErrorToProblem(e, source) };
  }
  const p = checkHelpers(ast);
  if (p) return { problem: p };
  return { ast };
}

function parseErrorToProblem(e: unknown, source: string): TemplateProblem {
  const err = e as { message?: string; lineNumber?: number; column?: number };
  const msg = String(err.message ?? e);
  if (typeof err.lineNumber === 'number') {
    return { rule: 'template-syntax', message: `template error: ${msg.replace(/ - \d+:\d+$/, '')}`, line: err.lineNumber, column: (err.column ?? 0) + 1 };
  }
  // Jison parse errors: "Parse error on line N:\n<context>\n----^\nExpecting ..., got 'X'"
  const m = /Parse error on line (\d+):\n(.*)\n(-*)\^\n(.*)/.exec(msg);
  if (m) {
    const reported = Number(m[1]);
    const got = /got '([^']+)'/.exec(m[4] ?? '');
    const pos = jisonErrorPosition(source, m[2] ?? '', (m[3] ?? '').length, reported);
    const ch = source.split('\n')[pos.line - 1]?.charAt(pos.column - 1) ?? '';
    const what = got
      ? got[1] === 'EOF'
        ? 'the template ends before a block is closed (missing {{/…}}?)'
        : got[1] === 'INVALID' && ch
          ? `unexpected "${ch}" inside {{ … }} (a mustache is closed with "}}")`
          : `unexpected ${got[1]}`
      : 'syntax error';
    return { rule: 'template-syntax', message: `template syntax error: ${what}`, ...pos };
  }
  return { rule: 'template-syntax', message: `template syntax error: ${msg.split('\n')[0]}`, line: 1, column: 1 };
}

/**
 * Where a Jison parse error points. Its context line is `pastInput + upcomingInput` with the
 * caret under the offending token: pastInput is the last 20 characters consumed before it
 * ("..." first when cut), upcomingInput the next 20 (both with newlines removed). The offset is
 * found by matching both around every position of the source (the candidate on the reported
 * line wins); the reported line, column 1, when nothing matches.
 */
function jisonErrorPosition(source: string, ctx: string, caret: number, reportedLine: number): TemplatePos {
  let past = ctx.slice(0, caret);
  const cut = past.startsWith('...');
  if (cut) past = past.slice(3);
  let upcoming = ctx.slice(caret);
  if (upcoming.endsWith('...')) upcoming = upcoming.slice(0, -3);
  // the source without newlines, and where each of its characters is
  let flat = '';
  const where: TemplatePos[] = [];
  let line = 1;
  let column = 1;
  for (const c of source) {
    if (c === '\n') {
      line++;
      column = 1;
      continue;
    }
    for (let i = 0; i < c.length; i++) where.push({ line, column: column + i });
    flat += c;
    column += c.length;
  }
  where.push({ line, column });
  const candidates: number[] = [];
  if (!cut) {
    if (flat.startsWith(past) && flat.startsWith(upcoming, past.length)) candidates.push(past.length);
  } else {
    for (let i = flat.indexOf(past + upcoming); i !== -1; i = flat.indexOf(past + upcoming, i + 1)) candidates.push(i + past.length);
  }
  const best = candidates.find((c) => where[c]!.line === reportedLine) ?? candidates[0];
  return best === undefined ? { line: reportedLine, column: 1 } : where[best]!;
}

/** Helpers whose block body runs with another context (an item, a value). */
const CONTEXT_CHANGING = new Set(['each', 'with']);

function locOf(node: AnyNode): TemplatePos {
  const loc = (node as { loc?: { start: { line: number; column: number } } }).loc;
  return loc ? { line: loc.start.line, column: loc.start.column + 1 } : { line: 1, column: 1 };
}

/**
 * Why a `{{> …}}` is not the one partial form promptrail renders (`{{> name}}`, a name declared
 * under `uses:`), or null. `inBlockParams`: inside a block with `as |x|` parameters, which
 * Handlebars does not pass to partials (the partial would read another `x` than the line shows).
 */
function partialProblem(node: hbs.AST.PartialStatement, inBlockParams: boolean): string | null {
  const name = node.name as AnyNode;
  if (name.type === 'SubExpression') return 'dynamic partials ({{> (…)}}) are not supported: write {{> name}} with a name declared under "uses:"';
  if (name.type !== 'PathExpression') return 'a partial is included by its name, not a literal: write {{> name}} with a name declared under "uses:"';
  const pe = name as hbs.AST.PathExpression & { depth: number; data: boolean };
  if (pe.data) return `{{> ${pe.original}}} is not supported: write {{> name}} with a name declared under "uses:"`;
  if (pe.depth > 0 || pe.parts.length !== 1 || pe.original.includes('/') || pe.original.includes('.')) {
    return `{{> ${pe.original}}}: include a partial by the name declared under "uses:" (e.g. uses: { tone: shared/tone@1.2.0 } and {{> tone}})`;
  }
  if (node.params.length > 0) return `{{> ${pe.original} …}} passes a context; a partial sees the including template's variables, so write {{> ${pe.original}}}`;
  if (node.hash && node.hash.pairs.length > 0) return `{{> ${pe.original} ${node.hash.pairs[0]!.key}=…}}: hash arguments to partials are not supported; declare the value as an input instead`;
  if (inBlockParams) return `{{> ${pe.original}}} inside a block with "as |…|" parameters: Handlebars does not pass block parameters to partials; include it outside that block`;
  return null;
}

function checkHelpers(ast: ProgramNode): TemplateProblem | null {
  let problem: TemplateProblem | null = null;
  let blockParams = 0;
  const visit = (node: AnyNode | null | undefined): void => {
    if (!node || problem) return;
    switch (node.type) {
      case 'Program': {
        const p = node as ProgramNode;
        const params = (p.blockParams?.length ?? 0) > 0;
        if (params) blockParams++;
        for (const s of p.body) visit(s);
        if (params) blockParams--;
        break;
      }
      case 'PartialStatement': {
        const why = partialProblem(node as hbs.AST.PartialStatement, blockParams > 0);
        if (why) problem = { rule: 'template-partial', message: why, ...locOf(node) };
        break;
      }
      case 'PartialBlockStatement':
        problem = { rule: 'template-partial', message: 'partial blocks ({{#> …}}…{{/…}}) are not supported: write {{> name}} with a name declared under "uses:"', ...locOf(node) };
        break;
      case 'DecoratorBlock':
      case 'Decorator':
        problem = { rule: 'template-unknown-helper', message: 'decorators ({{* …}}) are not supported', ...locOf(node) };
        break;
      case 'MustacheStatement':
      case 'SubExpression':
      case 'BlockStatement': {
        const n = node as hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression;
        const isCall = node.type !== 'MustacheStatement' || n.params.length > 0 || (n.hash && n.hash.pairs.length > 0);
        if (isCall && n.path.type === 'PathExpression') {
          const name = (n.path as hbs.AST.PathExpression).original;
          if (!ALLOWED_HELPERS.has(name)) {
            problem = {
              rule: 'template-unknown-helper',
              message: `unknown helper "${name}"; only if, unless, each, with and json are available`,
              ...locOf(node),
            };
            return;
          }
        }
        for (const p of n.params) visit(p as AnyNode);
        if (node.type === 'BlockStatement') {
          visit((node as hbs.AST.BlockStatement).program);
          visit((node as hbs.AST.BlockStatement).inverse);
        }
        break;
      }
      default:
        break;
    }
  };
  visit(ast);
  return problem;
}

/**
* Top-level variables used by a template (the first step of every path that reads the top-level
 * context: `{{x}}`, `{{x.y}}`, `{{../x}}` inside a block, `{{@root.x}}`), in order of first use,
 * with positions. Names inside {{#each}}/{{#with}} bodies refer to the item; block params are
 * theirs (core/template-scope.ts follows the scopes). `startDepth` 1 analyzes a template as if
 * inside one such body (a partial included there: only what climbs to the root counts).
 */
export function templateVariables(ast: ProgramNode, startDepth = 0): TemplateVariable[] {
  if (startDepth === 0) return analyzeTemplate(ast).vars;
  return nestedRootVariables(ast, startDepth);
}

/** What reaches the root context from a template analyzed `startDepth` blocks deep. */
function nestedRootVariables(ast: ProgramNode, startDepth: number): TemplateVariable[] {
  const out: TemplateVariable[] = [];
  const seen = new Set<string>();
  const add = (name: string, node: AnyNode): void => {
    if (!seen.has(name)) {
      seen.add(name);
      out.push({ name, ...locOf(node) });
    }
  };
  const path = (p: AnyNode, depth: number): void => {
    if (p.type === 'SubExpression') {
      const s = p as hbs.AST.SubExpression;
      for (const x of s.params) path(x as AnyNode, depth);
      return;
    }
    if (p.type !== 'PathExpression') return;
    const pe = p as hbs.AST.PathExpression & { depth: number; data: boolean; parts: string[] };
    if (pe.data) {
      // @root.x refers to the root context
      if (pe.parts[0] === 'root' && pe.parts[1]) add(pe.parts[1], p);
      return;
    }
    const effective = depth - pe.depth;
    if (effective <= 0 && pe.parts.length > 0 && pe.parts[0] !== undefined) {
      if (pe.original === 'this' || pe.original === '.') return;
      add(pe.parts[0], p);
    }
  };
  const visit = (node: AnyNode | null | undefined, depth: number): void => {
    if (!node) return;
    switch (node.type) {
      case 'Program':
        for (const s of (node as ProgramNode).body) visit(s, depth);
        break;
      case 'MustacheStatement': {
        const m = node as hbs.AST.MustacheStatement;
        const isHelper = m.params.length > 0 || (m.hash && m.hash.pairs.length > 0);
        if (!isHelper) path(m.path as AnyNode, depth);
        for (const x of m.params) path(x as AnyNode, depth);
        if (m.hash) for (const pair of m.hash.pairs) path(pair.value as AnyNode, depth);
        break;
      }
      case 'BlockStatement': {
        const b = node as hbs.AST.BlockStatement;
        for (const x of b.params) path(x as AnyNode, depth);
        const name = b.path.type === 'PathExpression' ? (b.path as hbs.AST.PathExpression).original : '';
        const inner = CONTEXT_CHANGING.has(name) ? depth + 1 : depth;
        visit(b.program, inner);
        visit(b.inverse, depth);
        break;
      }
      default:
        break;
    }
  };
  visit(ast, startDepth);
  return out;
}

/** A `{{> name}}` of a template: the name, where, and whether it sits inside an {{#each}}/{{#with}} body. */
export interface IncludeSite extends TemplatePos {
  name: string;
  /** inside a block that changes the context: the partial sees the item, not the root */
  nested: boolean;
}

/** The `{{> name}}` statements of a parsed template, in order (parseTemplate refused every other form). */
export function templateIncludes(ast: ProgramNode): IncludeSite[] {
  const out: IncludeSite[] = [];
  const visit = (node: AnyNode | null | undefined, depth: number): void => {
    if (!node) return;
    if (node.type === 'Program') for (const s of (node as ProgramNode).body) visit(s, depth);
    else if (node.type === 'PartialStatement') {
      const name = (node as hbs.AST.PartialStatement).name as AnyNode;
      if (name.type === 'PathExpression') out.push({ name: (name as hbs.AST.PathExpression).original, nested: depth > 0, ...locOf(node) });
    } else if (node.type === 'BlockStatement') {
      const b = node as hbs.AST.BlockStatement;
      const helper = b.path.type === 'PathExpression' ? (b.path as hbs.AST.PathExpression).original : '';
      visit(b.program, CONTEXT_CHANGING.has(helper) ? depth + 1 : depth);
      visit(b.inverse, depth);
    }
  };
  visit(ast, 0);
  return out;
}

export type CompiledTemplate = (vars: Record<string, unknown>) => string;

/** A compiled Handlebars template as Handlebars calls it, partials included. */
export type RawTemplate = (context: unknown, options?: Record<string, unknown>) => string;

/** Parses (refusing what parseTemplate refuses) and compiles a template; throws TemplateError. */
export function compileRaw(source: string, partialNames: ReadonlySet<string> | Readonly<Record<string, unknown>> = new Set()): RawTemplate {
  const parsed = parseTemplate(source);
  if ('problem' in parsed) {
    const p = parsed.problem;
    throw new TemplateError(`${p.message} (template line ${p.line}, column ${p.column})`, p.line, p.column);
  }
  const has = (n: string): boolean => (partialNames instanceof Set ? partialNames.has(n) : Object.hasOwn(partialNames, n));
  for (const inc of templateIncludes(parsed.ast)) {
    if (!has(inc.name)) {
      throw new TemplateError(`partial "${inc.name}" is not declared under "uses:" (template line ${inc.line}, column ${inc.column})`, inc.line, inc.column);
    }
  }
  return hb().compile(source, COMPILE_OPTIONS) as RawTemplate;
}

/**
 * Compiles a template for rendering. Throws Error with a template message on syntax errors.
 * `partials`: what its `{{> name}}` statements render (core/partials.ts builds them from the
 * resolved closure); the only partials Handlebars ever sees.
 */
export function compileTemplate(source: string, partials?: Readonly<Record<string, RawTemplate>>): CompiledTemplate {
  const fn = compileRaw(source, partials);
  const options = partials ? { partials } : undefined;
  return (vars) => {
    try {
      return fn(vars, options);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const missing = /^"(.+)" not defined in/.exec(msg);
      // an error inside an included partial: its positions are the partial's (core/partials.ts marks it)
      const partial = (e as { promptrailPartial?: unknown } | null)?.promptrailPartial;
      const of = typeof partial === 'string' ? `partial ${partial}, ` : '';
      if (missing) {
        // strict mode names only the last segment ("tier" of customer.tier); the position says which
        const at = / - (\d+):(\d+)$/.exec(msg);
        const line = at ? Number(at[1]) : 0;
        const column = at ? Number(at[2]) + 1 : 0;
        const where = at ? ` (${of}template line ${line}, column ${column}; an optional value needs {{#if …}} around it)` : '';
        throw new TemplateError(`the template uses "${missing[1]}", which is not provided${where}`, line, column, missing[1]);
      }
      throw new TemplateError(`template error: ${msg.split('\n')[0]}`, 0, 0);
    }
  };
}

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    readonly variable?: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

