/** Helpers for the registry-command tests: run the CLI in-process and snapshot a tree. */
import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { runInProcess, type InProcessResult } from '../helpers/in-process.js';

export type Ran = InProcessResult;

/** `prompts -C <dir> ...args` in this process (the e2e tests cover the built binary). */
export const prompts = (dir: string, args: string[], env: Record<string, string | undefined> = {}): Promise<Ran> => runInProcess(dir, args, env);

/** Every file under `dir` (except .git/) → sha256 of its bytes (or "dir"/"link"), for "nothing changed" checks. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.git') continue;
      const abs = path.join(d, e.name);
      const rel = path.relative(dir, abs).split(path.sep).join('/');
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) out[rel] = 'link';
      else if (st.isDirectory()) {
        out[`${rel}/`] = 'dir';
        walk(abs);
      } else out[rel] = createHash('sha256').update(readFileSync(abs)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}
