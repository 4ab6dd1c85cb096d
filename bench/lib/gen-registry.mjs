// Generates a large, valid promptrail registry for benchmarks (reusable by other benches).
// Usage: import { generateRegistry } from './lib/gen-registry.mjs';
//        generateRegistry(dir, { prompts: 1000, versions: 10, envs: ['development','staging','production'] })
import { mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';

export const CONFIG = `# yaml-language-server: $schema=./schemas/config.schema.json
prompts_dir: prompts
environments_dir: environments
history_limit: 50
environments:
  development: {}
  staging:
    requires: development
    gate: { min_pass_rate: 0.8 }
  production:
    requires: staging
    gate: { min_pass_rate: 0.95, no_regressions: true }
providers:
  openai: { type: openai, api_key_env: OPENAI_API_KEY }
  offline: { type: echo }
`;

export function promptId(i) {
  const team = ['support', 'sales', 'search', 'billing', 'onboarding'][i % 5];
  return `${team}/p${String(i).padStart(4, '0')}`;
}

export function versionYaml(id, version, i, v) {
  const field = `field_${i % 37}`;
  return `# yaml-language-server: $schema=../../../schemas/prompt.schema.json
id: ${id}
version: ${version}
description: Prompt number ${i}, revision ${v}, classifies a ticket and drafts a reply
author: ana@example.com
created: 2026-11-${String(1 + (v % 28)).padStart(2, '0')}
changes:
  - Revision ${v} of prompt ${i}
  - Tightened the instructions
tags: [bench, team${i % 5}]
model:
  provider: ${v % 2 ? 'openai' : 'offline'}
  name: gpt-4o-mini
  parameters: { temperature: 0.${v % 10}, max_tokens: ${200 + v} }
inputs:
  type: object
  required: [ticket]
  properties:
    ticket: { type: string, minLength: 1, maxLength: 20000 }
    customer_tier: { type: string, enum: [free, pro, enterprise] }
    ${field}: { type: string }
  additionalProperties: false
output:
  format: json
  schema: { type: object, required: [category], properties: { category: { type: string } } }
messages:
  - role: system
    content: You are support assistant number ${i}. Answer in JSON.
  - role: user
    content: |
      Ticket: {{ticket}}
      {{#if customer_tier}}Tier: {{customer_tier}}{{/if}}
      {{#if ${field}}}Extra: {{${field}}}{{/if}}
      Revision ${v}.
`;
}

export function suiteYaml(i) {
  return `defaults:
  assert:
    - { type: latency, max_ms: 5000 }
cases:
  - name: refund request is billing ${i}
    vars: { ticket: "I was charged twice, please refund" }
    assert:
      - { type: json-schema }
      - { type: json-path, path: $.category, equals: billing }
  - name: tier is mentioned
    versions: ">=1.2.0"
    vars: { ticket: "hello", customer_tier: pro }
    assert:
      - { type: contains, value: "pro" }
`;
}

export function versionList(n) {
  const out = [];
  for (let v = 0; v < n; v++) out.push(`1.${v}.0`);
  return out;
}

/**
 * Writes the registry under `dir` (removed first). Returns { files, pins } counts.
 * Every env file pins every `pinEvery`-th prompt with the correct sha256.
 */
export function generateRegistry(dir, opts = {}) {
  const prompts = opts.prompts ?? 1000;
  const versions = opts.versions ?? 10;
  const envs = opts.envs ?? ['development', 'staging', 'production'];
  const pinEvery = opts.pinEvery ?? 2;
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'prompts.config.yaml'), CONFIG);
  writeFileSync(path.join(dir, '.gitignore'), '.prompts/\n');
  let files = 1;
  const shas = new Map();
  const vs = versionList(versions);
  for (let i = 0; i < prompts; i++) {
    const id = promptId(i);
    const pdir = path.join(dir, 'prompts', ...id.split('/'));
    mkdirSync(pdir, { recursive: true });
    vs.forEach((version, v) => {
      const text = versionYaml(id, version, i, v);
      writeFileSync(path.join(pdir, `${version}.yaml`), text);
      shas.set(`${id}@${version}`, createHash('sha256').update(text).digest('hex'));
      files++;
    });
    writeFileSync(path.join(pdir, 'evals.yaml'), suiteYaml(i));
    files++;
  }
  mkdirSync(path.join(dir, 'environments'), { recursive: true });
  let pins = 0;
  envs.forEach((env, e) => {
    let out = `# Written by \`prompts promote\` and \`prompts rollback\`. Do not edit by hand.\nenvironment: ${env}\nprompts:\n`;
    for (let i = 0; i < prompts; i += pinEvery) {
      const id = promptId(i);
      const version = vs[Math.max(0, vs.length - 1 - e)];
      const prev = vs[Math.max(0, vs.length - 2 - e)];
      out += `  ${id}:
    version: ${version}
    sha256: ${shas.get(`${id}@${version}`)}
    previous: ${prev}
    promoted_at: 2026-11-22T10:04:11Z
    promoted_by: Ana <ana@example.com>
    history:
      - { action: promote, version: ${version}, from: ${prev}, at: 2026-11-22T10:04:11Z, by: Ana <ana@example.com>, reason: bench }
`;
      pins++;
    }
    writeFileSync(path.join(dir, 'environments', `${env}.yaml`), out);
    files++;
  });
  return { files, pins, ids: prompts, versions: vs };
}
