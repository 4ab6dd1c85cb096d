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
import { writeFileAtomic, decodeRegistryBytes, MAX_ENV_FILE_BYTES } from './files.js';
import { pidAlive } from './lock.js';
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
  if (!fs.existsSync(file)) return { env, file, rel, exists: false, bytes: null, value: { environment: env, prompts: {} } };
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
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile()) return null;
    const d = decodeRegistryBytes(fs.readFileSync(file), MAX_ENV_FILE_BYTES);
    return 'rule' in d ? null : d;
  } catch {
    return null;
  }
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

/**
 * A process killed between creating its temp file and renaming it leaves `.<name>.<pid>.<rand>.tmp`
 * behind; remove those of dead processes so they do not pile up as untracked files.
 */
export function removeDeadTempFiles(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    try {
      fs.unlinkSync(path.join(dir, n));
    } catch {
      /* another process removed it */
    }
  }
}
