/**
 * Environment files on disk (SPEC §4): reading a snapshot with its exact bytes (the fast reader
 * for files in promptrail's own layout, the full YAML + schema path with positions otherwise),
 * the compare-and-swap check, atomic writes, and restoring the old bytes when a later step
 * fails. The bytes themselves: env-serialize.ts; the fast reader: env-fast-parse.ts and
 * env-shape.ts (re-exported here, the store's public face).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EnvironmentFile } from '../core/types.js';
import { writeFileAtomic, decodeRegistryBytes, readRegularFile, removeDeadTempFiles, MAX_ENV_FILE_BYTES } from './files.js';
import { serializeEnv } from './env-serialize.js';
import { fastParseEnv } from './env-fast-parse.js';
import { envShapeOk } from './env-shape.js';

export { serializeEnv, yamlString, ENV_HEADER } from './env-serialize.js';
export { fastParseEnv } from './env-fast-parse.js';
export { envShapeOk } from './env-shape.js';

/** What the store needs of the registry (registry.ts satisfies it; no import back, no cycle). */
export interface EnvFiles {
  assertEnv(env: string): void;
  envPath(env: string): string;
  rel(file: string): string;
  loadYaml<T>(file: string, kind: 'environment'): { decoded: { bytes: Buffer }; value: T };
}

export interface EnvSnapshot {
  env: string;
  file: string;
  /** registry-relative path */
  rel: string;
  exists: boolean;
  /** the exact bytes read (null when the file did not exist) */
  bytes: Buffer | null;
  value: EnvironmentFile;
}

/** Reads and validates an environment file (exit 1 with file:line:col when it is broken). */
export function readEnvSnapshot(registry: EnvFiles, env: string): EnvSnapshot {
  registry.assertEnv(env);
  const file = registry.envPath(env);
  const rel = registry.rel(file);
  // lstat: a symbolic link (even a dangling one) is something, refused by the full reader below
  if (!fs.lstatSync(file, { throwIfNoEntry: false })) return { env, file, rel, exists: false, bytes: null, value: { environment: env, prompts: {} } };
  // fast path: a file exactly as promote/rollback write it
  const raw = readOwnEnvBytes(file);
  if (raw) {
    const fast = fastParseEnv(raw.text);
    if (fast && envShapeOk(fast)) return { env, file, rel, exists: true, bytes: raw.bytes, value: fast };
  }
  const loaded = registry.loadYaml<EnvironmentFile>(file, 'environment');
  return { env, file, rel, exists: true, bytes: loaded.decoded.bytes, value: loaded.value };
}

/** The file's bytes and text when it passes the registry-file guards (else the full path explains why). */
function readOwnEnvBytes(file: string): { bytes: Buffer; text: string } | null {
  const bytes = readRegularFile(file, MAX_ENV_FILE_BYTES);
  if (!Buffer.isBuffer(bytes)) return null;
  const d = decodeRegistryBytes(bytes, MAX_ENV_FILE_BYTES);
  return 'rule' in d ? null : d;
}

/** Have the bytes on disk changed since `snap` was read? */
export function changedSince(snap: EnvSnapshot): boolean {
  let now: Buffer | null;
  try {
    now = fs.readFileSync(snap.file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') now = null;
    else throw e;
  }
  if (now === null || snap.bytes === null) return now !== snap.bytes;
  return !now.equals(snap.bytes);
}

/** Atomic write of the new env file (temp + fsync + rename). */
export function writeEnv(file: string, value: EnvironmentFile): string {
  const text = serializeEnv(value);
  removeDeadTempFiles(path.dirname(file));
  writeFileAtomic(file, text);
  return text;
}

/** Puts back exactly what `snap` read (or removes the file when there was none). */
export function restoreEnv(snap: EnvSnapshot): void {
  if (snap.bytes === null) {
    try {
      fs.unlinkSync(snap.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  } else {
    writeFileAtomic(snap.file, snap.bytes);
  }
}

/** (lives in registry/files.ts, beside the temp files it sweeps) */
export { removeDeadTempFiles } from './files.js';

/**
 * An environment file's text from elsewhere (git at some revision), read strictly: the fast
 * reader, else the full YAML parser and the schema. null when it is not a valid environment file.
 */
export async function parseEnvText(text: string): Promise<EnvironmentFile | null> {
  const fast = fastParseEnv(text);
  if (fast && envShapeOk(fast)) return fast;
  const { parseYaml } = await import('./yaml.js');
  const { getValidator } = await import('./schemas.js');
  const parsed = parseYaml(text);
  if (parsed.issues.length || !getValidator('environment')(parsed.value)) return null;
  return parsed.value as EnvironmentFile;
}
