/**
 * A version file (prompts/<id>/<version>.yaml), a prompt or a partial (`kind: partial`): its
 * schema, id and version against its path, the provider, `inputs` and `output.schema` as JSON
 * Schemas, and its templates (syntax, variables used but not declared, required inputs never
 * used, `{{> name}}` of names not declared under `uses:`). What depends on other files — the
 * versions it extends, what its partials use — is decided by the cross-file phase
 * (phase-resolve.ts) from the facts returned here.
 */
import { idProblem } from '../../core/ref.js';
import { didYouMean } from '../../core/suggest.js';
import { isObject } from '../../core/json.js';
import { analyzeTemplate, parseTemplate, templateIncludes, templateVariables, type IncludeSite, type TemplateProblem, type TemplateVariable } from '../../core/template.js';
import { climbingPaths } from '../../core/partials.js';
import { versionSchema } from '../../registry/schemas.js';
import { scanTemplate } from '../template-scan.js';
import { jsonSchemaProblem } from '../json-schema.js';
import { checkProviderName, own, ptr, schemaStep, type Obj, type Reporter } from './reporter.js';
import type { CheckContext, InputFacts, ResolveFacts, TemplateFact } from './types.js';

/** prompts/<id...>/<version>.yaml → the id and version its path implies */
export function versionPathParts(rel: string, promptsDir: string): { id: string; version: string } {
  const inner = rel.slice(promptsDir.length + 1);
  const slash = inner.lastIndexOf('/');
  const id = slash === -1 ? '' : inner.slice(0, slash);
  const version = inner.slice(slash + 1).replace(/\.yaml$/, '');
  return { id, version };
}

/** What the version declares as inputs, for checking its suite's case vars. */
export function inputFacts(v: Obj): InputFacts {
  const inputs = own(v, 'inputs');
  if (!isObject(inputs)) return { props: [], required: [], closed: true };
  const props = isObject(own(inputs, 'properties')) ? Object.keys(inputs.properties as Obj) : [];
  const req = own(inputs, 'required');
  return { props, required: Array.isArray(req) ? req.filter((x): x is string => typeof x === 'string') : [], closed: own(inputs, 'additionalProperties') === false };
}

/** idProblem by folder: the versions of a prompt share it */
const idMemo = new Map<string, string | null>();
function folderIdProblem(id: string): string | null {
  let p = idMemo.get(id);
  if (p === undefined) {
    p = idProblem(id);
    if (idMemo.size > 50_000) idMemo.clear();
    idMemo.set(id, p);
  }
  return p;
}

/** Checks a version file; returns its resolution facts when it takes part in resolution. */
export function checkPrompt(r: Reporter, rel: string, ctx: CheckContext): ResolveFacts | undefined {
  const v = r.doc.value;
  const kind = versionSchema(v);
  schemaStep(r, kind);
  const { id, version } = versionPathParts(rel, ctx.promptsDir);
  const idP = folderIdProblem(id);
  if (idP) {
    r.error('id-invalid', `the folder "${id}" is not a valid prompt id: ${idP}; rename the folder`, Object.hasOwn(v, 'id') ? '/id' : '');
  } else if (typeof own(v, 'id') === 'string' && own(v, 'id') !== id) {
    r.error('id-mismatch', `id "${String(v.id)}" does not match the folder: expected "${id}" (the id is the folder under ${ctx.promptsDir}/)`, '/id');
  }
  if (typeof own(v, 'version') === 'string' && own(v, 'version') !== version) {
    r.error('version-mismatch', `version "${String(v.version)}" does not match the file name: expected "${version}" (a version file is named <version>.yaml)`, '/version');
  }
  const model = own(v, 'model');
  if (isObject(model)) checkProviderName(r, own(model, 'provider'), '/model/provider', ctx);
  const fallback = own(v, 'fallback');
  if (isObject(fallback)) checkProviderName(r, own(fallback, 'provider'), '/fallback/provider', ctx);

  // with `extends`, inputs may be a fragment the parent's completes: the merged one is checked across files
  const extending = kind === 'prompt' && own(v, 'extends') !== undefined;
  const inputs = own(v, 'inputs');
  let inputsUsable = false;
  if (isObject(inputs)) {
    if (own(inputs, 'type') !== 'object' && !extending) {
      r.error('inputs-not-object', `"inputs" must be a JSON Schema of an object: add "type: object" with "properties" naming each template variable`, '/inputs');
    }
    const p = jsonSchemaProblem(inputs);
    if (p) r.error('inputs-invalid-schema', `"inputs" is not a valid JSON Schema: ${p}`, '/inputs');
    else inputsUsable = true;
  }
  const output = own(v, 'output');
  if (isObject(output) && own(output, 'schema') !== undefined && isObject(own(output, 'schema'))) {
    const p = jsonSchemaProblem(own(output, 'schema'));
    if (p) r.error('output-schema-invalid', `"output.schema" is not a valid JSON Schema: ${p}`, '/output/schema');
  }
  // (exactly one of template / messages: a schema finding, see registry/schema-findings.ts)
  return checkTemplates(r, v, kind, extending, inputs, inputsUsable, ctx.resolveFacts === true);
}

/** The message of a variable used but not declared, for a prompt or a partial. */
export function undeclaredMessage(name: string, inputs: unknown, declaredProps: readonly string[], kind: 'prompt' | 'partial'): string {
  const s = didYouMean(name, declaredProps);
  return isObject(inputs)
    ? `the template uses "${name}", which is not declared in inputs.properties${s ? `; did you mean "${s}"?` : `; declare it (e.g. ${name}: { type: string })`}`
    : `the template uses "${name}" but the ${kind} declares no inputs; add "inputs: { type: object, properties: { ${name}: { type: string } } }"`;
}

/**
 * Template syntax, variables used but not declared (at the top level, and below it as the
 * template's scopes read them: core/template-scope.ts), required inputs never used, includes of
 * undeclared names, declared partials never included. A file whose inputs or uses other files
 * complete (extends), or whose partials use inputs (includes), leaves those checks to the
 * cross-file phase and returns the facts it needs.
 */
function checkTemplates(r: Reporter, v: Obj, kind: 'prompt' | 'partial', extending: boolean, inputs: unknown, inputsUsable: boolean, always: boolean): ResolveFacts | undefined {
  // the pointer is built only when a problem is reported (this loop runs for every file)
  const templates: { pointer: () => string; text: string }[] = [];
  if (typeof own(v, 'template') === 'string') templates.push({ pointer: () => '/template', text: v.template as string });
  const messages = kind === 'prompt' ? own(v, 'messages') : undefined;
  if (Array.isArray(messages)) {
    messages.forEach((m, i) => {
      if (isObject(m) && typeof own(m, 'content') === 'string') templates.push({ pointer: () => `/messages/${i}/content`, text: m.content as string });
    });
  }
  const uses = own(v, 'uses');
  const usesNames = isObject(uses) ? Object.keys(uses) : [];
  const declaredProps = isObject(inputs) && isObject(own(inputs, 'properties')) ? Object.keys(inputs.properties as Obj) : [];
  const declared = new Set(declaredProps);
  const used = new Set<string>();
  const included = new Set<string>();
  let allParsed = true;
  let anySite = false;
  // the facts the cross-file phase needs, of the files that take part in resolution
  const needFacts = always || kind === 'partial' || extending || usesNames.length > 0;
  const facts: TemplateFact[] = [];
  for (const t of templates) {
    const parsed = analyzeText(t.text, kind === 'partial');
    if ('problem' in parsed) {
      allParsed = false;
      const p = parsed.problem;
      r.add('error', p.rule, p.message, r.doc.posInScalar(t.pointer(), p.line, p.column));
      continue;
    }
    // below the top level: {{#each}} items, {{#with}} values, this.x, ../x, @index … against the
    // schema (a file that extends another has its inputs completed by the parent: resolution's check)
    if (parsed.ast && !extending) {
      const climbAt = new Set((parsed.climbs ?? []).map((c) => `${c.line}:${c.column}`));
      for (const f of analyzeTemplate(parsed.ast, inputsUsable ? (inputs as Obj) : undefined).findings) {
        // a partial's path climbing out of it is reported once, as partial-scope
        if (!climbAt.has(`${f.line}:${f.column}`)) r.add('error', f.rule, f.message, r.doc.posInScalar(t.pointer(), f.line, f.column));
      }
    }
    if (needFacts) facts.push({ pointer: t.pointer(), vars: parsed.vars, sites: parsed.sites, ...(parsed.rootVars ? { rootVars: parsed.rootVars } : {}) });
    for (const c of parsed.climbs ?? []) {
      r.add('error', 'partial-scope', `"${c.original}" climbs out of the partial: a partial renders in the context it is included in, without the blocks around that; use @root.<name> for an input`, r.doc.posInScalar(t.pointer(), c.line, c.column));
    }
    if (!extending) {
      for (const tv of parsed.vars) {
        used.add(tv.name);
        if (!declared.has(tv.name)) r.add('error', 'input-undeclared', undeclaredMessage(tv.name, inputs, declaredProps, kind), r.doc.posInScalar(t.pointer(), tv.line, tv.column));
      }
    }
    for (const s of parsed.sites) {
      anySite = true;
      included.add(s.name);
      if (!extending && !usesNames.includes(s.name)) r.add('error', 'partial-undeclared', undeclaredInclude(s.name, usesNames), r.doc.posInScalar(t.pointer(), s.line, s.column));
    }
  }
  if (!extending && allParsed && templates.length > 0) {
    usesNames.forEach((name) => {
      if (!included.has(name)) r.warning('partial-unused', `partial "${name}" is declared but no template includes it; include it with {{> ${name}}} or remove it`, ptr('uses'), name);
    });
  }
  // without partials and parents, what the templates use is all there is
  if (!extending && !anySite && allParsed && templates.length > 0 && inputsUsable && isObject(inputs) && Array.isArray(own(inputs, 'required'))) {
    (inputs.required as unknown[]).forEach((name, i) => {
      if (typeof name === 'string' && !used.has(name)) {
        r.warning('input-unused', `required input "${name}" is never used by the template; use it or make it optional`, ptr('inputs', 'required', i));
      }
    });
  }
  if (!needFacts) return undefined;
  return { skeleton: skeletonOf(v), templates: allParsed ? facts : null };
}

/** The message of a {{> name}} whose name `uses:` does not declare. */
export function undeclaredInclude(name: string, usesNames: readonly string[]): string {
  const s = didYouMean(name, usesNames);
  return usesNames.length
    ? `partial "${name}" is not declared under "uses:"${s ? `; did you mean "${s}"?` : ` (declared: ${usesNames.join(', ')})`}`
    : `partial "${name}" is not declared: add "uses: { ${name}: <id>@<version> }" naming the partial's exact version`;
}

/** The keys resolution merges and walks, with the text replaced by markers (its facts are kept beside). */
const SKELETON_KEYS = ['kind', 'uses', 'extends', 'inputs', 'model', 'output', 'fallback'];
export function skeletonOf(v: Obj): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of SKELETON_KEYS) if (Object.hasOwn(v, k)) out[k] = v[k];
  if (Object.hasOwn(v, 'template')) out.template = true;
  if (Object.hasOwn(v, 'messages')) out.messages = true;
  return out;
}

interface Analyzed {
  vars: TemplateVariable[];
  sites: IncludeSite[];
  /** null when the scanner answered (nothing below the top level to check) */
  ast: hbs.AST.Program | null;
  /** partials only */
  rootVars?: TemplateVariable[];
  climbs?: { original: string; line: number; column: number }[];
}

/**
 * parse + top-level variables of a template, memoized by text: versions of a prompt share most
 * messages. The AST is kept for the scope checks, which depend on the version's inputs; a
 * template the scanner answers has nothing below the top level to check.
 */
const templateMemo = new Map<string, { problem: TemplateProblem } | Analyzed>();
function analyzeText(text: string, partial: boolean): { problem: TemplateProblem } | Analyzed {
  const memoKey = partial ? `\0${text}` : text;
  let hit = templateMemo.get(memoKey);
  if (!hit) {
    // most templates are text with {{name}} and if/unless blocks: scanned without Handlebars
    const scanned = partial ? null : scanTemplate(text);
    const parsed = scanned ? null : parseTemplate(text);
    if (scanned) hit = { vars: scanned, sites: [], ast: null };
    else if ('problem' in parsed!) hit = { problem: parsed.problem };
    else {
      const ast = parsed!.ast;
      if (partial) {
        // a path climbing out of the partial is reported as such (partial-scope), not as a variable
        const climbs = climbingPaths(ast);
        const at = new Set(climbs.map((c) => `${c.line}:${c.column}`));
        const inside = (v: TemplateVariable): boolean => !at.has(`${v.line}:${v.column}`);
        hit = { vars: templateVariables(ast).filter(inside), sites: templateIncludes(ast), rootVars: templateVariables(ast, 1).filter(inside), climbs, ast };
      } else hit = { vars: templateVariables(ast), sites: templateIncludes(ast), ast };
    }
    if (templateMemo.size > 50_000) templateMemo.clear();
    templateMemo.set(memoKey, hit);
  }
  return hit;
}
