/**
 * A registry with pinned environments for the SDK/build/types tests. Environment files are
 * written directly in the SPEC §4 format (each version file's sha256 with CRLF read as LF), as promote would.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { EnvironmentFile } from '../../src/core/types.js';
import { makeRegistry, promptYaml, type TempRegistry } from '../helpers/registry.js';
import { runInProcess } from '../helpers/in-process.js';
import { contentSha256 } from '../../src/registry/files.js';

export const TRIAGE_110 = `id: support/triage
version: 1.1.0
description: Classify a support ticket and draft a reply
model:
  provider: offline
  name: echo-1
  parameters: { temperature: 0.2, max_tokens: 400 }
inputs:
  type: object
  required: [ticket]
  properties:
    ticket: { type: string, minLength: 1, description: The customer's message }
    customer_tier: { type: string, enum: [free, pro, enterprise] }
    tags: { type: array, items: { type: string } }
  additionalProperties: false
output:
  format: json
  schema:
    type: object
    required: [category]
    properties:
      category: { type: string, enum: [billing, bug, other] }
      reply: { type: string }
messages:
  - role: system
    content: You are a support triage assistant.
  - role: user
    content: |
      Ticket: {{ticket}}
      {{#if customer_tier}}Tier: {{customer_tier}}{{/if}}
`;

export const SUMMARIZE_100 = `id: summarize
version: 1.0.0
model:
  provider: offline
  name: echo-2
inputs:
  type: object
  required: [text]
  properties:
    text: { type: string }
    max_words: { type: integer, minimum: 1 }
template: "Summarize in {{#if max_words}}{{max_words}}{{else}}50{{/if}} words: {{text}}"
`;

export function fileSha(reg: TempRegistry, id: string, version: string): string {
  return contentSha256(readFileSync(path.join(reg.dir, 'prompts', id, `${version}.yaml`)));
}

/** Writes environments/<env>.yaml pinning each id to a version, with the files' real sha256. */
export function pin(reg: TempRegistry, env: string, pins: Record<string, string>, shaOverride: Record<string, string> = {}): void {
  const file: EnvironmentFile = { environment: env, prompts: {} };
  for (const [id, version] of Object.entries(pins)) {
    file.prompts[id] = {
      version,
      sha256: shaOverride[id] ?? fileSha(reg, id, version),
      previous: null,
      promoted_at: '2026-11-22T10:04:11Z',
      promoted_by: 'Ana <ana@example.com>',
      history: [{ action: 'promote', version, from: null, at: '2026-11-22T10:04:11Z', by: 'Ana <ana@example.com>' }],
    };
  }
  reg.write(`environments/${env}.yaml`, `# Written by \`prompts promote\` and \`prompts rollback\`. Do not edit by hand.\n${stringify(file)}`);
}

/** production: support/triage@1.1.0 + summarize@1.0.0; development: support/triage@1.0.0; staging: no file. */
export function sdkRegistry(opts: { git?: boolean } = {}): TempRegistry {
  const reg = makeRegistry({ git: opts.git });
  reg.write('prompts/support/triage/1.0.0.yaml', promptYaml('support/triage', '1.0.0'));
  reg.write('prompts/support/triage/1.1.0.yaml', TRIAGE_110);
  reg.write('prompts/summarize/1.0.0.yaml', SUMMARIZE_100);
  pin(reg, 'production', { 'support/triage': '1.1.0', summarize: '1.0.0' });
  pin(reg, 'development', { 'support/triage': '1.0.0' });
  if (opts.git) reg.commitAll('initial registry');
  return reg;
}

/** Runs the CLI in-process (src/cli/main.ts) in `cwd`; faster than spawning the built binary. */
export async function runCli(cwd: string, args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const { code, stdout, stderr } = await runInProcess(cwd, args);
  return { stdout, stderr, exitCode: code };
}
