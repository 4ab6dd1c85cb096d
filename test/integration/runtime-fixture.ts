/**
 * Runtime tests: a temp registry with a config and prompt files, pinned in production as promote
 * would pin them, turned into a bundle by the same code `prompts build` runs.
 */
import { makeRegistry, type TempRegistry } from '../helpers/registry.js';
import { pin } from './sdk-fixture.js';
import { openRegistry } from '../../src/registry/registry.js';
import { collectPinned } from '../../src/sdk/collect.js';
import { makeBundle, serializeBundle } from '../../src/sdk/build.js';
import type { BundleFile } from '../../src/sdk/bundle-format.js';

export const KEY_ENV = 'PROMPTRAIL_TEST_KEY';

export function chatPrompt(opts: { id?: string; version?: string; provider?: string; model?: string; params?: string; extra?: string; json?: boolean } = {}): string {
  const id = opts.id ?? 'support/triage';
  return `id: ${id}
version: ${opts.version ?? '1.0.0'}
model:
  provider: ${opts.provider ?? 'main'}
  name: ${opts.model ?? 'test-model'}
  parameters: ${opts.params ?? '{ temperature: 0.2, max_tokens: 400 }'}
inputs:
  type: object
  required: [ticket]
  properties: { ticket: { type: string, minLength: 1 } }
  additionalProperties: false
${opts.json ? 'output:\n  format: json\n  schema: { type: object, required: [category], properties: { category: { type: string } } }\n' : ''}messages:
  - { role: system, content: "You triage tickets." }
  - { role: user, content: "Ticket: {{ticket}}" }
${opts.extra ?? ''}`;
}

export interface RuntimeFixture {
  reg: TempRegistry;
  bundle(env?: string): BundleFile;
  text(env?: string): string;
}

/** `providers` is the YAML body under `providers:`; `prompts` maps "<id>@<version>" to file text; all are pinned in production. */
export function runtimeFixture(o: { providers: string; prompts: Record<string, string>; budget?: string; git?: boolean }): RuntimeFixture {
  const reg = makeRegistry({
    git: o.git,
    config: `environments:
  development: {}
  production:
    overrides: { model: { parameters: { temperature: 0.1 } } }
${o.budget ? `budget: ${o.budget}\n` : ''}providers:
${o.providers}
`,
  });
  const pins: Record<string, string> = {};
  for (const [ref, text] of Object.entries(o.prompts)) {
    const [id, version] = ref.split('@') as [string, string];
    reg.write(`prompts/${id}/${version}.yaml`, text);
    pins[id] = version;
  }
  pin(reg, 'production', pins);
  const bundle = (env = 'production'): BundleFile => makeBundle(collectPinned(openRegistry(reg.dir), env), { commit: null, dirty: false });
  return { reg, bundle, text: (env) => serializeBundle(bundle(env)) };
}
