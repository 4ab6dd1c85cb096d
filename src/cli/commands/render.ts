/**
 * `prompts render <ref> [--var k=v]... [--vars <file.json|->] [--env <env>]`: the messages a
 * model would receive, with the inputs validated against the version's `inputs` schema (the
 * same `compilePrompt` the eval runner and the SDK use). Bad inputs are a usage error (exit 2)
 * naming every variable at fault. `--env` (or a `<id>@<env>` ref) applies that environment's
 * model overrides.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckFailed, UsageError } from '../../errors.js';
import { writeJson, type CommandContext } from '../ui.js';
import { openRegistry } from '../../registry/registry.js';
import { depsMismatchWarning, pinMismatchWarning, resolveRef } from '../../registry/resolve-ref.js';
import { checkResolvedTemplates, depsDrift, originFile, resolveVersion } from '../../registry/resolved.js';
import { positionOf } from '../../registry/yaml.js';
import { applyOverrides, compilePrompt, declaredInputs, InputsInvalid, schemaProblem } from '../../core/render.js';
import { TemplateError } from '../../core/template.js';
import type { JsonSchema } from '../../core/types.js';
import { own } from '../../core/own.js';

const MAX_VARS_BYTES = 16 * 1024 * 1024;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > MAX_VARS_BYTES) throw new UsageError('--vars - : stdin holds more than 16 MiB');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads `--vars <file|->`: a JSON object of input values. */
async function readVarsFile(spec: string, cwd: string): Promise<Record<string, unknown>> {
  const name = spec === '-' ? 'stdin' : spec;
  let text: string;
  if (spec === '-') text = await readStdin();
  else {
    const file = path.resolve(cwd, spec);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      throw new UsageError(`--vars ${spec}: file not found`, { hint: 'pass a JSON file of input values, or - to read them from stdin' });
    }
    // a pipe is fine too: --vars <(jq … ) and --vars /dev/stdin
    if (!st.isFile() && !st.isFIFO()) throw new UsageError(`--vars ${spec}: not a regular file`, { hint: 'pass a JSON file, or - to read the values from stdin' });
    if (st.size > MAX_VARS_BYTES) throw new UsageError(`--vars ${spec}: file is larger than 16 MiB`);
    const bytes = fs.readFileSync(file);
    if (bytes.length > MAX_VARS_BYTES) throw new UsageError(`--vars ${spec}: holds more than 16 MiB`);
    text = bytes.toString('utf8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--vars ${name}: not valid JSON (${(e as Error).message})`, { hint: 'expected an object such as {"ticket": "…"}' });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`--vars ${name}: expected a JSON object of name: value, found ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  // JSON.parse makes "__proto__" an own property; copying into a null-prototype object keeps it inert.
  return Object.assign(Object.create(null) as Record<string, unknown>, value);
}

/** True when the declared input accepts strings (or is untyped/undeclared): keep --var text as is. */
function takesString(inputs: JsonSchema | undefined, name: string): boolean {
  const props = inputs?.properties;
  const schema = props && typeof props === 'object' ? own(props as Record<string, unknown>, name) : undefined;
  if (!schema || typeof schema !== 'object') return true;
  const t = (schema as Record<string, unknown>).type;
  if (t === undefined) return true;
  return t === 'string' || (Array.isArray(t) && t.includes('string'));
}

function parseVarFlags(flags: string[], inputs: JsonSchema | undefined, into: Record<string, unknown>): void {
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new UsageError(`--var "${flag}" must look like name=value`);
    const name = flag.slice(0, eq);
    const raw = flag.slice(eq + 1);
    if (takesString(inputs, name)) {
      into[name] = raw;
      continue;
    }
    try {
      into[name] = JSON.parse(raw);
    } catch {
      throw new UsageError(`--var ${name}: "${raw}" is not valid JSON, and input "${name}" is not a string`, { hint: `e.g. --var ${name}=42, --var ${name}=true or --var '${name}=["a","b"]'` });
    }
  }
}

export interface RenderOptions {
  /** --var k=v, repeatable */
  var?: string[];
  /** --vars <file.json|-> */
  vars?: string;
  /** --env <env>: apply its overrides */
  env?: string;
}

export async function run(ctx: CommandContext, args: string[], opts: RenderOptions): Promise<number> {
  const reg = openRegistry(ctx.cwd);
  const envOpt = opts.env;
  if (envOpt !== undefined) reg.assertEnv(envOpt);
  const ref = resolveRef(reg, args[0] ?? '');
  if (envOpt !== undefined && ref.via !== undefined && envOpt !== ref.via) {
    // two environments: the version of one with the overrides of the other is what neither runs
    throw new UsageError(`"${args[0]}" selects environment "${ref.via}", so --env ${envOpt} contradicts it`, {
      hint: `render what ${envOpt} runs with "prompts render ${ref.id}@${envOpt}", or this version with ${envOpt}'s overrides with "prompts render ${ref.id}@${ref.version} --env ${envOpt}"`,
    });
  }
  // the resolved prompt: extends applied, its partials (a problem stops here with its file:line:col)
  const rv = resolveVersion(reg, ref);
  const loaded = rv.root.loaded;
  const prompt = rv.resolved.prompt;
  const partial = rv.resolution.kind === 'partial';
  const digest = rv.root.doc.sha256;
  if (ref.via && ref.pinnedSha256 && ref.pinnedSha256 !== digest) ctx.warn(pinMismatchWarning(ref, loaded.rel));
  const drift = ref.via ? depsDrift(ref.pinnedDeps, rv.resolved.deps) : [];
  if (drift.length) ctx.warn(depsMismatchWarning(ref, drift));

  // Template syntax problems point at the message (or partial) in its YAML file.
  await checkResolvedTemplates(rv);

  // An invalid inputs schema is a problem of the file (exit 1, validate explains it), not a crash.
  if (prompt.inputs !== undefined) {
    const bad = schemaProblem(prompt.inputs);
    if (bad) {
      const from = originFile(rv, 'inputs').loaded;
      throw new CheckFailed(`"inputs" of ${ref.id}@${ref.version} is not a valid JSON Schema: ${bad}`, {
        location: { file: from.rel, ...positionOf(from.parsed, '/inputs') },
        hint: 'run "prompts validate" to see every problem',
      });
    }
  }

  const vars: Record<string, unknown> = opts.vars !== undefined ? await readVarsFile(opts.vars, ctx.cwd) : (Object.create(null) as Record<string, unknown>);
  parseVarFlags(opts.var ?? [], prompt.inputs, vars);

  let messages;
  try {
    messages = compilePrompt(prompt, rv.resolved.library).render(vars);
  } catch (e) {
    if (e instanceof InputsInvalid) {
      const declared = declaredInputs(prompt.inputs);
      // each problem says its did-you-mean (core/render.ts describeInputErrors)
      throw new UsageError(`invalid inputs for ${ref.id}@${ref.version}: ${e.problems.map((p) => p.message).join('; ')}`, {
        hint: declared.length ? `declared inputs: ${declared.join(', ')}; pass them with --var name=value or --vars file.json` : 'this prompt declares no inputs',
      });
    }
    if (e instanceof TemplateError) throw new UsageError(`cannot render ${ref.id}@${ref.version}: ${e.message}`, { location: { file: loaded.rel } });
    throw e;
  }

  const env = envOpt ?? ref.via;
  // a partial renders alone as one user message, with no model: a preview of its text
  const model = partial ? null : applyOverrides(prompt.model, env ? own(reg.config.environments, env) : undefined);
  const deps = rv.resolved.deps;
  if (ctx.json) {
    writeJson(ctx, { id: ref.id, version: ref.version, sha256: digest, ...(Object.keys(deps).length ? { deps } : {}), env: env ?? null, model, messages });
    return 0;
  }
  const c = await ctx.c();
  const via = Object.keys(deps).length ? ` · with ${Object.keys(deps).join(', ')}` : '';
  ctx.info(`${ref.id}@${ref.version} · ${model ? `${model.provider}/${model.name}` : 'partial (no model)'}${env ? ` · ${env} overrides applied` : ''}${via}`);
  messages.forEach((m, i) => {
    if (i > 0) ctx.stdout.write('\n');
    ctx.stdout.write(`${c.bold.cyan(`--- ${m.role} ---`)}\n${m.content}${m.content.endsWith('\n') ? '' : '\n'}`);
  });
  return 0;
}
