/**
 * The registry the evals-at-scale e2e tests share: support/triage (1.0.0, 1.1.0, 3 cases),
 * billing/refund (one case that fails on the echo provider), docs/nosuite (no suite); providers
 * `offline` (echo) and `llm` (a local OpenAI-compatible server that answers in upper case, with
 * prices); environments staging (gate min 0.5, temperature override) and production.
 */
import { afterAll, beforeAll } from 'vitest';
import { registriesPerTest, type TempRegistry } from './registry.js';
import { startOpenAIServer } from './servers/openai.js';
import type { FakeServer } from './servers/fake-llm.js';

export const version = (id: string, v: string, text: string, provider = 'offline') => `id: ${id}
version: ${v}
model: { provider: ${provider}, name: echo-1, parameters: { max_tokens: 50 } }
inputs: { type: object, required: [q], properties: { q: { type: string } }, additionalProperties: false }
template: "${text} {{q}}"
`;

export const suite = (names: string[], assert = '[{ type: contains, value: "ok" }]') =>
  `cases:\n${names.map((n) => `  - { name: ${JSON.stringify(n)}, vars: { q: ${JSON.stringify(`${n} ok`)} }, assert: ${assert} }`).join('\n')}\n`;

/** Call at module level: starts the server for the file and returns the registry factory. */
export function scaleRegistries(): { server: () => FakeServer; registry: (o?: { git?: boolean }) => TempRegistry } {
  let server: FakeServer;
  beforeAll(async () => {
    // "the model" answers in upper case: assertions on upper-case words pass only on this provider
    server = await startOpenAIServer({ respond: (req) => ({ type: 'ok', content: String(req.body.messages?.at(-1)?.content ?? '').toUpperCase(), usage: { input: 10, output: 10 } }) });
  });
  afterAll(async () => {
    await server.close();
  });
  const makeReg = registriesPerTest();
  const registry = (o: { git?: boolean } = {}): TempRegistry => {
    const reg = makeReg({
      git: o.git,
      config: `environments:
  staging: { gate: { min_pass_rate: 0.5 }, overrides: { model: { parameters: { temperature: 0.3 } } } }
  production: { requires: staging, gate: { min_pass_rate: 1, no_regressions: true } }
providers:
  offline: { type: echo }
  llm: { type: openai, base_url: "${server.url}", prices: { echo-1: { input_per_1m: 1000, output_per_1m: 1000 } } }
eval: { concurrency: 4, retries: 0 }
`,
    });
    reg.write('prompts/support/triage/1.0.0.yaml', version('support/triage', '1.0.0', 'Triage'));
    reg.write('prompts/support/triage/1.1.0.yaml', version('support/triage', '1.1.0', 'Triage better'));
    reg.write('prompts/support/triage/evals.yaml', suite(['refund', 'crash', 'login']));
    reg.write('prompts/billing/refund/1.0.0.yaml', version('billing/refund', '1.0.0', 'Refund'));
    // "broken" fails: the echo of its prompt has no "MISSING"
    reg.write('prompts/billing/refund/evals.yaml', `cases:\n  - { name: works, vars: { q: ok }, assert: [{ type: contains, value: ok }] }\n  - { name: broken, vars: { q: ok }, assert: [{ type: contains, value: MISSING }] }\n`);
    reg.write('prompts/docs/nosuite/1.0.0.yaml', version('docs/nosuite', '1.0.0', 'Docs'));
    if (o.git) {
      reg.write('.gitignore', '.prompts/\n');
      reg.commitAll('init');
    }
    return reg;
  };
  return { server: () => server, registry };
}
