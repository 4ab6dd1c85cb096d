/**
 * Where things are: the registry's fixed names (its config file, state folder, suite file name),
 * the package's own folders (schemas/ is shipped beside dist/), and finding a registry by walking
 * up from a folder. Only node: imports, so a hot path, a worker thread or the SDK can take it
 * without loading anything else.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** the registry's config file, at its root; how a registry is found */
export const CONFIG_FILE = 'prompts.config.yaml';
/** local state (eval reports, caches, locks), never committed */
export const STATE_DIR = '.prompts';
/** a prompt's eval suite, beside its version files */
export const SUITE_FILE = 'evals.yaml';
/** the folders a config without prompts_dir / environments_dir uses */
export const DEFAULT_PROMPTS_DIR = 'prompts';
export const DEFAULT_ENVIRONMENTS_DIR = 'environments';

/** the package's root folder: src/ (tests) and dist/ (the build) both sit directly in it */
export const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** the shipped JSON Schemas */
export const SCHEMAS_DIR = path.join(PACKAGE_DIR, 'schemas');

/** Would a configured folder (prompts_dir, environments_dir) lead outside the registry? */
export function leavesRegistry(dir: string): boolean {
  return dir.startsWith('/') || dir.includes('\\') || dir.split('/').includes('..') || /^[A-Za-z]:/.test(dir);
}

/** The registry file kinds with a shipped JSON Schema. */
export const SCHEMA_KINDS = ['prompt', 'suite', 'environment', 'config', 'partial'] as const;
export type SchemaKind = (typeof SCHEMA_KINDS)[number];

/** The shipped schema file of a registry file kind (prompt, suite, environment, config, …). */
export function schemaFile(kind: string): string {
  return path.join(SCHEMAS_DIR, `${kind}.schema.json`);
}

/** The registry containing `cwd`: the nearest folder upwards holding CONFIG_FILE (like git finds .git). */
export function findRoot(cwd: string): string | undefined {
  for (let dir = path.resolve(cwd); ; ) {
    if (existsSync(path.join(dir, CONFIG_FILE))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
