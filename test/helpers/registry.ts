/**
 * Temp registries for integration and e2e tests: a real directory, optionally a real git repo
 * with its own identity (CI has none configured), removed after the test.
 */
import { afterEach } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';

export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test User',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test User',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

export const BASIC_CONFIG = `prompts_dir: prompts
environments_dir: environments
history_limit: 50
environments:
  development: {}
  staging:
    requires: development
    gate: { min_pass_rate: 0.8 }
    overrides: { model: { parameters: { temperature: 0.3 } } }
  production:
    requires: staging
    gate: { min_pass_rate: 0.95, no_regressions: true }
    overrides: { model: { parameters: { temperature: 0.1 } } }
providers:
  openai: { type: openai, api_key_env: OPENAI_API_KEY }
  offline: { type: echo }
eval:
  concurrency: 4
  timeout_ms: 5000
  retries: 2
`;

export function promptYaml(id: string, version: string, extra: { body?: string; provider?: string } = {}): string {
  return `id: ${id}
version: ${version}
description: Classify a support ticket
author: ana@example.com
created: 2026-11-20
changes:
  - Initial version
tags: [support]
model:
  provider: ${extra.provider ?? 'offline'}
  name: echo-1
  parameters: { temperature: 0.2, max_tokens: 400 }
inputs:
  type: object
  required: [ticket]
  properties:
    ticket: { type: string, minLength: 1 }
    customer_tier: { type: string, enum: [free, pro, enterprise] }
  additionalProperties: false
messages:
  - role: system
    content: You are a support triage assistant.
  - role: user
    content: |
      Ticket: {{ticket}}
      {{#if customer_tier}}Tier: {{customer_tier}}{{/if}}${extra.body ?? ''}
`;
}

export interface TempRegistry {
  dir: string;
  write(rel: string, content: string | Buffer): string;
  git(...args: string[]): string;
  commitAll(message?: string): void;
  cleanup(): void;
}

export function makeRegistry(opts: { git?: boolean; config?: string | null; prompts?: Record<string, string[]> } = {}): TempRegistry {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'promptrail-test-')));
  const write = (rel: string, content: string | Buffer): string => {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  };
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (opts.config !== null) write('prompts.config.yaml', opts.config ?? BASIC_CONFIG);
  for (const [id, versions] of Object.entries(opts.prompts ?? {})) {
    for (const v of versions) write(`prompts/${id}/${v}.yaml`, promptYaml(id, v));
  }
  if (opts.git) {
    git('init', '-q', '-b', 'main');
    git('config', 'user.name', 'Test User');
    git('config', 'user.email', 'test@example.com');
    git('config', 'commit.gpgsign', 'false');
  }
  return {
    dir,
    write,
    git,
    commitAll(message = 'test commit') {
      git('add', '-A');
      git('commit', '-q', '-m', message, '--allow-empty');
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A `makeRegistry` whose registries are removed after each test of the file that calls this
 * (at module level).
 */
export function registriesPerTest(): (opts?: Parameters<typeof makeRegistry>[0]) => TempRegistry {
  const made: TempRegistry[] = [];
  afterEach(() => {
    for (const r of made.splice(0)) r.cleanup();
  });
  return (opts = {}) => {
    const r = makeRegistry(opts);
    made.push(r);
    return r;
  };
}
