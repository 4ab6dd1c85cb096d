/**
 * The registry on disk: found by walking up from cwd to `prompts.config.yaml` (like git finds
 * `.git`). Loads the config with defaults and gives typed paths for prompts, suites and envs.
 * Every path built from an id goes through `idProblem` first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError, CheckFailed } from '../errors.js';
import { idProblem, envNameProblem, isStrictSemver, sortVersions, latestVersion } from '../core/ref.js';
import type { ConfigFile, ResolvedConfig, PromptFile, SuiteFile } from '../core/types.js';
import { readEnvSnapshot, type EnvSnapshot } from './env-store.js';
import { readRegistryFile, isFileProblem, isInside, realDirProblem, MAX_ENV_FILE_BYTES, MAX_FILE_BYTES, type DecodedFile, type FileProblem } from './files.js';
import { parseYaml, positionOf, type ParsedYaml } from './yaml.js';
import { getValidator, versionSchema } from './schemas.js';
export { versionSchema } from './schemas.js';
import { schemaFindings } from './schema-findings.js';
import { fastParse } from '../validate/fast-yaml.js';
import { didYouMean, suggestEnv } from '../core/suggest.js';
import { CONFIG_FILE, STATE_DIR, SUITE_FILE, findRoot, leavesRegistry } from '../paths.js';
import { dict, hasOwnKey } from '../core/own.js';


export const DEFAULT_EVAL = { concurrency: 8, timeout_ms: 60000, retries: 4, max_consecutive_failures: 10 };

export function resolveConfig(raw: ConfigFile): ResolvedConfig {
  // null-prototype maps: `--env constructor` or a provider named `toString` finds nothing (core/own.ts)
  const environments: ResolvedConfig['environments'] = dict<ResolvedConfig['environments'][string]>({});
  for (const [name, cfg] of Object.entries(raw.environments ?? {})) environments[name] = cfg ?? {};
  const order = Object.keys(environments);
  const providers = dict(raw.providers);
  for (const [name, p] of Object.entries(providers)) if (p?.prices) providers[name] = { ...p, prices: dict(p.prices) };
  return {
    prompts_dir: raw.prompts_dir ?? 'prompts',
    environments_dir: raw.environments_dir ?? 'environments',
    history_limit: raw.history_limit ?? 50,
    environments: order.length ? environments : dict({ development: {}, staging: { requires: 'development' }, production: { requires: 'staging' } }),
    environmentOrder: order.length ? order : ['development', 'staging', 'production'],
    providers,
    ...(raw.budget ? { budget: raw.budget } : {}),
    eval: { ...DEFAULT_EVAL, ...(raw.eval ?? {}) },
  };
}

/**
 * A clean file (js-yaml reads it, and the schema's precompiled validator accepts that) is read
 * without the `yaml` package: its positions (`parsed`) are parsed only when someone asks. js-yaml
 * with the core schema gives the same values (validate/fast-yaml.ts); anything unusual (duplicate
 * keys, aliases, `__proto__`, …) returns null there and takes the careful path.
 */
function readClean(text: string, kind: 'prompt' | 'suite' | 'environment' | 'config'): { value: unknown; parsed: () => ParsedYaml } | null {
  const value = fastParse(text);
  if (value === null || !getValidator(kind === 'prompt' ? versionSchema(value) : kind)(value)) return null;
  let parsed: ParsedYaml | undefined;
  return { value, parsed: () => (parsed ??= parseYaml(text)) };
}

/** A parsed YAML file with its text, bytes and positions, or the problems that stopped it. */
export interface LoadedYaml<T> {
  file: string;
  /** path relative to the registry root, with "/" separators, for messages */
  rel: string;
  decoded: DecodedFile;
  parsed: ParsedYaml;
  value: T;
}

export class Registry {
  readonly root: string;
  readonly config: ResolvedConfig;
  readonly rawConfig: ConfigFile;

  /**
   * Set when the providers' endpoints come from a trusted revision (eval/trusted.ts): `refused`
   * names the providers that revision does not have, with the message to refuse them with.
   */
  readonly trust: { rev: string; refused: Record<string, string> } | undefined;

  constructor(root: string, rawConfig: ConfigFile, trust?: { rev: string; refused: Record<string, string> }) {
    this.root = root;
    this.rawConfig = rawConfig;
    this.config = resolveConfig(rawConfig);
    this.trust = trust;
  }

  get promptsDir(): string {
    return path.join(this.root, this.config.prompts_dir);
  }
  get environmentsDir(): string {
    return path.join(this.root, this.config.environments_dir);
  }
  get stateDir(): string {
    return path.join(this.root, STATE_DIR);
  }

  /** registry-relative display path with "/" separators */
  rel(file: string): string {
    return path.relative(this.root, file).split(path.sep).join('/');
  }

  assertId(id: string): void {
    const p = idProblem(id);
    if (p) throw new UsageError(`invalid prompt id "${id}": ${p}`);
  }

  promptDir(id: string): string {
    this.assertId(id);
    const dir = path.join(this.promptsDir, ...id.split('/'));
    if (!isInside(this.promptsDir, dir)) throw new UsageError(`invalid prompt id "${id}": it leaves the prompts folder`);
    return dir;
  }

  versionPath(id: string, version: string): string {
    if (!isStrictSemver(version)) throw new UsageError(`"${version}" is not a strict semver version (expected e.g. 1.2.0)`);
    return path.join(this.promptDir(id), `${version}.yaml`);
  }

  suitePath(id: string): string {
    return path.join(this.promptDir(id), SUITE_FILE);
  }

  envPath(env: string): string {
    const p = envNameProblem(env);
    if (p) throw new UsageError(p);
    return path.join(this.environmentsDir, `${env}.yaml`);
  }

  /** Throws UsageError (exit 2) for an environment not declared in the config, with a suggestion. */
  assertEnv(env: string): void {
    if (!hasOwnKey(this.config.environments, env)) {
      const s = suggestEnv(env, this.config.environmentOrder);
      throw new UsageError(`unknown environment "${env}"${s ? `; did you mean "${s}"?` : ''}`, {
        hint: `environments in ${CONFIG_FILE}: ${this.config.environmentOrder.join(', ')}`,
      });
    }
  }

  /**
   * All prompt ids: every folder under prompts/ that holds at least one <semver>.yaml. Sorted.
   * Folders whose path is not a valid id (upper case, …) are left out, so one misnamed folder
   * cannot break list/status/types; they are added to `invalid` when given (validate reports them).
   */
  listPromptIds(invalid?: string[]): string[] {
    const ids: string[] = [];
    const walk = (dir: string, segs: string[]): void => {
      if (segs.length > 4) return;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      let hasVersion = false;
      for (const e of entries) {
        if (e.isDirectory()) walk(path.join(dir, e.name), [...segs, e.name]);
        else if (e.name.endsWith('.yaml') && isStrictSemver(e.name.slice(0, -5))) hasVersion = true;
      }
      if (hasVersion && segs.length > 0) {
        const id = segs.join('/');
        if (idProblem(id) === null) ids.push(id);
        else invalid?.push(id);
      }
    };
    walk(this.promptsDir, []);
    invalid?.sort();
    return ids.sort();
  }

  /** Versions of a prompt, ascending by semver precedence (file names that are strict semver). */
  listVersions(id: string): string[] {
    const dir = this.promptDir(id);
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return [];
    }
    return sortVersions(names.filter((n) => n.endsWith('.yaml')).map((n) => n.slice(0, -5)).filter(isStrictSemver));
  }

  latest(id: string): string | undefined {
    return latestVersion(this.listVersions(id));
  }

  /**
   * Throws UsageError (exit 2) when the prompt does not exist, with a suggestion — or, when an
   * environment still pins it, saying its files are missing (deleted), never suggesting to
   * create it. `typed` is the reference as the user wrote it, named in the message.
   */
  assertPromptExists(id: string, typed?: string): string[] {
    const versions = this.listVersions(id);
    if (versions.length === 0) {
      const where = typed !== undefined && typed !== id ? ` (in "${typed}")` : '';
      const pins = this.pinsOf(id);
      if (pins.length) {
        const rel = this.rel(path.join(this.promptsDir, ...id.split('/')));
        throw new UsageError(`prompt "${id}" is missing${where}: its version files were deleted from ${rel}/, but ${pins.map((p) => `${p.env} pins ${p.version}`).join(', ')}`, {
          hint: `restore them from git ("git log --diff-filter=D --name-only -- ${rel}" names the commit that deleted them), or roll the pins back; "prompts validate" lists every broken pin`,
        });
      }
      // never the name itself (a folder without versions is listed by no one)
      const s = didYouMean(id, this.listPromptIds().filter((x) => x !== id));
      throw new UsageError(`unknown prompt "${id}"${where}${s ? `; did you mean "${s}"?` : ''}`, {
        hint: `run "prompts list" to see the prompts, or "prompts new ${id}" to create it`,
      });
    }
    return versions;
  }

  /** The environments that pin `id`, with the version each pins (environment files that cannot be read are skipped). */
  pinsOf(id: string): { env: string; version: string }[] {
    const out: { env: string; version: string }[] = [];
    for (const env of this.config.environmentOrder) {
      try {
        if (!fs.existsSync(this.envPath(env))) continue;
        const prompts = this.loadEnv(env).value.prompts;
        const pin = Object.hasOwn(prompts, id) ? prompts[id] : undefined;
        if (pin) out.push({ env, version: pin.version });
      } catch {
        // a broken environment file is validate's to report
      }
    }
    return out;
  }

  /**
   * Reads and parses a YAML registry file, validating it against `kind`'s schema (a version
   * file, `prompt`, against the partial schema when it says `kind: partial`). Any problem
   * throws (exit `exit`) with file:line:col. Commands other than `validate` use this.
   */
  loadYaml<T>(file: string, kind: 'prompt' | 'suite' | 'environment', exit: 1 | 2 = 1): LoadedYaml<T> {
    const rel = this.rel(file);
    const decoded = readRegistryFile(file, this.root, kind === 'environment' ? MAX_ENV_FILE_BYTES : MAX_FILE_BYTES);
    const Err = exit === 1 ? CheckFailed : UsageError;
    if (isFileProblem(decoded)) throw new Err(decoded.message, { location: { file: rel, line: decoded.line, column: decoded.column } });
    const clean = readClean(decoded.text, kind);
    if (clean) {
      return {
        file,
        rel,
        decoded,
        get parsed() {
          return clean.parsed();
        },
        value: clean.value as T,
      };
    }
    const parsed = parseYaml(decoded.text);
    const first = parsed.issues[0];
    if (first) throw new Err(first.message, { location: { file: rel, line: first.line, column: first.column }, hint: 'run "prompts validate" to see every problem' });
    const issues = schemaFindings(kind === 'prompt' ? versionSchema(parsed.value) : kind, parsed.value);
    const i = issues[0];
    if (i) {
      const pos = positionOf(parsed, i.pointer, i.key);
      throw new Err(i.message, { location: { file: rel, ...pos }, hint: issues.length > 1 ? `${issues.length - 1} more problem(s); run "prompts validate"` : undefined });
    }
    return { file, rel, decoded, parsed, value: parsed.value as T };
  }

  loadPrompt(id: string, version: string): LoadedYaml<PromptFile> {
    const file = this.versionPath(id, version);
    // lstat: a symbolic link is refused by the read (never followed), not taken for a missing version
    if (!fs.lstatSync(file, { throwIfNoEntry: false })) {
      const versions = this.assertPromptExists(id);
      throw new UsageError(`prompt "${id}" has no version ${version}`, { hint: `versions: ${versions.join(', ')}` });
    }
    return this.loadYaml<PromptFile>(file, 'prompt');
  }

  loadSuite(id: string): LoadedYaml<SuiteFile> | undefined {
    const file = this.suitePath(id);
    if (!fs.lstatSync(file, { throwIfNoEntry: false })) return undefined;
    return this.loadYaml<SuiteFile>(file, 'suite');
  }

  /**
   * The environment file, or an empty one when it does not exist yet. Files in the layout
   * promote/rollback write take the fast reader (env files grow to megabytes); others the full
   * YAML + schema path with positions.
   */
  loadEnv(env: string): EnvSnapshot {
    return readEnvSnapshot(this, env);
  }
}

/**
 * Finds the registry from `cwd` and loads its config. Exit 2 when there is none or it is
 * unreadable/invalid: nothing else can work without it.
 */
export function openRegistry(cwd: string): Registry {
  const root = findRoot(cwd);
  if (!root) {
    throw new UsageError(`no promptrail registry found in ${path.resolve(cwd)} or any parent folder (looked for ${CONFIG_FILE})`, {
      hint: 'run "prompts init" to create one here, or pass -C <dir>',
    });
  }
  const registry = new Registry(root, loadConfigFile(root));
  assertDirsInside(registry);
  return registry;
}

/**
 * `prompts_dir` and `environments_dir` must name folders inside the registry (relative, no
 * "..", no drive or back-slash) reached through real folders only (no symbolic link on the way:
 * promptrail never reads or writes through one). Exit 2 with one line otherwise. The folders
 * may not exist yet.
 */
export function assertDirsInside(registry: Registry): void {
  for (const key of ['prompts_dir', 'environments_dir'] as const) {
    const d = registry.config[key];
    if (leavesRegistry(d) || path.isAbsolute(d)) {
      throw new UsageError(`"${key}" must be a folder inside the registry (relative, no ".."), found "${d}"`, { location: { file: CONFIG_FILE } });
    }
    const p = realDirProblem(registry.root, path.join(registry.root, d));
    if (p) {
      throw new UsageError(`"${key}" (${d}) must be a real folder inside the registry, but ${p.path} ${p.why}`, {
        location: { file: CONFIG_FILE },
        hint: p.why === 'is a symbolic link' ? `promptrail never reads or writes through a symbolic link: replace ${p.path} with the folder itself` : undefined,
      });
    }
  }
}

export function loadConfigFile(root: string): ConfigFile {
  return parseConfig(readRegistryFile(path.join(root, CONFIG_FILE), root));
}

/**
 * The config from its bytes (the working tree's, or another revision's for the trusted
 * providers of `--base`): the same decoding, YAML reading and schema as every other reader.
 * `label` names where the bytes came from in messages (default: the file name).
 */
export function parseConfig(decoded: DecodedFile | FileProblem, label: string = CONFIG_FILE): ConfigFile {
  if (isFileProblem(decoded)) {
    throw new UsageError(`cannot use ${label}: ${decoded.message}`, { location: { file: label, line: decoded.line, column: decoded.column } });
  }
  const clean = readClean(decoded.text, 'config');
  let parsed: () => ParsedYaml;
  if (clean) parsed = clean.parsed;
  else {
    const full = parseYaml(decoded.text);
    const first = full.issues[0];
    if (first) throw new UsageError(first.message, { location: { file: label, line: first.line, column: first.column } });
    const i = schemaFindings('config', full.value)[0];
    if (i) throw new UsageError(i.message, { location: { file: label, ...positionOf(full, i.pointer, i.key) } });
    parsed = () => full;
  }
  const cfg = (clean ? clean.value : parsed().value) as ConfigFile;
  const envs = Object.keys(cfg.environments ?? {});
  for (const [name, e] of Object.entries(cfg.environments ?? {})) {
    if (e?.requires !== undefined && !envs.includes(e.requires)) {
      throw new UsageError(`environment "${name}" requires unknown environment "${e.requires}"`, {
        location: { file: label, ...positionOf(parsed(), `/environments/${name}/requires`) },
      });
    }
  }
  return cfg;
}

export type { ParsedYaml };
