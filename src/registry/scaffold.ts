/**
 * What `prompts init` and `prompts new` write: the default config (SPEC §5), a prompt skeleton,
 * the `--example` prompt and its suite, and the `$schema` modelines that let editors validate
 * YAML as the user types. Text builders are pure; the modeline path depends on where a file lives.
 */
import * as path from 'node:path';
import type { ProviderConfig } from '../core/types.js';
import { configValue } from '../git/repo.js';

export const MODELINE_PREFIX = '# yaml-language-server: $schema=';

/** The modeline for `file` pointing at `<root>/schemas/<kind>.schema.json`, relative to the file. */
export function modeline(root: string, file: string, kind: 'prompt' | 'partial' | 'suite' | 'environment' | 'config'): string {
  const target = path.join(root, 'schemas', `${kind}.schema.json`);
  let rel = path.relative(path.dirname(file), target).split(path.sep).join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  return `${MODELINE_PREFIX}${rel}`;
}

/** Replaces a leading modeline in `text` by `line`, or puts `line` first. */
export function withModeline(text: string, line: string): string {
  const lines = text.split('\n');
  if (lines[0]?.startsWith(MODELINE_PREFIX)) {
    lines[0] = line;
    return lines.join('\n');
  }
  return `${line}\n${text}`;
}

/** Today's date (UTC) as YYYY-MM-DD, the form the `created` field takes. */
export function isoDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export const DEFAULT_CONFIG = `${MODELINE_PREFIX}./schemas/config.schema.json
# promptrail registry config. Reference: https://github.com/promptrail/promptrail#config
prompts_dir: prompts
environments_dir: environments
history_limit: 50              # history entries kept per prompt in each environment file

environments:                  # ordered: the promotion path
  development: {}
  staging:
    requires: development      # a version must be pinned in development before it can go here
    gate: { min_pass_rate: 0.8 }
    overrides: { model: { parameters: { temperature: 0.3 } } }
  production:
    requires: staging
    gate: { min_pass_rate: 0.95, no_regressions: true }
    overrides: { model: { parameters: { temperature: 0.1 } } }

providers:                     # API keys come only from environment variables
  openai:    { type: openai, api_key_env: OPENAI_API_KEY }
  local:     { type: openai, base_url: "http://127.0.0.1:11434/v1" }   # Ollama, vLLM, llama.cpp …
  anthropic: { type: anthropic, api_key_env: ANTHROPIC_API_KEY }
  offline:   { type: echo }    # returns the rendered prompt: evals without a network

eval:
  concurrency: 8
  timeout_ms: 60000
  retries: 4                   # 429/5xx/network errors, with backoff
`;

/** A model name that fits a provider type, for skeletons. */
export function defaultModelName(type: ProviderConfig['type'] | undefined): string {
  switch (type) {
    case 'anthropic':
      return 'claude-3-5-haiku-latest';
    case 'echo':
      return 'echo';
    default:
      return 'gpt-4o-mini';
  }
}

function yamlString(s: string): string {
  // plain scalars are fine for ids/emails/names of our shapes; quote anything unusual
  return /^[A-Za-z0-9@._/+-][A-Za-z0-9@._/+ -]*$/.test(s) && !/^(true|false|null|yes|no|on|off|~)$/i.test(s) && !/^[\d.+-]/.test(s) ? s : JSON.stringify(s);
}

export interface SkeletonOptions {
  id: string;
  modeline: string;
  created: string;
  author?: string;
  provider: string;
  providerType?: ProviderConfig['type'];
}

/** `prompts new <id>`: a valid first version with one input, ready to edit. */
export function promptSkeleton(o: SkeletonOptions): string {
  return `${o.modeline}
id: ${o.id}
version: 1.0.0
description: ${yamlString(`What ${o.id} does (edit me)`)}
${o.author ? `author: ${yamlString(o.author)}\n` : ''}created: ${o.created}
changes:
  - Initial version
tags: []
model:
  provider: ${yamlString(o.provider)}
  name: ${defaultModelName(o.providerType)}
  parameters:
    temperature: 0.2
inputs:                        # JSON Schema of the template variables
  type: object
  required: [text]
  properties:
    text: { type: string, minLength: 1 }
  additionalProperties: false
messages:
  - role: system
    content: You are a helpful assistant.
  - role: user
    content: |
      {{text}}
`;
}

/**
 * `prompts new <id>`: the prompt's eval suite, valid and empty, with one example case commented
 * out (for the skeleton's `text` input). An empty suite never passes a gate silently: the gate
 * refuses it ("the suite has no cases that apply"), and `prompts eval` says it ran no case.
 */
export function suiteSkeleton(o: { id: string; modeline: string }): string {
  return `${o.modeline}
# Regression suite of ${o.id}, shared by all its versions. Run: prompts eval ${o.id}
# An environment with a gate (prompts.config.yaml) refuses to promote a version whose suite has
# no case for it. Add cases like this one (uncomment, then adapt vars and assertions):
#
#   - name: answers a simple question
#     vars: { text: "What is 2 + 2?" }
#     assert:
#       - { type: contains, value: "4" }
#       - { type: latency, max_ms: 10000 }
cases: []
`;
}

export const EXAMPLE_ID = 'example/greeting';

/** `prompts init --example`: a prompt that renders and passes its suite with the echo provider. */
export function examplePrompt(modelineLine: string, created: string, author?: string, provider = 'offline'): string {
  return `${modelineLine}
id: ${EXAMPLE_ID}
version: 1.0.0
description: Greets a user by name in a given tone (a sample; edit or delete it)
${author ? `author: ${yamlString(author)}\n` : ''}created: ${created}
changes:
  - Initial version
tags: [example]
model:
  provider: ${yamlString(provider)}${' '.repeat(Math.max(1, 21 - provider.length))}# the echo provider: evals run without a network or API key
  name: echo
  parameters:
    temperature: 0.2
inputs:
  type: object
  required: [name]
  properties:
    name: { type: string, minLength: 1, maxLength: 100 }
    tone: { type: string, enum: [friendly, formal] }
  additionalProperties: false
messages:
  - role: system
    content: You write one-sentence greetings.
  - role: user
    content: |
      Greet {{name}}{{#if tone}} in a {{tone}} tone{{/if}}.
`;
}

export function exampleSuite(modelineLine: string): string {
  return `${modelineLine}
# Regression suite for example/greeting, shared by all its versions. Run: prompts eval example/greeting
defaults:
  assert:
    - { type: latency, max_ms: 5000 }
cases:
  - name: greets by name
    vars: { name: Ada }
    assert:
      - { type: contains, value: Ada }
      - { type: length, min: 5, max: 2000 }
  - name: formal tone is passed to the model
    vars: { name: Grace, tone: formal }
    assert:
      - { type: icontains, value: formal }
      - { type: not-contains, value: "{{" }
`;
}

/** The `.gitignore` text with `.prompts/` added, or null when it is already ignored. */
export function gitignoreWithState(existing: string | null): string | null {
  const text = existing ?? '';
  const ignored = text.split(/\r?\n/).some((l) => ['.prompts', '.prompts/', '/.prompts', '/.prompts/', '.prompts/*', '/.prompts/*'].includes(l.trim()));
  if (ignored) return null;
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  return `${text}${sep}# promptrail local state (eval reports, response cache, locks)\n.prompts/\n`;
}

/**
 * `.gitattributes` lines that keep registry YAML at LF on every platform. promote records each
 * version file's sha256 byte for byte; with core.autocrlf (Git for Windows' default) a Windows
 * checkout has CRLF bytes, so pins made there would not match a Linux CI checkout (and back).
 * Returns the new content, or null when every line is already there.
 */
export function gitattributesWithEol(existing: string | null, promptsDirRel: string, envDirRel: string): string | null {
  const text = existing ?? '';
  const have = new Set(text.split(/\r?\n/).map((l) => l.trim().replace(/\s+/g, ' ')));
  const under = (d: string): string => (d === '.' || d === '' ? '' : `${d}/`);
  const wanted = [`${under(promptsDirRel)}**/*.yaml text eol=lf`, `${under(envDirRel)}*.yaml text eol=lf`];
  const missing = wanted.filter((l) => !have.has(l));
  if (missing.length === 0) return null;
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  return `${text}${sep}# promptrail: version and environment files are pinned by sha256, so keep them LF everywhere\n${missing.join('\n')}\n`;
}

/** The user's email for `author:` fields: GIT_AUTHOR_EMAIL, else git config user.email, else none. */
export async function authorEmail(cwd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const fromEnv = env.GIT_AUTHOR_EMAIL?.trim();
  if (fromEnv) return fromEnv;
  return configValue(cwd, 'user.email');
}

/** `prompts new <id> --partial`: a valid partial (SPEC §14) other version files include with uses: + {{> name}}. */
export function partialSkeleton(o: { id: string; modeline: string; created: string; author?: string }): string {
  return `${o.modeline}
id: ${o.id}
version: 1.0.0
kind: partial
description: ${yamlString(`Shared text: ${o.id} (edit me)`)}
${o.author ? `author: ${yamlString(o.author)}\n` : ''}created: ${o.created}
changes:
  - Initial version
inputs:                       # the variables the template uses; every prompt including it declares them too
  type: object
  properties: {}
template: |
  Answer politely and concisely.
`;
}
