/**
 * The prompts pinned in an environment (and the candidates of its running rollouts), read from
 * the registry on disk and checked: every pinned file exists, its bytes match the environment file's sha256, it is a valid prompt file
 * for that id and version, and its templates and schemas compile. Shared by `prompts build`,
 * `prompts types --env` and loadRegistry, so all three see the same content.
 */
import * as path from 'node:path';
import { CheckFailed } from '../errors.js';
import { applyOverrides, compilePrompt, messagesOf, schemaProblem, userSchemaAjv } from '../core/render.js';
import type { BudgetConfig, DepsMap, ModelConfig, PromptFile, ProviderConfig } from '../core/types.js';
import type { TemplateLibrary } from '../core/partials.js';
import { didYouMean } from '../core/suggest.js';
import { tamperCheck } from '../core/env-chain.js';
import type { Registry } from '../registry/registry.js';
import { CONFIG_FILE } from '../paths.js';
import { readRegistryFile, isFileProblem, contentSha256 } from '../registry/files.js';
import { parseYaml, positionOf } from '../registry/yaml.js';
import { depsDrift, registryLoader, resolveVersion } from '../registry/resolved.js';
import { entryDigest, rolloutDigest, type BundleEntry, type BundleProvider } from './bundle-format.js';
import { stripJsonFence } from './output.js';
import { IntegrityError } from './errors.js';
import { own } from '../core/own.js';

export interface PinnedPrompts {
  env: string;
  overrides: { model?: Partial<ModelConfig> };
  /** sorted by id */
  entries: BundleEntry[];
  /** the parsed version files, same order */
  files: PromptFile[];
  /** the parsed candidate files of running rollouts, by id */
  candidates: Map<string, PromptFile>;
  /** absolute paths of every file the content comes from: config, env file (when it exists), version files */
  paths: string[];
  /** the providers the entries (and their fallbacks) use, as the runtime needs them: no key, ever */
  providers: Record<string, BundleProvider>;
  /** environments.<env>.budget, else the top-level budget; null when none */
  budget: BudgetConfig | null;
}

/**
 * `compileCheck` (default true): also refuse pinned prompts whose schemas or templates do not
 * compile (build, types). loadRegistry skips it: handles compile lazily and report then.
 * `verifyHistory` (build): refuse an environment file with a pin no promptrail command wrote.
 */
export function collectPinned(reg: Registry, env: string, opts: { compileCheck?: boolean; verifyHistory?: boolean } = {}): PinnedPrompts {
  reg.assertEnv(env);
  const envFile = reg.loadEnv(env);
  const envRel = reg.rel(envFile.file);
  if (opts.verifyHistory) {
    // `build`: a pin no promptrail command wrote (core/env-chain.ts) is never shipped
    const tampered = tamperCheck(Object.keys(envFile.value.prompts).sort().map((id) => ({ rel: envRel, id, pin: envFile.value.prompts[id] })));
    if (tampered) {
      const r = tampered.refusals[0];
      throw new CheckFailed(r.message.replace(/^refused: /, 'refusing to build: '), { location: { file: envRel }, hint: r.hint });
    }
  }
  const envCfg = own(reg.config.environments, env) ?? {};
  const overrides: { model?: Partial<ModelConfig> } = envCfg.overrides?.model ? { model: envCfg.overrides.model } : {};
  const entries: BundleEntry[] = [];
  const files: PromptFile[] = [];
  const candidates = new Map<string, PromptFile>();
  const paths = [path.join(reg.root, CONFIG_FILE)];
  if (envFile.exists) paths.push(envFile.file);
  // one loader for every pin: a partial several prompts include is read and checked once
  const loader = registryLoader(reg);
  // one arm's entry: the pinned file exists, its bytes are the recorded ones, it is a valid prompt file for that id and version,
  // it resolves, and what it is resolved from (partials, parents) is exactly what the pin recorded under deps
  const arm = (id: string, version: string, recorded: string, recordedDeps: DepsMap | undefined, what: 'pins' | 'rolls out'): { entry: BundleEntry; file: string; prompt: PromptFile } => {
    const file = reg.versionPath(id, version);
    const rel = reg.rel(file);
    const decoded = readRegistryFile(file, reg.root);
    if (isFileProblem(decoded)) {
      if (decoded.rule === 'file-missing') {
        const near = didYouMean(version, reg.listVersions(id));
        throw new IntegrityError(`${envRel} ${what} ${id}@${version}, but ${rel} does not exist`, {
          id,
          file: rel,
          hint: `restore it from git${near ? ` (versions on disk include ${near})` : ''}, or ${what === 'pins' ? 'promote another version' : 'abort the rollout'}`,
        });
      }
      throw new CheckFailed(decoded.message, { location: { file: rel, line: decoded.line, column: decoded.column } });
    }
    const bytesSha = contentSha256(decoded.bytes);
    if (bytesSha !== recorded) throw changedSince(rel, env, envRel, bytesSha, recorded, id, what);
    // the resolved version (extends applied, its partials): a problem stops with its file:line:col
    const rv = resolveVersion(reg, { id, version }, loader);
    const digest = rv.root.doc.sha256;
    if (digest !== recorded) throw changedSince(rel, env, envRel, digest, recorded, id, what);
    const parsed = rv.root.loaded.parsed;
    const raw = rv.root.loaded.value as { id?: unknown; version?: unknown };
    if (rv.resolution.kind === 'partial') throw new CheckFailed(`${envRel} ${what} ${id}@${version}, which is a partial: partials are pinned through the prompts that include them`, { location: { file: rel } });
    if (raw.id !== id) throw new CheckFailed(`id "${String(raw.id)}" does not match the folder (expected "${id}")`, { location: { file: rel, ...positionOf(parsed, '/id') } });
    if (raw.version !== version) {
      throw new CheckFailed(`version "${String(raw.version)}" does not match the file name (expected "${version}")`, { location: { file: rel, ...positionOf(parsed, '/version') } });
    }
    // what it is resolved from must be what was promoted: the pin's deps, exactly
    const deps = rv.resolved.deps;
    const drift = depsDrift(recordedDeps, deps);
    if (drift.length) {
      throw new IntegrityError(`${id}@${version} is resolved from other files than ${envRel} recorded when it was ${what === 'pins' ? 'promoted' : 'rolled out'} (${drift.join('; ')})`, {
        id,
        file: rel,
        hint: 'partials and parents are immutable too: restore their promoted bytes from git, or bump new versions and promote those',
      });
    }
    const p = rv.resolved.prompt;
    const library = rv.resolved.library;
    if (opts.compileCheck !== false) checkCompiles(p, rel, parsed, library);
    const base: Omit<BundleEntry, 'digest' | 'source'> = {
      id,
      version,
      sha256: digest,
      model: applyOverrides(p.model, envCfg),
      inputs: p.inputs ?? null,
      output: p.output ?? null,
      messages: messagesOf(p),
    };
    if (p.fallback) base.fallback = p.fallback;
    const depSources: Record<string, string> = {};
    if (Object.keys(deps).length) {
      // self-contained: the resolved templates and every file they come from, digests included
      base.uses = library.uses;
      base.partials = library.partials;
      base.deps = deps;
      for (const k of Object.keys(deps)) {
        const f = rv.files.get(k)!;
        depSources[k] = f.loaded.decoded.bytes.toString('utf8');
        paths.push(f.loaded.file);
      }
    }
    const entry: BundleEntry = { ...base, digest: entryDigest(base), source: rv.root.loaded.decoded.bytes.toString('utf8'), ...(Object.keys(depSources).length ? { dep_sources: depSources } : {}) };
    return { entry, file, prompt: p };
  };
  for (const id of Object.keys(envFile.value.prompts).sort()) {
    const pin = own(envFile.value.prompts, id)!;
    const stable = arm(id, pin.version, pin.sha256, pin.deps, 'pins');
    const entry = stable.entry;
    paths.push(stable.file);
    if (pin.rollout) {
      const r = pin.rollout;
      const c = arm(id, r.version, r.sha256, r.deps, 'rolls out');
      entry.rollout = { weight: r.weight, salt: r.salt, ...(r.stages ? { stages: r.stages } : {}), digest: rolloutDigest(r.weight, r.salt, c.entry.digest), candidate: c.entry };
      candidates.set(id, c.prompt);
      paths.push(c.file);
    }
    entries.push(entry);
    files.push(stable.prompt);
  }
  return { env, overrides, entries, files, candidates, paths: [...new Set(paths)], providers: runtimeProviders(reg, entries), budget: envCfg.budget ?? reg.config.budget ?? null };
}

function changedSince(rel: string, env: string, envRel: string, now: string, recorded: string, id: string, what: 'pins' | 'rolls out'): IntegrityError {
  return new IntegrityError(`${rel} changed after it was ${what === 'pins' ? 'promoted' : 'rolled out'} to ${env}: its sha256 is ${now.slice(0, 12)}…, ${envRel} records ${recorded.slice(0, 12)}…`, {
    id,
    file: rel,
    hint: `version files are immutable: restore it (git checkout <rev> -- ${rel}), or bump a new version and promote that`,
  });
}

/** Header names that carry credentials: keys come only from api_key_env, so a bundle never holds one. */
const CREDENTIAL_HEADER = /auth|api[-_]?key|token|secret|cookie|password|session/i;

/**
 * The config of every provider the entries use (model and fallback), for the bundle. A provider
 * whose headers look like credentials, or whose base_url carries userinfo, is refused: the
 * bundle would carry a secret to wherever it is deployed.
 */
export function runtimeProviders(reg: Registry, entries: readonly BundleEntry[]): Record<string, BundleProvider> {
  const names = new Set<string>();
  for (const e of entries) {
    for (const a of e.rollout ? [e, e.rollout.candidate] : [e]) {
      names.add(a.model.provider);
      if (a.fallback?.provider) names.add(a.fallback.provider);
    }
  }
  const out: Record<string, BundleProvider> = {};
  for (const name of [...names].sort()) {
    const cfg: ProviderConfig | undefined = own(reg.config.providers, name) ?? (name === 'echo' ? { type: 'echo' } : undefined);
    if (!cfg) continue; // validate reports unknown providers; run() names the missing one
    const where = { location: { file: CONFIG_FILE }, hint: 'keys come only from the environment variable named by api_key_env' };
    for (const h of Object.keys(cfg.headers ?? {})) {
      if (CREDENTIAL_HEADER.test(h)) throw new CheckFailed(`provider "${name}" sets header "${h}", which looks like a credential; a bundle never carries one`, where);
    }
    if (cfg.base_url && /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(cfg.base_url)) {
      throw new CheckFailed(`provider "${name}" has credentials in its base_url; a bundle never carries one`, where);
    }
    const p: BundleProvider = { type: cfg.type };
    for (const k of ['base_url', 'api_key_env', 'headers', 'timeout_ms', 'retries', 'limits', 'breaker', 'prices'] as const) {
      if (cfg[k] !== undefined) (p as Record<string, unknown>)[k] = cfg[k];
    }
    out[name] = p;
  }
  return out;
}

/**
 * A pinned prompt that cannot render is refused here rather than at the application's first call
 * (also by `promote`, before it pins such a version).
 */
export function checkCompiles(p: PromptFile, rel: string, parsed: ReturnType<typeof parseYaml>, library?: TemplateLibrary): void {
  if (p.inputs) {
    const sp = schemaProblem(p.inputs);
    if (sp) throw new CheckFailed(`inputs is not a valid JSON Schema: ${sp}`, { location: { file: rel, ...positionOf(parsed, '/inputs') } });
  }
  if (p.output?.schema) {
    const sp = schemaProblem(p.output.schema);
    if (sp) throw new CheckFailed(`output.schema is not a valid JSON Schema: ${sp}`, { location: { file: rel, ...positionOf(parsed, '/output/schema') } });
  }
  if (p.fallback?.text !== undefined && p.output?.format === 'json') {
    const problem = fallbackTextProblem(p.fallback.text, p.output.schema);
    if (problem) throw new CheckFailed(`fallback.text ${problem}`, { location: { file: rel, ...positionOf(parsed, '/fallback/text') }, hint: 'the fallback text is served as the reply, so it must parse like one' });
  }
  let compiled;
  try {
    compiled = compilePrompt(p, library);
  } catch (e) {
    throw new CheckFailed(e instanceof Error ? e.message : String(e), { location: { file: rel, ...positionOf(parsed, p.messages ? '/messages' : '/template') }, hint: 'run "prompts validate"' });
  }
  if (compiled.undeclared.length) {
    throw new CheckFailed(`the template uses ${compiled.undeclared.map((v) => `"${v}"`).join(', ')}, not declared in inputs`, {
      location: { file: rel, ...positionOf(parsed, p.messages ? '/messages' : '/template') },
      hint: 'declare it under inputs.properties, or run "prompts validate"',
    });
  }
  if (compiled.problems.length) {
    throw new CheckFailed(`the template cannot render: ${compiled.problems[0]}${compiled.problems.length > 1 ? ` (and ${compiled.problems.length - 1} more)` : ''}`, {
      location: { file: rel, ...positionOf(parsed, p.messages ? '/messages' : '/template') },
      hint: 'run "prompts validate"',
    });
  }
}

/** Why a fallback text is not a valid reply for a JSON prompt (not JSON, or not matching output.schema), or null. */
export function fallbackTextProblem(text: string, schema: Record<string, unknown> | undefined): string | null {
  let data: unknown;
  try {
    data = JSON.parse(stripJsonFence(text));
  } catch {
    return 'is not valid JSON, but output.format is json';
  }
  if (!schema) return null;
  const validate = userSchemaAjv().compile(schema);
  return validate(data) ? null : `does not match output.schema: ${userSchemaAjv().errorsText(validate.errors, { dataVar: 'text' })}`;
}
