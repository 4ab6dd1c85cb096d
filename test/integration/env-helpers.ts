/** Helpers for the environments tests: run the CLI in-process, read env files, count commits. */
import { readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { runInProcess, type InProcessResult } from '../helpers/in-process.js';
import { makeRegistry, promptYaml, type TempRegistry } from '../helpers/registry.js';
import { parseYaml } from '../../src/registry/yaml.js';
import type { EnvironmentFile } from '../../src/core/types.js';

export type InProc = InProcessResult;

/** Runs `prompts -C <dir> ...args` in this process (fast; the e2e tests cover the built binary). */
export const prompts = (dir: string, args: string[], env: Record<string, string> = {}): Promise<InProc> => runInProcess(dir, args, env);

export const envFile = (r: TempRegistry, env: string): string => path.join(r.dir, 'environments', `${env}.yaml`);

export function envBytes(r: TempRegistry, env: string): string | null {
  const f = envFile(r, env);
  return existsSync(f) ? readFileSync(f, 'utf8') : null;
}

export function readEnv(r: TempRegistry, env: string): EnvironmentFile {
  const text = envBytes(r, env);
  if (text === null) throw new Error(`no ${env}.yaml`);
  const p = parseYaml(text);
  if (p.issues.length) throw new Error(p.issues[0]!.message);
  return p.value as EnvironmentFile;
}

export function head(r: TempRegistry): string {
  return r.git('rev-parse', 'HEAD').trim();
}

export function commitCount(r: TempRegistry): number {
  return Number(r.git('rev-list', '--count', 'HEAD').trim());
}

/** A config whose environments have no gate (dev -> staging -> production by requires). */
export const UNGATED_CONFIG = `environments:
  development: {}
  staging: { requires: development }
  production: { requires: staging }
providers:
  offline: { type: echo }
`;

/** A git registry with prompt `a` at 1.0.0, 1.1.0, 1.2.0, all committed. */
export function gitRegistry(config: string = UNGATED_CONFIG, prompts: Record<string, string[]> = { a: ['1.0.0', '1.1.0', '1.2.0'] }): TempRegistry {
  const r = makeRegistry({ git: true, config, prompts });
  r.write('.gitignore', '.prompts/\n');
  r.commitAll('init');
  return r;
}

export { promptYaml };
