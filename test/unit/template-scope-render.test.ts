/**
 * validate's verdict on a template agrees with what rendering it does, checked by rendering
 * generated templates with Handlebars itself.
 *
 * For each generated (inputs schema, template): `prompts validate`'s per-file check of the
 * version file (the real check, fast scanner included) and renders of several inputs the schema
 * accepts (the fullest, the emptiest, present-but-sparse objects, random ones):
 * - validate reports no template error ⇔ the prompt renders (core/render.ts compilePrompt, what
 *   eval, render and the SDK use) for every one of those inputs;
 * - and against raw Handlebars (strict, knownHelpersOnly, noEscape; declared top-level inputs
 *   filled in as render does): a finding that says Handlebars throws (`failsRender`) has an input
 *   on which it throws, and a template without such findings renders every input.
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { checkFileAsync } from '../../src/validate/checks/index.js';
import { compilePrompt, compileUserSchema, renderContext } from '../../src/core/render.js';
import { analyzeTemplate, COMPILE_OPTIONS, parseTemplate } from '../../src/core/template.js';

const requireCjs = createRequire(import.meta.url);
const Handlebars = requireCjs('handlebars') as typeof import('handlebars');
const raw = Handlebars.create();
raw.registerHelper('json', (v: unknown) => JSON.stringify(v ?? null));

type S = Record<string, unknown>;
const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);

function generator(seed: number) {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const chance = (p: number): boolean => next() < p;
  const subset = (xs: string[]): string[] => xs.filter(() => chance(0.5));

  const leaf = (): S => (chance(0.15) ? { type: [pick(['string', 'number']), 'null'] } : { type: pick(['string', 'string', 'number', 'boolean']) });
  const object = (names: string[], depth: number): S => {
    const properties: S = {};
    for (const n of names) properties[n] = depth < 2 && chance(0.3) ? object(['w', 'v'], depth + 1) : leaf();
    // closed: an open object's other values could be anything, and inputs would need them to witness a failure
    return { type: 'object', properties, required: subset(names), additionalProperties: false };
  };
  const schema = (): S => {
    const pool = ['name', 'tier', 'customer', 'examples', 'tags', 'count', 'flag', 'meta'];
    const names = pool.filter(() => chance(0.55));
    if (names.length === 0) names.push('name');
    const properties: S = {};
    for (const n of names) {
      const k = pick(['leaf', 'leaf', 'object', 'array-of-leaf', 'array-of-object', 'map']);
      if (k === 'leaf') properties[n] = leaf();
      else if (k === 'object') properties[n] = object(['x', 'y', 'z'], 0);
      else if (k === 'array-of-leaf') properties[n] = { type: 'array', items: { type: 'string' } };
      else if (k === 'array-of-object') properties[n] = { type: 'array', items: object(['q', 'r'], 1) };
      else properties[n] = { type: 'object', additionalProperties: { type: 'string' } };
    }
    return { type: 'object', properties, required: subset(names), additionalProperties: false };
  };

  /** names a template may read at a context of schema `s` (declared ones, near misses, strangers) */
  const namesAt = (s: S | null): string[] => {
    const props = s && typeof s.properties === 'object' ? Object.keys(s.properties as S) : [];
    const typo = props.map((p) => (p.length > 2 ? p.slice(0, -1) + 'x' : `${p}q`));
    return chance(0.85) && props.length ? props : [...typo, 'zz', 'length'];
  };
  const childOf = (s: S | null, n: string): S | null => {
    const props = s && (s.properties as S | undefined);
    const c = props && Object.hasOwn(props, n) ? (props[n] as S) : null;
    return c;
  };
  const kind = (s: S | null): string => {
    if (!s) return 'unknown';
    const t = Array.isArray(s.type) ? s.type[0] : s.type;
    return typeof t === 'string' ? t : 'unknown';
  };

  interface Ctx {
    s: S | null;
    /** enclosing contexts' schemas, innermost first */
    up: (S | null)[];
    inEach: boolean;
    params: string[];
  }

  /** a path read at `c`, with a schema guess for what it names */
  const path = (c: Ctx): { text: string; s: S | null } => {
    const r = next();
    if (r < 0.45) {
      const n = pick(namesAt(c.s));
      const prefix = chance(0.3) ? 'this.' : '';
      const child = childOf(c.s, n);
      if (child && kind(child) === 'object' && chance(0.5)) {
        const m = pick(namesAt(child));
        return { text: `${prefix}${n}.${m}`, s: childOf(child, m) };
      }
      return { text: `${prefix}${n}`, s: child };
    }
    if (r < 0.6 && c.up.length) {
      const d = chance(0.8) ? 1 : 2;
      const target = c.up[d - 1] ?? null;
      const n = pick(namesAt(target ?? c.up[c.up.length - 1]!));
      return { text: `${'../'.repeat(d)}${n}`, s: childOf(target, n) };
    }
    if (r < 0.66) return { text: c.inEach && chance(0.7) ? pick(['@index', '@key', '@first', '@last']) : pick(['@index', '@../index', '@idx', '@root']), s: null };
    if (r < 0.78) {
      const root = c.up.length ? c.up[c.up.length - 1]! : c.s;
      const n = pick(namesAt(root));
      return { text: `@root.${n}`, s: childOf(root, n) };
    }
    if (r < 0.88 && c.params.length) {
      const p = pick(c.params);
      return chance(0.5) ? { text: p, s: null } : { text: `${p}.${pick(['q', 'r', 'x', 'qq', 'w'])}`, s: null };
    }
    if (r < 0.93) {
      const text = pick(['this', 'examples.length', 'tags.[0]', 'examples.[0].q']);
      return { text, s: text === 'this' ? c.s : null };
    }
    const n = pick(namesAt(c.s));
    return { text: n, s: childOf(c.s, n) };
  };

  const template = (c: Ctx, depth: number): string => {
    let out = '';
    const n = 1 + Math.floor(next() * 3);
    for (let k = 0; k < n; k++) {
      const r = next();
      // no blocks where the context may be a primitive (unknown counts): two primitives that are
      // loosely equal make Handlebars skip a depth, which the analysis takes as the exception
      const primitiveCtx = c.s === null || !['object', 'array'].includes(kind(c.s));
      if (r < 0.2) out += pick(['text ', '\n', 'Q: ', ' — ']);
      else if (r < 0.55 || depth >= 3 || primitiveCtx) {
        if (primitiveCtx && chance(0.6)) out += `{{${pick(['this', '.', 'this.x'])}}}`;
        else out += chance(0.15) ? `{{json ${path(c).text}}}` : `{{${path(c).text}}}`;
      } else if (r < 0.7) {
        const h = pick(['if', 'if', 'unless']);
        const p = path(c);
        out += `{{#${h} ${p.text}}}${template(c, depth + 1)}${chance(0.3) ? `{{else}}${template(c, depth + 1)}` : ''}{{/${h}}}`;
      } else if (r < 0.88) {
        const p = path(c);
        const items = p.s && kind(p.s) === 'array' ? ((p.s.items as S) ?? null) : p.s && kind(p.s) === 'object' && p.s.additionalProperties ? (p.s.additionalProperties as S) : null;
        const bp = chance(0.3) ? ['it', 'i'] : [];
        const inner: Ctx = { s: items, up: [c.s, ...c.up], inEach: true, params: [...bp, ...c.params] };
        out += `{{#each ${p.text}${bp.length ? ' as |it i|' : ''}}}${template(inner, depth + 1)}${chance(0.2) ? `{{else}}${template(c, depth + 1)}` : ''}{{/each}}`;
      } else {
        const p = path(c);
        const inner: Ctx = { s: p.s, up: p.text === 'this' ? c.up : [c.s, ...c.up], inEach: c.inEach, params: chance(0.2) ? ['w', ...c.params] : c.params };
        const bp = inner.params[0] === 'w' && inner.params !== c.params ? ' as |w|' : '';
        out += `{{#with ${p.text}${bp}}}${template(inner, depth + 1)}{{/with}}`;
      }
    }
    return out;
  };

  /**
   * A value the schema accepts; `mode` shapes it: every key (full), only required ones (empty),
   * containers but no optional leaves (sparse), every key with falsy leaves and empty maps
   * (falsy: the {{else}} branches), or at random.
   */
  const value = (s: S | null, mode: 'full' | 'empty' | 'sparse' | 'falsy' | 'random'): unknown => {
    if (!s) return 'v';
    const t = Array.isArray(s.type) ? (mode === 'random' && chance(0.3) ? 'null' : s.type[0]) : s.type;
    switch (t) {
      case 'null':
        return null;
      case 'string':
        return mode === 'random' ? pick(['', 'a', 'text']) : mode === 'falsy' ? '' : 'text';
      case 'number':
        return mode === 'random' ? pick([0, 1, 2.5]) : mode === 'falsy' ? 0 : 1;
      case 'boolean':
        return mode === 'random' ? chance(0.5) : mode !== 'falsy';
      case 'array': {
        const len = mode === 'full' || mode === 'sparse' || mode === 'falsy' ? 2 : mode === 'empty' ? 0 : Math.floor(next() * 3);
        return Array.from({ length: len }, () => value((s.items as S) ?? null, mode));
      }
      case 'object': {
        const o: Record<string, unknown> = {};
        const props = (s.properties as S | undefined) ?? {};
        const req = (s.required as string[] | undefined) ?? [];
        for (const [k, ps] of Object.entries(props)) {
          const container = ['object', 'array'].includes(kind(ps as S));
          const include = req.includes(k) || mode === 'full' || mode === 'falsy' || (mode === 'sparse' && container) || (mode === 'random' && chance(0.5));
          if (include) o[k] = value(ps as S, mode);
        }
        // map keys: the names templates read at a map (namesAt), so a read of one has inputs with it
        if (s.additionalProperties && typeof s.additionalProperties === 'object' && mode !== 'empty' && mode !== 'falsy') {
          for (const k of mode === 'random' ? (chance(0.3) ? [] : subset(['k1', 'zz', 'length', '0'])) : ['k1', 'zz', 'length', '0']) o[k] = value(s.additionalProperties as S, mode);
        }
        return o;
      }
      default:
        return 'v';
    }
  };
  return { schema, template: (s: S) => template({ s, up: [], inEach: false, params: [] }, 0), value, next };
}

const CTX = { providers: ['offline'], environments: null, promptsDir: 'prompts' };
const TEMPLATE_RULES = /^(input-undeclared|template-)/;

async function validateErrors(schema: S, template: string): Promise<{ rule: string; message: string }[]> {
  const yaml = `id: t\nversion: 1.0.0\nmodel: { provider: offline, name: echo }\ninputs: ${JSON.stringify(schema)}\ntemplate: ${JSON.stringify(template)}\n`;
  const out = await checkFileAsync('prompt', 'prompts/t/1.0.0.yaml', Buffer.from(yaml), CTX);
  const errors = out.problems.filter((p) => p.severity === 'error');
  const other = errors.filter((e) => !TEMPLATE_RULES.test(e.rule));
  if (other.length) throw new Error(`the generator made a bad version file: ${JSON.stringify(other)}\n${yaml}`);
  return errors;
}

function renders(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

describe('validate sees what render will do (differential against Handlebars)', () => {
  it('over generated templates and schemas, validate errors exactly when some valid input fails to render', async () => {
    const g = generator(Number(process.env.SCOPE_SEED ?? 7));
    let withErrors = 0;
    let clean = 0;
    let rawFailures = 0;
    // a few schemas, many templates each (ajv compiles each schema once)
    const schemas = Array.from({ length: 40 }, () => g.schema());
    for (let n = 0; n < Number(process.env.SCOPE_N ?? 500); n++) {
      const schema = schemas[n % schemas.length]!;
      const template = g.template(schema);
      const parsed = parseTemplate(template);
      if ('problem' in parsed) continue;
      const inputs: unknown[] = [g.value(schema, 'full'), g.value(schema, 'empty'), g.value(schema, 'sparse'), g.value(schema, 'falsy')];
      for (let k = 0; k < 24; k++) inputs.push(g.value(schema, 'random'));
      const valid = compileUserSchema(schema);
      for (const i of inputs) expect(valid(i), JSON.stringify({ schema, i })).toBe(true);

      const errors = await validateErrors(schema, template);
      const compiled = compilePrompt({ template, inputs: schema });
      const outcomes = inputs.map((i) => renders(() => compiled.render(i as Record<string, unknown>)));
      const label = JSON.stringify({ template, schema, errors: errors.map((e) => e.message), outcomes, inputs });
      if (errors.length === 0) {
        clean++;
        expect(outcomes.every(Boolean), label).toBe(true);
      } else {
        withErrors++;
        expect(outcomes.some((o) => !o), label).toBe(true);
      }

      // raw Handlebars: the analysis says which findings Handlebars itself throws on
      const analysis = analyzeTemplate(parsed.ast, schema);
      const declared = Object.keys(schema.properties as S);
      if (analysis.vars.some((v) => !declared.includes(v.name))) continue; // a top-level typo: strict or not depends on where
      const fn = raw.compile(template, COMPILE_OPTIONS);
      const rawOutcomes = inputs.map((i) => {
        return renders(() => fn(renderContext(declared, i as Record<string, unknown>)));
      });
      const expectFailure = analysis.findings.some((f) => f.failsRender);
      const rawLabel = JSON.stringify({ template, schema, findings: analysis.findings, rawOutcomes, inputs });
      if (expectFailure) {
        rawFailures++;
        expect(rawOutcomes.some((o) => !o), rawLabel).toBe(true);
      } else expect(rawOutcomes.every(Boolean), rawLabel).toBe(true);
    }
    // the generator exercises both verdicts
    expect(clean).toBeGreaterThan(60);
    expect(withErrors).toBeGreaterThan(60);
    expect(rawFailures).toBeGreaterThan(30);
  }, 120_000);
});
