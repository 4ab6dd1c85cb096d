/**
 * Phase 2, the config: everything else depends on it. Its folders (a config may move prompts/
 * and environments/, never outside the registry), the providers and environments the per-file
 * checks need, the run digest and the per-file cache it keys, and the config's own checks.
 */
import { CONFIG_FILE, leavesRegistry } from '../paths.js';
import * as path from 'node:path';
import { decodeRegistryBytes, realDirProblem, sha256 } from '../registry/files.js';
import type { FileProblemEntry } from './problem.js';
import { isObject, type JsonObject } from '../core/json.js';
import type { CheckContext, FileOutcome } from './checks/types.js';
import { loadCache, type CacheEntry } from './cache.js';
import { runDigest } from './digest.js';
import { loadChecks } from './load-checks.js';
import { readProblem, type Run } from './run.js';

const DEFAULT_ENVIRONMENTS = ['development', 'staging', 'production'];

export interface ConfigStage {
  /** the config as parsed (null: it does not parse) */
  value: JsonObject | null;
  promptsDir: string;
  environmentsDir: string;
  ctx: CheckContext;
  digest: string;
  /** cached per-file results of earlier runs (for this digest) */
  cache: Map<string, CacheEntry>;
  /** the entries this run confirms or computes (written back at the end of phase 4) */
  fresh: Map<string, CacheEntry>;
  /** the config's bytes could not be read (no whole-run memo is recorded then) */
  unreadable: boolean;
  /** the config has errors (exit 2) */
  configError: boolean;
  /** false when a configured folder leaves the registry: nothing else is checked */
  dirsUsable: boolean;
}

/** The config's value when it parses (the fast parser first), else null. */
async function configValue(bytes: Buffer | undefined): Promise<JsonObject | null> {
  if (!bytes) return null;
  const d = decodeRegistryBytes(bytes);
  if ('rule' in d) return null;
  const { fastParse } = await import('./fast-yaml.js');
  const fast = fastParse(d.text);
  if (fast) return fast;
  const { parseYaml } = await import('../registry/yaml.js');
  const parsed = parseYaml(d.text);
  return parsed.issues.length === 0 && isObject(parsed.value) ? parsed.value : null;
}

function normDir(d: string | undefined, dflt: string): string {
  const s = (d ?? dflt).replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
  return s === '' || s === '.' ? dflt : s;
}

export async function readConfig(run: Run): Promise<ConfigStage> {
  const { opts } = run;
  const configBlob = (await run.src.read([CONFIG_FILE])).get(CONFIG_FILE)!;
  const cfg = await configValue(configBlob.bytes);
  const promptsDir = normDir(cfg && typeof cfg.prompts_dir === 'string' ? cfg.prompts_dir : undefined, 'prompts');
  const environmentsDir = normDir(cfg && typeof cfg.environments_dir === 'string' ? cfg.environments_dir : undefined, 'environments');
  // never list a folder outside the registry (the config check reports such a folder)
  if ((promptsDir !== 'prompts' || environmentsDir !== 'environments') && !leavesRegistry(promptsDir) && !leavesRegistry(environmentsDir)) {
    await run.relist([promptsDir, environmentsDir]);
  }
  const cfgEnvs = cfg && isObject(cfg.environments) ? Object.keys(cfg.environments) : [];
  const ctx: CheckContext = {
    providers: cfg === null ? null : isObject(cfg.providers) ? Object.keys(cfg.providers) : [],
    environments: cfg === null ? null : cfgEnvs.length ? cfgEnvs : DEFAULT_ENVIRONMENTS,
    promptsDir,
  };
  const digest = runDigest(opts.toolVersion, configBlob.bytes);
  // a --staged run checks a few changed files: only the small part (config, environments) pays off
  const cache = opts.cache ? loadCache(run.stateDir, digest, run.state, run.idx ? ['env'] : ['env', 'files']) : new Map<string, CacheEntry>();
  const fresh = new Map<string, CacheEntry>();
  let outcome: FileOutcome;
  if (configBlob.problem) outcome = { problems: [readProblem(configBlob.problem)] };
  else {
    const s = sha256(configBlob.bytes!);
    const hit = cache.get(CONFIG_FILE);
    outcome = hit && hit.s === s ? { problems: hit.r } : await (await loadChecks()).checkFileAsync('config', CONFIG_FILE, configBlob.bytes!, ctx);
    fresh.set(CONFIG_FILE, { s, r: outcome.problems });
  }
  run.report(CONFIG_FILE, outcome.problems);
  // the folders must be real folders inside the registry: nothing is read through a symbolic link
  // that leads elsewhere (the index has no such links to follow: its listing never does)
  let dirsReal = true;
  if (!run.idx && !leavesRegistry(promptsDir) && !leavesRegistry(environmentsDir)) {
    for (const [key, dir] of [['prompts_dir', promptsDir], ['environments_dir', environmentsDir]] as const) {
      const bad = realDirProblem(run.root, path.join(run.root, dir));
      if (!bad) continue;
      dirsReal = false;
      const p: FileProblemEntry = { line: 1, column: 1, rule: 'config-dir-invalid', severity: 'error', message: `"${key}" (${dir}) must be a real folder inside the registry, but ${bad.path} ${bad.why}; promptrail never reads or writes through a symbolic link` };
      run.report(CONFIG_FILE, [p]);
    }
  }
  return {
    value: cfg,
    promptsDir,
    environmentsDir,
    ctx,
    digest,
    cache,
    fresh,
    unreadable: configBlob.problem !== undefined,
    configError: !dirsReal || outcome.problems.some((p) => p.severity === 'error'),
    // an unparsable config still lets the other files be checked (with the default folders)
    dirsUsable: dirsReal && !outcome.problems.some((p) => p.rule === 'config-dir-invalid'),
  };
}
