/**
 * Partials (SPEC §14) at render time and in static analysis. A file includes a partial by the
 * name it declares under `uses:` (`{{> tone}}` with `uses: { tone: shared/tone@1.2.0 }`); the
 * partial sees the including template's variables; partials may include partials of their own
 * `uses:`. Names are scoped per file: two files of one closure may bind the same name to
 * different partials.
 *
 * Rendering: each partial is compiled once from the text resolution gave it, and called through
 * a function that renders it with its own `uses:` in scope. Handlebars sees no other partial:
 * nothing is ever registered on the environment, and the map a template renders with holds
 * exactly its declared names.
 *
 * Analysis: what a template uses through its includes is what each partial's template uses at
 * the root (templateVariables), or only what climbs to the root (`@root.x`) when the include
 * sits inside an {{#each}}/{{#with}} body, transitively. The same function answers render's
 * "undeclared" list and validate's cross-file check.
 */
import type { JsonSchema, UsesMap } from './types.js';
import { compileRaw, parseTemplate, templateIncludes, templateVariables, TemplateError, type IncludeSite, type RawTemplate, type TemplateProblem, type TemplateVariable } from './template.js';

/** What rendering and analysis need of one partial version: its text, its own uses and inputs. */
export interface PartialSpec {
  template: string;
  uses: UsesMap;
  inputs?: JsonSchema;
}

/** The partials a template may include: its file's (effective) uses and every partial of the closure, by `<id>@<version>`. */
export interface TemplateLibrary {
  uses: UsesMap;
  partials: Readonly<Record<string, PartialSpec>>;
}

/** How deep partials may include partials (a partial included by a template is depth 1). */
export const MAX_PARTIAL_DEPTH = 8;

const own = <T>(o: Readonly<Record<string, T>>, k: string): T | undefined => (Object.hasOwn(o, k) ? o[k] : undefined);

/**
 * The partials map a template of `lib` renders with: for each declared name, a function that
 * renders that partial with its own uses in scope. Throws TemplateError for a partial that is
 * missing from the library, does not compile, includes an undeclared name, or nests in a cycle
 * or beyond MAX_PARTIAL_DEPTH (resolution refuses all of these before; this is the last guard).
 */
export function partialFunctions(lib: TemplateLibrary): Record<string, RawTemplate> {
  const made = new Map<string, RawTemplate>();
  const scopeOf = (uses: UsesMap, stack: string[]): Record<string, RawTemplate> => {
    const scope: Record<string, RawTemplate> = Object.create(null) as Record<string, RawTemplate>;
    for (const [name, key] of Object.entries(uses)) scope[name] = fnOf(key, stack);
    return scope;
  };
  const fnOf = (key: string, stack: string[]): RawTemplate => {
    const have = made.get(key);
    if (have) return have;
    if (stack.includes(key)) throw new TemplateError(`partials include each other in a cycle: ${[...stack, key].join(' -> ')}`, 0, 0);
    if (stack.length >= MAX_PARTIAL_DEPTH) throw new TemplateError(`partials nest deeper than ${MAX_PARTIAL_DEPTH} levels: ${[...stack, key].join(' -> ')}`, 0, 0);
    const spec = own(lib.partials, key);
    if (!spec) throw new TemplateError(`partial ${key} is not part of the resolved prompt`, 0, 0);
    let inner: RawTemplate;
    try {
      inner = compileRaw(spec.template, spec.uses);
    } catch (e) {
      throw new TemplateError(`partial ${key}: ${e instanceof Error ? e.message : String(e)}`, 0, 0);
    }
    const scope = scopeOf(spec.uses, [...stack, key]);
    const fn: RawTemplate = (context, options) => {
      try {
        return inner(context, { ...options, partials: scope });
      } catch (e) {
        // the innermost partial names where the positions of the error are
        if (e && typeof e === 'object' && !('promptrailPartial' in e)) (e as { promptrailPartial?: string }).promptrailPartial = key;
        throw e;
      }
    };
    made.set(key, fn);
    return fn;
  };
  return scopeOf(lib.uses, []);
}

/** What analysis needs of one partial: its root variables, what reaches the root from inside a block, its includes. */
export interface PartialFacts {
  /** variables of the root context, as templateVariables gives them */
  vars: TemplateVariable[];
  /** the same when included inside an {{#each}}/{{#with}} body: only `@root.x` (and `../` climbs) */
  rootVars: TemplateVariable[];
  sites: IncludeSite[];
  uses: UsesMap;
  /** inputs.required of the partial */
  required: string[];
}

const factsMemo = new Map<string, PartialFacts | { problem: TemplateProblem }>();

/** The facts of a partial's template (memoized by text), or its parse problem. */
export function partialFacts(spec: PartialSpec): PartialFacts | { problem: TemplateProblem } {
  let base = factsMemo.get(spec.template);
  if (!base) {
    const parsed = parseTemplate(spec.template);
    base = 'problem' in parsed ? parsed : { vars: templateVariables(parsed.ast), rootVars: templateVariables(parsed.ast, 1), sites: templateIncludes(parsed.ast), uses: {}, required: [] };
    if (factsMemo.size > 10_000) factsMemo.clear();
    factsMemo.set(spec.template, base);
  }
  if ('problem' in base) return base;
  const req = spec.inputs?.required;
  return { ...base, uses: spec.uses, required: Array.isArray(req) ? req.filter((r): r is string => typeof r === 'string') : [] };
}

/** A variable a template uses through a partial. */
export interface IncludedVariable extends TemplateVariable {
  /** `<id>@<version>` of the partial whose template uses it (line/column are in that template) */
  partial: string;
  /** the include in the template analyzed that leads there */
  via: IncludeSite;
}

/** An input a partial reached from the root context requires. */
export interface IncludedRequirement {
  name: string;
  partial: string;
  via: IncludeSite;
}

/**
 * Walks the partials a template's includes reach: `visit(key, nested, via)` for each partial
 * reached (once per key and nesting), with `nested` true once any include on the way sits
 * inside a block that changes the context. Names that are not declared, partials without facts
 * and cycles end the walk there (resolution and validate report them).
 */
function walk(sites: readonly IncludeSite[], uses: UsesMap, factsOf: (key: string) => PartialFacts | undefined, visit: (key: string, f: PartialFacts, nested: boolean, via: IncludeSite) => void): void {
  const seen = new Set<string>();
  const go = (key: string, nested: boolean, via: IncludeSite, stack: string[]): void => {
    const mark = `${nested ? 1 : 0}${key}`;
    if (seen.has(mark) || stack.includes(key) || stack.length >= MAX_PARTIAL_DEPTH) return;
    seen.add(mark);
    const f = factsOf(key);
    if (!f) return;
    visit(key, f, nested, via);
    for (const s of f.sites) {
      const child = own(f.uses, s.name);
      if (child !== undefined) go(child, nested || s.nested, via, [...stack, key]);
    }
  };
  for (const s of sites) {
    const key = own(uses, s.name);
    if (key !== undefined) go(key, s.nested, s, []);
  }
}

/** The root variables a template uses through its includes (each name once, first use first). */
export function includedVariables(sites: readonly IncludeSite[], uses: UsesMap, factsOf: (key: string) => PartialFacts | undefined): IncludedVariable[] {
  const out: IncludedVariable[] = [];
  const names = new Set<string>();
  walk(sites, uses, factsOf, (key, f, nested, via) => {
    for (const v of nested ? f.rootVars : f.vars) {
      if (names.has(v.name)) continue;
      names.add(v.name);
      out.push({ ...v, partial: key, via });
    }
  });
  return out;
}

/** The inputs required by the partials a template includes from its root context (nested includes see items, not inputs). */
export function includedRequirements(sites: readonly IncludeSite[], uses: UsesMap, factsOf: (key: string) => PartialFacts | undefined): IncludedRequirement[] {
  const out: IncludedRequirement[] = [];
  const names = new Set<string>();
  walk(sites, uses, factsOf, (key, f, nested, via) => {
    if (nested) return;
    for (const name of f.required) {
      if (names.has(name)) continue;
      names.add(name);
      out.push({ name, partial: key, via });
    }
  });
  return out;
}

/** The facts of every partial of a library, by key (parse problems left out: compiling reports them). */
export function libraryFacts(lib: TemplateLibrary): (key: string) => PartialFacts | undefined {
  const memo = new Map<string, PartialFacts | undefined>();
  return (key) => {
    if (memo.has(key)) return memo.get(key);
    const spec = own(lib.partials, key);
    const f = spec ? partialFacts(spec) : undefined;
    const facts = f && !('problem' in f) ? f : undefined;
    memo.set(key, facts);
    return facts;
  };
}

type Node = hbs.AST.Node;

/**
 * Paths of a partial's template that climb out of it with `../` (more levels than the blocks
 * around them): Handlebars renders a partial in its own scope, so such a path reads nothing the
 * line suggests. validate refuses them (`partial-scope`).
 */
export function climbingPaths(ast: hbs.AST.Program): { original: string; line: number; column: number }[] {
  const out: { original: string; line: number; column: number }[] = [];
  const path = (p: Node | null | undefined, depth: number): void => {
    if (!p) return;
    if (p.type === 'SubExpression') {
      const s = p as hbs.AST.SubExpression;
      for (const x of s.params) path(x as Node, depth);
      for (const pair of s.hash?.pairs ?? []) path(pair.value as Node, depth);
      return;
    }
    const pe = p as hbs.AST.PathExpression & { depth?: number; data?: boolean };
    if (p.type === 'PathExpression' && !pe.data && (pe.depth ?? 0) > depth) {
      out.push({ original: pe.original, line: p.loc?.start.line ?? 1, column: (p.loc?.start.column ?? 0) + 1 });
    }
  };
  const visit = (node: Node | null | undefined, depth: number): void => {
    if (!node) return;
    if (node.type === 'Program') for (const s of (node as hbs.AST.Program).body) visit(s, depth);
    else if (node.type === 'MustacheStatement' || node.type === 'BlockStatement') {
      const m = node as hbs.AST.MustacheStatement | hbs.AST.BlockStatement;
      path(m.path as Node, depth);
      for (const x of m.params) path(x as Node, depth);
      for (const pair of m.hash?.pairs ?? []) path(pair.value as Node, depth);
      if (node.type === 'BlockStatement') {
        const b = node as hbs.AST.BlockStatement;
        const helper = b.path.type === 'PathExpression' ? (b.path as hbs.AST.PathExpression).original : '';
        visit(b.program, helper === 'each' || helper === 'with' ? depth + 1 : depth);
        visit(b.inverse, depth);
      }
    }
  };
  visit(ast, 0);
  return out;
}
