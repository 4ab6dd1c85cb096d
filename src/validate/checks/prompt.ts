/**
 * A version file (prompts/<id>/<version>.yaml): its schema, id and version against its path, the
 * provider, `inputs` and `output.schema` as JSON Schemas, and its templates (syntax, variables
 * used but not declared, required inputs never used).
 */
import { idProblem } from '../../core/ref.js';
import { didYouMean } from '../../core/suggest.js';
import { isObject } from '../../core/json.js';
import { analyzeTemplate, parseTemplate, type TemplateProblem, type TemplateVariable } from '../../core/template.js';
import { scanTemplate } from '../template-scan.js';
import { jsonSchemaProblem } from '../json-schema.js';
import { checkProviderName, own, ptr, schemaStep, type Obj, type Reporter } from './reporter.js';
import type { CheckContext, InputFacts } from './types.js';

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

export function checkPrompt(r: Reporter, rel: string, ctx: CheckContext): void {
  const v = r.doc.value;
  schemaStep(r, 'prompt');
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

  const inputs = own(v, 'inputs');
  let inputsUsable = false;
  if (isObject(inputs)) {
    if (own(inputs, 'type') !== 'object') {
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
  checkTemplates(r, v, inputs, inputsUsable);
}

/**
 * Template syntax, variables used but not declared (at the top level, and below it as the
 * template's scopes read them: core/template-scope.ts), required inputs never used.
 */
function checkTemplates(r: Reporter, v: Obj, inputs: unknown, inputsUsable: boolean): void {
  // the pointer is built only when a problem is reported (this loop runs for every file)
  const templates: { pointer: () => string; text: string }[] = [];
  if (typeof own(v, 'template') === 'string') templates.push({ pointer: () => '/template', text: v.template as string });
  const messages = own(v, 'messages');
  if (Array.isArray(messages)) {
    messages.forEach((m, i) => {
      if (isObject(m) && typeof own(m, 'content') === 'string') templates.push({ pointer: () => `/messages/${i}/content`, text: m.content as string });
    });
  }
  const declaredProps = isObject(inputs) && isObject(own(inputs, 'properties')) ? Object.keys(inputs.properties as Obj) : [];
  const declared = new Set(declaredProps);
  const used = new Set<string>();
  let allParsed = true;
  for (const t of templates) {
    const parsed = analyzeText(t.text);
    if ('problem' in parsed) {
      allParsed = false;
      const p = parsed.problem;
      r.add('error', p.rule, p.message, r.doc.posInScalar(t.pointer(), p.line, p.column));
      continue;
    }
    // below the top level: {{#each}} items, {{#with}} values, this.x, ../x, @index … against the schema
    if (parsed.ast && inputsUsable) {
      for (const f of analyzeTemplate(parsed.ast, inputs as Obj).findings) r.add('error', f.rule, f.message, r.doc.posInScalar(t.pointer(), f.line, f.column));
    } else if (parsed.ast) {
      for (const f of analyzeTemplate(parsed.ast).findings) r.add('error', f.rule, f.message, r.doc.posInScalar(t.pointer(), f.line, f.column));
    }
    for (const tv of parsed.vars) {
      used.add(tv.name);
      if (declared.has(tv.name)) continue;
      const s = didYouMean(tv.name, declaredProps);
      const msg = isObject(inputs)
        ? `the template uses "${tv.name}", which is not declared in inputs.properties${s ? `; did you mean "${s}"?` : `; declare it (e.g. ${tv.name}: { type: string })`}`
        : `the template uses "${tv.name}" but the prompt declares no inputs; add "inputs: { type: object, properties: { ${tv.name}: { type: string } } }"`;
      r.add('error', 'input-undeclared', msg, r.doc.posInScalar(t.pointer(), tv.line, tv.column));
    }
  }
  if (allParsed && templates.length > 0 && inputsUsable && isObject(inputs) && Array.isArray(own(inputs, 'required'))) {
    (inputs.required as unknown[]).forEach((name, i) => {
      if (typeof name === 'string' && !used.has(name)) {
        r.warning('input-unused', `required input "${name}" is never used by the template; use it or make it optional`, ptr('inputs', 'required', i));
      }
    });
  }
}

type Analyzed = { problem: TemplateProblem } | { vars: TemplateVariable[]; ast: hbs.AST.Program | null };
/**
 * parse + top-level variables of a template, memoized by text: versions of a prompt share most
 * messages. The AST is kept for the scope checks, which depend on the version's inputs; a
 * template the scanner answers has nothing below the top level to check.
 */
const templateMemo = new Map<string, Analyzed>();
function analyzeText(text: string): Analyzed {
  let hit = templateMemo.get(text);
  if (!hit) {
    // most templates are text with {{name}} and if/unless blocks: scanned without Handlebars
    const scanned = scanTemplate(text);
    const parsed = scanned ? null : parseTemplate(text);
    hit = scanned ? { vars: scanned, ast: null } : 'problem' in parsed! ? { problem: parsed.problem } : { vars: analyzeTemplate(parsed!.ast).vars, ast: parsed!.ast };
    if (templateMemo.size > 50_000) templateMemo.clear();
    templateMemo.set(text, hit);
  }
  return hit;
}
