/**
 * What a template reads, and whether Handlebars can read it: a walk over the Handlebars AST that
 * follows the scopes exactly as Handlebars 4.7 renders them (strict, knownHelpersOnly, noEscape)
 * and checks every path against the prompt's `inputs` schema.
 *
 * The semantics modelled (each checked against real renders by test/unit/template-scope-render.test.ts):
 * - Contexts: `{{#each}}` runs its body with each item as the context, `{{#with x}}` with x;
 *   `{{#if}}`/`{{#unless}}` and every `{{else}}` keep the context. `../` climbs one context
 *   (Handlebars pushes a depth only when the new context is another value: `{{#with this}}` does not).
 * - Lookups: a simple mustache (`{{a.b}}`) is strict: Handlebars throws unless the parent is truthy
 *   and has the last key (`"b" not defined in …`); helper arguments (`{{#if a.b}}`, `{{json a.b}}`)
 *   and block params (`as |item|`) are not: a missing last key reads as undefined. Every step
 *   before the last throws on null/undefined (`Cannot read properties of undefined`).
 * - Top-level inputs that are declared but absent are present as undefined (core/render.ts), so
 *   `{{x}}` renders them empty; nested values are not filled in.
 * - Data variables: `@index`, `@key`, `@first`, `@last` exist inside `{{#each}}` (`@../index`
 *   is the enclosing each's), `@root` everywhere.
 * - Guards: inside `{{#if p}}` (and `{{#with p}}`, `{{#each p}}`, the `{{else}}` of `{{#unless p}}`)
 *   p is truthy, so it and every step to it exist.
 *
 * A finding says whether Handlebars itself throws for some input the schema accepts
 * (`failsRender`), or whether the value can never be there (a typo like `{{#if this.speakr}}`,
 * which Handlebars would render as empty): render rejects both (core/render.ts), so validate's
 * verdict and render's outcome agree. Schemas with `$ref`s outside the inputs, combinators
 * (anyOf, allOf …) or no declared properties are "unknown": nothing below them is checked.
 *
 * Partials (issue 13) extend this walk: a `{{> name}}` is walked with the includer's scopes.
 */
import type { JsonSchema } from './types.js';
import { didYouMean } from './suggest.js';

type ProgramNode = hbs.AST.Program;
type AnyNode = hbs.AST.Node;
type PathNode = hbs.AST.PathExpression & { depth: number; data: boolean; parts: string[]; original: string };

export interface TemplatePos {
  /** 1-based line inside the template text */
  line: number;
  /** 1-based column inside the template text */
  column: number;
}

export interface TemplateVariable extends TemplatePos {
  name: string;
}

export type ScopeRule = 'input-undeclared' | 'template-optional' | 'template-path' | 'template-data-var' | 'template-helper-args';

export interface ScopeFinding extends TemplatePos {
  rule: ScopeRule;
  message: string;
  /** Handlebars throws for some input the inputs schema accepts (else: the value can never be present) */
  failsRender: boolean;
  /** for input-undeclared: the path as it would be named in the inputs ("examples[].speakr") */
  path?: string;
}

export interface ScopeAnalysis {
  /** top-level inputs used (first step of every path that reads the top-level context), in order of first use */
  vars: TemplateVariable[];
  /** problems below the top level (top-level names not declared are the caller's check: see vars) */
  findings: ScopeFinding[];
}

type Schema = Record<string, unknown>;

/** An abstract value: what the schema says of it, and what is known at this point of the template. */
interface Val {
  /** its schema, or null when nothing is known (no checks below it) */
  s: Schema | null;
  /** identity for guards (null: cannot be guarded) */
  key: string | null;
  /** how messages name it: "customer.name", "examples[]" */
  label: string;
  /** where its schema is, for messages: "inputs.properties.customer" */
  at: string;
  /** may be undefined or null here (an optional input, a nullable type) unless a guard says otherwise */
  nullish: 'no' | 'absent' | 'null';
  /** always undefined (a property that cannot exist, already reported) */
  never?: boolean;
  /** the top-level context: declared inputs are always present (filled in by render) */
  root?: boolean;
  /** primitive contexts compare by value when Handlebars decides whether a block pushes a depth */
  primitive?: boolean;
  /** the `length` of the list or string with this key (truthy where that one is) */
  lengthOf?: string;
  /** an item of the list with this key (an #each item, or list.[n]): it may be the very object another item of that list is */
  itemOf?: string;
}

const UNKNOWN_KEYS = ['allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'dependentSchemas', 'unevaluatedProperties', 'unevaluatedItems', '$dynamicRef'];
const PRIMITIVES = new Set(['string', 'number', 'integer', 'boolean', 'null']);
/** names a bare `{{name}}` calls as a helper (Handlebars' known helpers plus json) */
const BARE_HELPERS = new Set(['if', 'unless', 'each', 'with', 'json', 'helperMissing', 'blockHelperMissing']);
const EACH_DATA = new Set(['index', 'key', 'first', 'last']);
const SEP = '\u0000';

function isSchema(x: unknown): x is Schema {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}
function own(o: Schema, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

function locOf(node: AnyNode): TemplatePos {
  const loc = (node as { loc?: { start: { line: number; column: number } } }).loc;
  return loc ? { line: loc.start.line, column: loc.start.column + 1 } : { line: 1, column: 1 };
}

/** Follows a local `$ref` ("#/$defs/x") inside the inputs schema; null when it leads elsewhere. */
function deref(s: Schema, root: Schema | null): Schema | null {
  let cur: Schema = s;
  for (let hops = 0; hops < 16; hops++) {
    const ref = own(cur, '$ref');
    if (ref === undefined) return cur;
    if (typeof ref !== 'string' || !ref.startsWith('#/') || !root) return null;
    let node: unknown = root;
    for (const raw of ref.slice(2).split('/')) {
      const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      node = isSchema(node) ? own(node, seg) : undefined;
    }
    if (!isSchema(node)) return null;
    // siblings of $ref (2020-12 allows them) are not merged: unknown then
    if (Object.keys(cur).some((k) => k !== '$ref' && k !== 'description' && k !== 'title' && k !== '$comment')) return null;
    cur = node;
  }
  return null;
}

/** The JSON types a schema allows, or null when unknown. */
function typesOf(s: Schema | null): Set<string> | null {
  if (!s) return null;
  if (UNKNOWN_KEYS.some((k) => Object.hasOwn(s, k))) return null;
  const t = own(s, 'type');
  if (typeof t === 'string') return new Set([t]);
  if (Array.isArray(t) && t.every((x) => typeof x === 'string')) return new Set(t as string[]);
  if (own(s, 'properties') !== undefined || own(s, 'additionalProperties') !== undefined || own(s, 'required') !== undefined) return new Set(['object']);
  if (own(s, 'items') !== undefined) return new Set(['array']);
  return null;
}

function nullable(s: Schema | null): boolean {
  const t = typesOf(s);
  return t !== null && t.has('null');
}

/** "a string", "a number or null" */
function typeWords(t: Set<string>): string {
  const w = [...t].map((x) => (x === 'array' ? 'list' : x === 'integer' ? 'number' : x));
  const uniq = [...new Set(w)];
  const first = uniq[0]!;
  return `${/^[aeiou]/.test(first) ? 'an' : 'a'} ${uniq.join(' or ')}`;
}

export interface AnalyzeOptions {
  /**
   * The top-level names declared (inputs.properties); their values are present, possibly undefined.
   * Default: the keys of `inputs.properties`.
   */
  declared?: readonly string[];
}

/**
 * The scope analysis of a parsed template against the inputs schema (undefined or unusable:
 * only the top-level variables are collected).
 */
export function analyzeTemplate(ast: ProgramNode, inputs?: JsonSchema | null): ScopeAnalysis {
  const vars: TemplateVariable[] = [];
  const seen = new Set<string>();
  const findings: ScopeFinding[] = [];
  const rootSchema = isSchema(inputs) ? (inputs as Schema) : null;
  const root: Val = { s: rootSchema ? deref(rootSchema, rootSchema) : null, key: 'root', label: '', at: 'inputs', nullish: 'no', root: true };
  let blockId = 0;

  interface Frame {
    kind: 'root' | 'each';
    id: number;
  }
  interface State {
    /** contexts, innermost first (Handlebars' depths) */
    depths: Val[];
    /** data frames, innermost last */
    data: Frame[];
    /** block params, innermost first */
    params: Map<string, Val>[];
    /** keys known truthy */
    guards: Set<string>;
    /** keys known falsy (the {{else}} of {{#if x}}, the body of {{#unless x}}, an empty list's {{else}}) */
    falsy: Set<string>;
    /** false inside a body Handlebars never runs (each over a string …): nothing there fails a render */
    reachable: boolean;
  }

  const guarded = (st: State, v: Val): boolean => v.key !== null && st.guards.has(v.key);
  const isNullish = (st: State, v: Val): boolean => v.nullish !== 'no' && !guarded(st, v);
  const addVar = (name: string, node: AnyNode): void => {
    if (!seen.has(name)) {
      seen.add(name);
      vars.push({ name, ...locOf(node) });
    }
  };
  const report = (st: State, node: AnyNode, rule: ScopeRule, message: string, failsRender: boolean, path?: string): void => {
    findings.push({ rule, message, failsRender: failsRender && st.reachable, ...locOf(node), ...(path !== undefined ? { path } : {}) });
  };

  /** one property step: the child value and whether the parent certainly/maybe/never has it */
  const step = (v: Val, p: string, st?: State): { child: Val; has: 'yes' | 'maybe' | 'no' | 'unknown'; why?: string; undeclared?: boolean; topLevel?: boolean } => {
    const childKey = v.key === null ? null : `${v.key}${SEP}${p}`;
    const label = v.label ? `${v.label}.${p}` : p;
    const unknown = (): { child: Val; has: 'unknown' } => ({ child: { s: null, key: childKey, label, at: `${v.at}.properties.${p}`, nullish: 'no' }, has: 'unknown' });
    if (v.never) return { child: { s: null, key: null, label, at: v.at, nullish: 'absent', never: true }, has: 'no' };
    const types = typesOf(v.s);
    if (!types || !v.s) return unknown();
    const s = v.s;
    const nonNull = new Set([...types].filter((t) => t !== 'null'));
    if (v.root) {
      // the top level: declared means listed in inputs.properties (the caller reports the rest)
      const props = own(s, 'properties');
      if (isSchema(props) && Object.hasOwn(props, p)) {
        const cs = isSchema(props[p]) ? deref(props[p] as Schema, rootSchema) : null;
        const t = typesOf(cs);
        const nullish = !required(s, p) ? 'absent' : nullable(cs) ? 'null' : 'no';
        return { child: { s: cs, key: childKey, label, at: `inputs.properties.${p}`, nullish, primitive: t !== null && [...t].every((x) => PRIMITIVES.has(x)) }, has: 'yes' };
      }
      return { child: { s: null, key: null, label, at: 'inputs.properties', nullish: 'absent', never: true }, has: 'no', topLevel: true };
    }
    const make = (cs: unknown, at: string, has: 'yes' | 'maybe'): { child: Val; has: 'yes' | 'maybe' } => {
      const childSchema = isSchema(cs) ? deref(cs, rootSchema) : null;
      const nullish = has === 'maybe' ? 'absent' : nullable(childSchema) ? 'null' : 'no';
      const t = typesOf(childSchema);
      const primitive = t !== null && [...t].every((x) => PRIMITIVES.has(x));
      return { child: { s: childSchema, key: childKey, label, at, nullish, primitive }, has };
    };
    if (nonNull.size === 1 && nonNull.has('object')) {
      const props = own(s, 'properties');
      const addl = own(s, 'additionalProperties');
      if (isSchema(props) && Object.hasOwn(props, p)) {
        return make(props[p], `${v.at}.properties.${p}`, required(s, p) ? 'yes' : 'maybe');
      }
      const patterns = own(s, 'patternProperties');
      if (isSchema(patterns)) {
        for (const [pat, ps] of Object.entries(patterns)) {
          let re: RegExp;
          try {
            re = new RegExp(pat, 'u');
          } catch {
            return unknown();
          }
          if (re.test(p)) return make(ps, `${v.at}.patternProperties`, 'maybe');
        }
      }
      if (isSchema(addl)) {
        if (Object.keys(addl).length === 0) return unknown();
        return make(addl, `${v.at}.additionalProperties`, 'maybe');
      }
      if (addl === true || (!isSchema(props) && addl !== false)) return unknown(); // free-form
      const names = isSchema(props) ? Object.keys(props) : [];
      const s2 = didYouMean(p, names);
      const where = `${v.at}.properties`;
      return {
        child: { s: null, key: null, label, at: where, nullish: 'absent', never: true },
        has: 'no',
        undeclared: true,
        why: `the template uses "${label}", which is not declared in ${where}${s2 ? `; did you mean "${s2}"?` : names.length ? ` (declared: ${names.join(', ')})` : ''}`,
      };
    }
    if (nonNull.size === 1 && nonNull.has('array')) {
      const items = own(s, 'items');
      if (p === 'length') return { child: { s: { type: 'integer' }, key: childKey, label, at: v.at, nullish: 'no', primitive: true, ...(v.key ? { lengthOf: v.key } : {}) }, has: 'yes' };
      if (/^(0|[1-9]\d*)$/.test(p)) {
        if (own(s, 'prefixItems') !== undefined || !isSchema(items)) return unknown();
        const min = own(s, 'minItems');
        // a list that is truthy here ({{#if list}}, {{#each list}}) has a first item
        const nonEmpty = st !== undefined && v.key !== null && st.guards.has(v.key);
        const r = make(items, `${v.at}.items`, (typeof min === 'number' && Number(p) < min) || (nonEmpty && p === '0') ? 'yes' : 'maybe');
        if (v.key !== null) r.child.itemOf = v.key;
        return r;
      }
      return {
        child: { s: null, key: null, label, at: v.at, nullish: 'absent', never: true },
        has: 'no',
        why: `"${v.label || 'this'}" is a list, so it has no "${p}"; use {{#each ${v.label || 'this'}}} … {{/each}} to read its items`,
      };
    }
    if ([...nonNull].every((t) => PRIMITIVES.has(t)) && nonNull.size > 0) {
      // a helper argument reads a string's length and characters (a strict {{s.length}} throws):
      // reported, but there as values
      const str = nonNull.size === 1 && nonNull.has('string');
      const child: Val =
        str && p === 'length'
          ? { s: { type: 'integer' }, key: childKey, label, at: v.at, nullish: 'no', primitive: true, ...(v.key ? { lengthOf: v.key } : {}) }
          : str && /^(0|[1-9]\d*)$/.test(p)
            ? { s: { type: 'string' }, key: childKey, label, at: v.at, nullish: 'absent', primitive: true }
            : { s: null, key: null, label, at: v.at, nullish: 'absent', never: true };
      return {
        child,
        has: 'no',
        why: `"${v.label || 'this'}" is ${typeWords(nonNull)}, so it has no "${p}"`,
      };
    }
    return unknown();
  };

  /**
   * Resolves a path as Handlebars would. `strict`: the last step is a strict lookup (a simple
   * mustache). Returns the value, reporting what cannot be read.
   */
  const resolve = (st: State, node: PathNode, strict: boolean): Val => {
    const parts = node.parts;
    const orig = `{{${node.original}}}`;
    let v: Val;
    let start = 0;
    if (node.data) {
      // @root…, @index, @../index
      const frame = st.data[st.data.length - 1 - node.depth];
      const name = parts[0] ?? '';
      if (!frame) {
        report(st, node, 'template-data-var', `${orig} reaches past the outermost {{#each}}: there is no enclosing each ${node.depth} level${node.depth === 1 ? '' : 's'} up`, parts.length > 0 || strict);
        return { s: null, key: null, label: `@${name}`, at: '', nullish: 'absent', never: true };
      }
      if (name === 'root') {
        v = root;
        start = 1;
        if (parts.length === 1) return root;
        addVar(parts[1]!, node);
      } else if (EACH_DATA.has(name)) {
        if (frame.kind !== 'each') {
          report(st, node, 'template-data-var', `${orig}: @${name} is defined only inside {{#each}} … {{/each}}`, strict || parts.length > 1);
          return { s: null, key: null, label: `@${name}`, at: '', nullish: 'absent', never: true };
        }
        const s: Schema = name === 'index' ? { type: 'integer' } : name === 'key' ? { type: ['string', 'integer'] } : { type: 'boolean' };
        v = { s, key: `@${frame.id}${SEP}${name}`, label: `@${name}`, at: '', nullish: 'no', primitive: true };
        start = 1;
      } else {
        const s = didYouMean(name, ['root', ...EACH_DATA]);
        report(st, node, 'template-data-var', `${orig}: @${name} is not a data variable${s ? `; did you mean "@${s}"?` : ''} (@root everywhere; @index, @key, @first and @last inside {{#each}})`, strict || parts.length > 1);
        return { s: null, key: null, label: `@${name}`, at: '', nullish: 'absent', never: true };
      }
    } else {
      const scoped = /^\.|this\b/.test(node.original);
      const param = !node.depth && !scoped && parts.length > 0 ? st.params.find((m) => m.has(parts[0]!))?.get(parts[0]!) : undefined;
      if (param) {
        // block params: no strict lookup at the end (Handlebars resolves them without it)
        v = param;
        start = 1;
        strict = false;
      } else {
        const ctx = st.depths[node.depth];
        if (!ctx) {
          report(st, node, 'template-path', `${orig} climbs above the top level: there ${node.depth === 1 ? 'is no enclosing' : `are not ${node.depth} enclosing`} {{#each}} / {{#with}} here`, parts.length > 0);
          return { s: null, key: null, label: node.original, at: '', nullish: 'absent', never: true };
        }
        v = ctx;
        if (ctx.root && parts.length > 0) addVar(parts[0]!, node);
      }
    }
    let failed = false;
    let first: { why: string; rule: ScopeRule; undeclared?: string } | null = null;
    for (let i = start; i < parts.length; i++) {
      const p = parts[i]!;
      const last = i === parts.length - 1;
      const terminal = last && strict;
      // reading p from v: v must not be null/undefined (and, for a strict last step, truthy with p)
      if (v.never) failed = true;
      else if (isNullish(st, v)) {
        failed = true;
        if (!first) {
          const what = v.nullish === 'null' ? `"${v.label}" is null` : `"${v.label}" is absent (it is optional)`;
          const fix = v.nullish === 'null' ? `wrap it in {{#if ${pathTo(node, i)}}} … {{/if}}` : `wrap it in {{#if ${pathTo(node, i)}}} … {{/if}}, or make "${v.label.split('.').pop()}" required`;
          first = { why: `${orig} fails to render when ${what}: ${fix}`, rule: 'template-optional' };
        }
      }
      const r = step(v, p, st);
      if (r.has === 'no' && !v.never) {
        if (terminal) failed = true;
        if (!first && !r.topLevel) first = { why: r.why!, rule: r.undeclared ? 'input-undeclared' : 'template-path', ...(r.undeclared ? { undeclared: r.child.label } : {}) };
      } else if (terminal && !v.never) {
        const t = typesOf(v.s);
        const primitive = v.primitive || (t !== null && [...t].every((x) => PRIMITIVES.has(x)));
        if (primitive && r.has === 'unknown') failed = true;
        else if (r.has === 'maybe' && !guarded(st, r.child)) {
          failed = true;
          if (!first) {
            const container = v.label ? (v.label.endsWith('[]') ? `an item of "${v.label.slice(0, -2)}"` : `"${v.label}"`) : 'the inputs';
            first = { why: `${orig} fails to render when ${container} has no "${p}" (it is optional there): add "${p}" to ${v.at}.required, or wrap it in {{#if ${pathTo(node, i + 1)}}} … {{/if}}`, rule: 'template-optional' };
          }
        }
      }
      v = r.child;
    }
    if (first) report(st, node, first.rule, first.why, failed, first.undeclared);
    return v;
  };

  /** a param, hash value or sub-expression: lookups without a strict last step */
  const value = (st: State, n: AnyNode): Val | null => {
    switch (n.type) {
      case 'PathExpression':
        return resolve(st, n as PathNode, false);
      case 'SubExpression': {
        const sx = n as hbs.AST.SubExpression;
        helperArgs(st, sx, (sx.path as PathNode).original, sx.params.length, false);
        for (const x of sx.params) value(st, x as AnyNode);
        for (const pair of sx.hash?.pairs ?? []) value(st, pair.value as AnyNode);
        return { s: { type: 'string' }, key: null, label: '(json …)', at: '', nullish: 'no', primitive: true };
      }
      case 'StringLiteral':
        return { s: { type: 'string' }, key: null, label: JSON.stringify((n as hbs.AST.StringLiteral).value), at: '', nullish: 'no', primitive: true };
      case 'NumberLiteral':
        return { s: { type: 'number' }, key: null, label: String((n as hbs.AST.NumberLiteral).value), at: '', nullish: 'no', primitive: true };
      case 'BooleanLiteral':
        return { s: { type: 'boolean' }, key: null, label: String((n as hbs.AST.BooleanLiteral).value), at: '', nullish: 'no', primitive: true };
      case 'NullLiteral':
      case 'UndefinedLiteral':
        return { s: { type: 'null' }, key: null, label: n.type === 'NullLiteral' ? 'null' : 'undefined', at: '', nullish: 'null', primitive: true };
      default:
        return null;
    }
  };

  /** literal truthiness of a param, when it is a literal (undefined otherwise) */
  const literalTruth = (n: AnyNode | undefined): boolean | undefined => {
    if (!n) return undefined;
    if (n.type === 'BooleanLiteral') return (n as hbs.AST.BooleanLiteral).value;
    if (n.type === 'NullLiteral' || n.type === 'UndefinedLiteral') return false;
    if (n.type === 'NumberLiteral') return (n as hbs.AST.NumberLiteral).value !== 0;
    if (n.type === 'StringLiteral') return (n as hbs.AST.StringLiteral).value !== '';
    return undefined;
  };

  const helperArgs = (st: State, node: AnyNode, name: string, count: number, block = true): void => {
    if (!block && (name === 'if' || name === 'unless' || name === 'with' || name === 'each')) {
      report(st, node, 'template-helper-args', `${name} needs a block: write {{#${name} …}} … {{/${name}}}`, true);
    } else if (block && name === 'json' && node.type === 'BlockStatement') {
      report(st, node, 'template-helper-args', 'json is not a block helper: write {{json value}}', false);
    } else if ((name === 'if' || name === 'unless' || name === 'with') && count !== 1) {
      report(st, node, 'template-helper-args', `{{#${name}}} takes exactly one value (${count} given), e.g. {{#${name} name}} … {{/${name}}}`, true);
    } else if (name === 'each' && count !== 1) {
      report(st, node, 'template-helper-args', `{{#each}} takes exactly one list (${count} given), e.g. {{#each items}} … {{/each}}`, true);
    } else if (name === 'json' && count !== 1) {
      report(st, node, 'template-helper-args', `json takes exactly one value (${count} given), e.g. {{json name}}`, false);
    }
  };

  /**
   * What `{{#if v}}` would decide, when it is known: never-there values are falsy, objects that
   * are there truthy (even {}), guarded values truthy, and the length of a guarded list or string.
   */
  const truthOf = (st: State, v: Val): boolean | undefined => {
    if (v.never) return false;
    if (v.key !== null && st.falsy.has(v.key)) return false;
    if (v.lengthOf !== undefined && st.falsy.has(v.lengthOf)) return false;
    if (v.key !== null && st.guards.has(v.key)) return true;
    if (v.lengthOf !== undefined && st.guards.has(v.lengthOf)) return true;
    if (isNullish(st, v)) return undefined;
    const t = typesOf(v.s);
    return v.root === true || (t !== null && t.size === 1 && t.has('object')) ? true : undefined;
  };
  /** `{{#each v}}` certainly iterates: the top level (its declared inputs are all there), an object with required keys, a list known non-empty */
  const nonEmpty = (st: State, v: Val): boolean => {
    if (v.never || isNullish(st, v) || !v.s) return false;
    const t = typesOf(v.s);
    if (!t || t.size !== 1) return false;
    const props = own(v.s, 'properties');
    if (t.has('object')) return v.root ? isSchema(props) && Object.keys(props).length > 0 : Array.isArray(own(v.s, 'required')) && (own(v.s, 'required') as unknown[]).length > 0;
    if (t.has('array')) {
      const min = own(v.s, 'minItems');
      return (typeof min === 'number' && min >= 1) || guarded(st, v);
    }
    return false;
  };
  const withKey = (set: Set<string>, v: Val | null): Set<string> => (v?.key ? new Set([...set, v.key]) : set);

  const withGuards = (st: State, v: Val | null): Set<string> => {
    const g = new Set(st.guards);
    if (v?.key) {
      const segs = v.key.split(SEP);
      for (let i = 1; i <= segs.length; i++) g.add(segs.slice(0, i).join(SEP));
    }
    return g;
  };

  const visit = (node: AnyNode | null | undefined, st: State): void => {
    if (!node) return;
    switch (node.type) {
      case 'Program':
        for (const s of (node as ProgramNode).body) visit(s, st);
        break;
      case 'MustacheStatement': {
        const m = node as hbs.AST.MustacheStatement;
        const isHelper = m.params.length > 0 || (m.hash && m.hash.pairs.length > 0);
        if (m.path.type !== 'PathExpression') break; // {{"text"}}, {{12}}: a literal
        const pe = m.path as PathNode;
        const simple = pe.parts.length === 1 && !pe.depth && !pe.data && !/^\.|this\b/.test(pe.original);
        const isParam = simple && st.params.some((mp) => mp.has(pe.parts[0]!));
        if (isHelper) {
          helperArgs(st, m, pe.original, m.params.length, false);
          for (const x of m.params) value(st, x as AnyNode);
          for (const pair of m.hash?.pairs ?? []) value(st, pair.value as AnyNode);
        } else if (simple && !isParam && BARE_HELPERS.has(pe.parts[0]!)) {
          const name = pe.parts[0]!;
          if (name === 'json') report(st, m, 'template-helper-args', '{{json}} needs a value: {{json name}}', false);
          else if (name === 'helperMissing' || name === 'blockHelperMissing') report(st, m, 'template-helper-args', `{{${name}}} is a Handlebars internal, not a variable`, true);
          else report(st, m, 'template-helper-args', `{{${name}}} is the ${name} helper without a value; write {{#${name} value}} … {{/${name}}}${name === 'if' || name === 'each' || name === 'with' || name === 'unless' ? ` (to print an input named "${name}", use {{this.${name}}})` : ''}`, true);
        } else resolve(st, pe, true);
        break;
      }
      case 'BlockStatement': {
        const b = node as hbs.AST.BlockStatement;
        const name = b.path.type === 'PathExpression' ? (b.path as PathNode).original : '';
        helperArgs(st, b, name, b.params.length);
        const arg = b.params[0] as AnyNode | undefined;
        const v = arg ? value(st, arg) : null;
        for (const x of b.params.slice(1)) value(st, x as AnyNode);
        for (const pair of b.hash?.pairs ?? []) value(st, pair.value as AnyNode);
        const program = b.program as ProgramNode | undefined;
        const inverse = b.inverse as ProgramNode | undefined;
        const bp = program?.blockParams ?? [];
        const includeZero = b.hash?.pairs.some((pair) => pair.key === 'includeZero');
        const truth = v ? truthOf(st, v) : undefined;
        const literal = includeZero && arg?.type === 'NumberLiteral' ? undefined : literalTruth(arg);
        const known = truth ?? literal;
        if (name === 'if' || name === 'unless') {
          const thenTruthy = name === 'if';
          const truthy = { guards: withGuards(st, v), falsy: st.falsy };
          const falsy = { guards: st.guards, falsy: withKey(st.falsy, v) };
          const body = { ...st, ...(thenTruthy ? truthy : falsy), reachable: st.reachable && known !== !thenTruthy };
          const other = { ...st, ...(thenTruthy ? falsy : truthy), reachable: st.reachable && known !== thenTruthy };
          visit(program, body);
          visit(inverse, other);
        } else if (name === 'with') {
          const ctx: Val = v ? { ...v, nullish: 'no' } : { s: null, key: null, label: '', at: '', nullish: 'no' };
          // Handlebars pushes a depth when the new context is another value (`context != depths[0]`):
          // `{{#with this}}` does not. Two primitives that happen to be loosely equal do not either;
          // that is taken as the exception it is (the depth is pushed here)
          const same = v !== null && v.key !== null && v.key === st.depths[0]?.key;
          // list.[n] inside {{#each list}}: the very object of one iteration (no depth), another in the rest
          const alias = v?.itemOf !== undefined && v.itemOf === st.depths[0]?.itemOf;
          const depthsList = same ? [st.depths] : alias ? [[ctx, ...st.depths], [ctx, ...st.depths.slice(1)]] : [[ctx, ...st.depths]];
          const params = bp.length ? [new Map([[bp[0]!, ctx]]), ...st.params] : st.params;
          // #with skips its body for empty values, and 0 is not empty (a falsy number may be 0)
          const t = v ? typesOf(v.s) : null;
          const maybeZero = (arg?.type === 'NumberLiteral' && (arg as hbs.AST.NumberLiteral).value === 0) || (literal === undefined && !v?.never && (t === null || t.has('number') || t.has('integer')));
          const runs = known !== false || maybeZero;
          for (const depths of depthsList) visit(program, { ...st, depths, params, guards: withGuards(st, v), reachable: st.reachable && runs });
          visit(inverse, { ...st, falsy: withKey(st.falsy, v) });
        } else if (name === 'each') {
          const id = ++blockId;
          const it = eachItems(st, v, id, b);
          for (const item of it.items) {
            // {{#each list}} inside an item of that same list meets that item again: that iteration
            // pushes no depth, the others do. (An item loosely equal to a primitive context, "a" in
            // {{#each ../tags}} inside an item "a", pushes none either: taken as the exception it is.)
            const alias = v?.key !== null && v?.key !== undefined && v.key === st.depths[0]?.itemOf;
            const depthsList = alias ? [[item, ...st.depths], [item, ...st.depths.slice(1)]] : [[item, ...st.depths]];
            const params = new Map<string, Val>();
            if (bp[0] !== undefined) params.set(bp[0], item);
            if (bp[1] !== undefined) params.set(bp[1], { s: { type: ['string', 'integer'] }, key: null, label: bp[1], at: '', nullish: 'no', primitive: true });
            for (const depths of depthsList) {
              visit(program, { depths, data: [...st.data, { kind: 'each', id }], params: bp.length ? [params, ...st.params] : st.params, guards: withGuards(st, v), falsy: st.falsy, reachable: st.reachable && it.runs && known !== false });
            }
          }
          // the {{else}} of a list runs when it is empty or absent (an object's {{else}} may be {} , which is truthy)
          const t = v ? typesOf(v.s) : null;
          const isList = t !== null && t.has('array') && [...t].every((x) => x === 'array' || x === 'null');
          visit(inverse, { ...st, falsy: isList ? withKey(st.falsy, v) : st.falsy, reachable: st.reachable && !(v && nonEmpty(st, v)) });
        } else {
          // unknown helpers are template-unknown-helper problems (checkHelpers); walk for variables
          visit(program, st);
          visit(inverse, st);
        }
        break;
      }
      default:
        break;
    }
  };

  /** the item of `{{#each v}}`, and whether the body can run at all */
  /**
   * The items `{{#each v}}` runs its body with, and whether it runs at all. A list has one kind of
   * item; a map (an object) one per schema its values may have: each iterates every value, so
   * the body is walked once per kind (a declared property, additionalProperties, anything else).
   */
  const eachItems = (st: State, v: Val | null, id: number, b: hbs.AST.BlockStatement): { items: Val[]; runs: boolean } => {
    const unknownItem: Val = { s: null, key: v?.key ? `${v.key}[]#${id}` : null, label: v?.label ? `${v.label}[]` : '[]', at: v ? `${v.at}.items` : '', nullish: 'no' };
    const itemOf = (cs: unknown, over: Partial<Val> = {}): Val => {
      const is = isSchema(cs) ? deref(cs, rootSchema) : null;
      const t = typesOf(is);
      return { ...unknownItem, s: is, nullish: nullable(is) ? 'null' : 'no', primitive: t !== null && [...t].every((x) => PRIMITIVES.has(x)), ...over };
    };
    if (!v || v.never) return { items: [unknownItem], runs: !v?.never };
    const t = typesOf(v.s);
    if (!t || !v.s) return { items: [unknownItem], runs: true };
    const nonNull = new Set([...t].filter((x) => x !== 'null'));
    if (nonNull.size === 1 && nonNull.has('array')) {
      const items = own(v.s, 'items');
      const item = own(v.s, 'prefixItems') === undefined ? itemOf(items) : unknownItem;
      return { items: [v.key !== null ? { ...item, itemOf: v.key } : item], runs: true };
    }
    if (nonNull.size === 1 && nonNull.has('object')) {
      const props = own(v.s, 'properties');
      const addl = own(v.s, 'additionalProperties');
      const label = v.label ? `${v.label}.*` : '*';
      const kinds = new Map<string, Val>();
      const add = (cs: unknown, nullish?: Val['nullish']): void => {
        const item = itemOf(cs, { label, at: v.at });
        if (nullish === 'absent') item.nullish = 'absent';
        kinds.set(`${JSON.stringify(cs)}\0${item.nullish}`, item);
      };
      if (isSchema(props)) {
        // the top level holds its optional inputs as undefined: each meets them as values
        for (const [k, cs] of Object.entries(props)) add(cs, v.root && !required(v.s, k) ? 'absent' : undefined);
      }
      if (isSchema(addl)) add(addl);
      else if (addl !== false && !v.root) kinds.set('?', { ...unknownItem, label });
      if (kinds.size === 0 || kinds.size > 8) return { items: [{ ...unknownItem, label }], runs: true };
      return { items: [...kinds.values()], runs: true };
    }
    if ([...nonNull].every((x) => PRIMITIVES.has(x))) {
      report(st, b, 'template-path', `{{#each ${(b.params[0] as PathNode | undefined)?.original ?? ''}}}: "${v.label}" is ${typeWords(nonNull.size ? nonNull : t)}; #each needs a list or an object (its body never runs)`, false);
      return { items: [unknownItem], runs: false };
    }
    return { items: [unknownItem], runs: true };
  };
  visit(ast, { depths: [root], data: [{ kind: 'root', id: 0 }], params: [], guards: new Set(), falsy: new Set(), reachable: true });
  // a body walked once per kind of item may report a place more than once
  const merged = new Map<string, ScopeFinding>();
  for (const f of findings) {
    const k = `${f.line}:${f.column}:${f.rule}:${f.message}`;
    const prev = merged.get(k);
    if (prev) prev.failsRender ||= f.failsRender;
    else merged.set(k, f);
  }
  return { vars, findings: [...merged.values()] };
}

function required(s: Schema, p: string): boolean {
  const r = own(s, 'required');
  return Array.isArray(r) && r.includes(p);
}

/** The path text up to step `n` of its parts ("this.customer" of "this.customer.name"), for hints. */
function pathTo(node: PathNode, n: number): string {
  const prefix = node.data ? `@${'../'.repeat(node.depth)}` : /^this\b|^\./.test(node.original) ? 'this.' : '../'.repeat(node.depth);
  const parts = node.parts.slice(0, n);
  return `${prefix}${parts.join('.')}`;
}
