/**
 * src/core/types.ts and schemas/*.schema.json describe the same files; this test fails when
 * they drift. Each key list below is checked against the TypeScript type at COMPILE time
 * (`satisfies Record<keyof T, true>` rejects a missing or an extra key; the required lists use
 * `RequiredKeys<T>`), and against the schema's `properties` / `required` at RUN time. So a key
 * added to one side only breaks either the typecheck or this test.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type {
  Assertion,
  ConfigFile,
  EnvironmentConfig,
  EnvironmentFile,
  Approval,
  ApprovalsConfig,
  EnvPin,
  EvalCase,
  EvalConfig,
  EvalSummary,
  GateConfig,
  HistoryEntry,
  RolloutState,
  RolloutConfig,
  RolloutMetricsConfig,
  Message,
  ModelConfig,
  ModelPrice,
  OutputSpec,
  PartialFile,
  PromptVersionFile,
  ProviderConfig,
  ProviderLimits,
  BreakerConfig,
  BudgetConfig,
  FallbackSpec,
  SuiteFile,
  AssertionType,
} from '../../src/core/types.js';
import { ASSERTION_TYPES, ROLLOUT_ACTIONS } from '../../src/core/types.js';

/** Keys whose property is not optional. */
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type Keys<T> = Record<keyof T, true>;
type Req<T> = Record<RequiredKeys<T>, true>;
type NoRequired = Record<never, true>;

type Schema = Record<string, unknown>;

function loadSchema(kind: string): Schema {
  return JSON.parse(readFileSync(new URL(`../../schemas/${kind}.schema.json`, import.meta.url), 'utf8')) as Schema;
}

/** Follows a JSON pointer inside `root`, resolving local `$ref`s on the way and at the end. */
function at(root: Schema, pointer: string): Schema {
  let node: unknown = root;
  const deref = (n: unknown): unknown => {
    let cur = n;
    for (let i = 0; i < 10 && cur && typeof cur === 'object' && typeof (cur as Schema).$ref === 'string'; i++) {
      const ref = (cur as Schema).$ref as string;
      if (!ref.startsWith('#')) throw new Error(`non-local $ref ${ref}`);
      cur = at(root, ref.slice(1));
    }
    return cur;
  };
  for (const seg of pointer.split('/').filter(Boolean)) {
    node = deref(node);
    if (!node || typeof node !== 'object') throw new Error(`${pointer}: no node at ${seg}`);
    node = (node as Schema)[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  node = deref(node);
  if (!node || typeof node !== 'object') throw new Error(`${pointer}: not a schema object`);
  return node as Schema;
}

interface Case {
  name: string;
  schema: Schema;
  keys: Record<string, true>;
  required: Record<string, true>;
}

function expectAgree({ name, schema, keys, required }: Case): void {
  const props = Object.keys((schema.properties ?? {}) as Schema).sort();
  expect(props, `${name}: schema properties vs type keys`).toEqual(Object.keys(keys).sort());
  const req = [...((schema.required ?? []) as string[])].sort();
  expect(req, `${name}: schema required vs non-optional type keys`).toEqual(Object.keys(required).sort());
  // closed objects: an unknown key is an error (issue 2 item 2)
  expect(schema.additionalProperties, `${name}: additionalProperties`).toBe(false);
}

const prompt = loadSchema('prompt');
const partial = loadSchema('partial');
const suite = loadSchema('suite');
const environment = loadSchema('environment');
const config = loadSchema('config');

// ---------------------------------------------------------------- prompt
const promptKeys = {
  id: true,
  version: true,
  description: true,
  author: true,
  created: true,
  changes: true,
  tags: true,
  model: true,
  inputs: true,
  output: true,
  messages: true,
  template: true,
  fallback: true,
  kind: true,
  uses: true,
  extends: true,
} satisfies Keys<PromptVersionFile>;
// model and the text are required unless the file extends another version (the schema's if/else)
const promptRequired = { id: true, version: true } satisfies Req<PromptVersionFile>;
const partialKeys = {
  id: true,
  version: true,
  kind: true,
  description: true,
  author: true,
  created: true,
  changes: true,
  tags: true,
  inputs: true,
  template: true,
  uses: true,
} satisfies Keys<PartialFile>;
const partialRequired = { id: true, version: true, kind: true, template: true } satisfies Req<PartialFile>;
const modelKeys = { provider: true, name: true, parameters: true } satisfies Keys<ModelConfig>;
const modelRequired = { provider: true, name: true } satisfies Req<ModelConfig>;
const outputKeys = { format: true, schema: true } satisfies Keys<OutputSpec>;
const outputRequired = { format: true } satisfies Req<OutputSpec>;
const messageKeys = { role: true, content: true } satisfies Keys<Message>;
const messageRequired = { role: true, content: true } satisfies Req<Message>;

// ---------------------------------------------------------------- suite
const suiteKeys = { defaults: true, cases: true } satisfies Keys<SuiteFile>;
const suiteRequired = { cases: true } satisfies Req<SuiteFile>;
const defaultsKeys = { vars: true, assert: true, repeat: true, case_pass_rate: true } satisfies Keys<NonNullable<SuiteFile['defaults']>>;
const caseKeys = { name: true, description: true, versions: true, vars: true, assert: true } satisfies Keys<EvalCase>;
const caseRequired = { name: true } satisfies Req<EvalCase>;
const assertionKeys = {
  type: true,
  name: true,
  weight: true,
  value: true,
  pattern: true,
  flags: true,
  schema: true,
  path: true,
  equals: true,
  contains: true,
  matches: true,
  min: true,
  max: true,
  threshold: true,
  max_ms: true,
  max_usd: true,
  rubric: true,
  provider: true,
  model: true,
} satisfies Keys<Assertion>;
const assertionRequired = { type: true } satisfies Req<Assertion>;
const assertionTypes = {
  equals: true,
  contains: true,
  icontains: true,
  'not-contains': true,
  regex: true,
  'starts-with': true,
  'is-json': true,
  'json-schema': true,
  'json-path': true,
  length: true,
  similar: true,
  latency: true,
  cost: true,
  tokens: true,
  'llm-rubric': true,
} satisfies Record<AssertionType, true>;

// ---------------------------------------------------------------- environment
const envKeys = { environment: true, prompts: true, approvals: true } satisfies Keys<EnvironmentFile>;
const approvalKeys = { by: true, at: true, sha256: true, reason: true } satisfies Keys<Approval>;
const approvalRequired = { by: true, at: true, sha256: true } satisfies Req<Approval>;
const envRequired = { environment: true, prompts: true } satisfies Req<EnvironmentFile>;
const pinKeys = {
  version: true,
  sha256: true,
  deps: true,
  previous: true,
  promoted_at: true,
  promoted_by: true,
  reason: true,
  eval: true,
  rollout: true,
  history: true,
} satisfies Keys<EnvPin>;
const pinRequired = { version: true, sha256: true, previous: true, promoted_at: true, promoted_by: true, history: true } satisfies Req<EnvPin>;
const historyKeys = {
  action: true,
  version: true,
  from: true,
  weight: true,
  sha256: true,
  deps: true,
  at: true,
  by: true,
  reason: true,
  eval: true,
  skip_eval: true,
  previous: true,
  digest: true,
  prev: true,
} satisfies Keys<HistoryEntry>;
const rolloutKeys = { version: true, sha256: true, deps: true, weight: true, salt: true, stages: true, started_at: true, started_by: true, updated_at: true, eval: true } satisfies Keys<RolloutState>;
const rolloutRequired = { version: true, sha256: true, weight: true, salt: true, started_at: true, started_by: true, updated_at: true } satisfies Req<RolloutState>;
const rolloutConfigKeys = { stages: true, min_stage_duration: true, min_requests: true, advance_when: true, abort_when: true, window: true, metrics: true } satisfies Keys<RolloutConfig>;
const rolloutMetricsKeys = { prometheus: true } satisfies Keys<RolloutMetricsConfig>;
const rolloutPrometheusKeys = { url: true, queries: true, timeout_ms: true } satisfies Keys<NonNullable<RolloutMetricsConfig['prometheus']>>;
const rolloutQueryKeys = { requests: true, errors: true, p95_latency_ms: true, cost_usd: true, quality: true } satisfies Keys<NonNullable<NonNullable<RolloutMetricsConfig['prometheus']>['queries']>>;
const historyRequired = { action: true, version: true, from: true, at: true, by: true } satisfies Req<HistoryEntry>;
const evalSummaryKeys = {
  pass_rate: true,
  passed: true,
  cases: true,
  suite_sha256: true,
  regressions: true,
  provider: true,
  model: true,
  skipped: true,
  report_sha256: true,
  shards: true,
} satisfies Keys<EvalSummary>;
const evalSummaryRequired = { pass_rate: true, passed: true, cases: true } satisfies Req<EvalSummary>;

// ---------------------------------------------------------------- config
const configKeys = { prompts_dir: true, environments_dir: true, history_limit: true, budget: true, environments: true, providers: true, eval: true } satisfies Keys<ConfigFile>;
const envConfigKeys = { requires: true, rollout: true, budget: true, gate: true, approvals: true, overrides: true } satisfies Keys<EnvironmentConfig>;
const approvalsConfigKeys = { required: true, signed: true } satisfies Keys<ApprovalsConfig>;
const gateKeys = { min_pass_rate: true, no_regressions: true, provider: true } satisfies Keys<GateConfig>;
const overridesKeys = { model: true } satisfies Keys<NonNullable<EnvironmentConfig['overrides']>>;
const overridesModelKeys = { provider: true, name: true, parameters: true } satisfies Keys<NonNullable<NonNullable<EnvironmentConfig['overrides']>['model']>>;
const providerKeys = { type: true, base_url: true, api_key_env: true, headers: true, timeout_ms: true, retries: true, limits: true, breaker: true, prices: true } satisfies Keys<ProviderConfig>;
const limitsKeys = { requests_per_minute: true, tokens_per_minute: true, concurrency: true } satisfies Keys<ProviderLimits>;
const breakerKeys = { failures: true, cooldown_ms: true } satisfies Keys<BreakerConfig>;
const budgetKeys = { usd_per_hour: true, usd_per_day: true } satisfies Keys<BudgetConfig>;
const fallbackKeys = { provider: true, model: true, parameters: true, text: true } satisfies Keys<FallbackSpec>;
const limitsRequired = {} satisfies Req<ProviderLimits>;
const breakerRequired = {} satisfies Req<BreakerConfig>;
const budgetRequired = {} satisfies Req<BudgetConfig>;
const fallbackRequired = {} satisfies Req<FallbackSpec>;
const providerRequired = { type: true } satisfies Req<ProviderConfig>;
const priceKeys = { input_per_1m: true, output_per_1m: true } satisfies Keys<ModelPrice>;
const priceRequired = { input_per_1m: true, output_per_1m: true } satisfies Req<ModelPrice>;
const evalConfigKeys = { concurrency: true, timeout_ms: true, retries: true, max_consecutive_failures: true, provider: true } satisfies Keys<EvalConfig>;
const none: NoRequired = {};

// Compile-time guards that the "no required keys" claims hold.
const configRequired = {} satisfies Req<ConfigFile>;
const envConfigRequired = {} satisfies Req<EnvironmentConfig>;
const gateRequired = {} satisfies Req<GateConfig>;
const evalConfigRequired = {} satisfies Req<EvalConfig>;
const defaultsRequired = {} satisfies Req<NonNullable<SuiteFile['defaults']>>;

const cases: Case[] = [
  { name: 'prompt', schema: prompt, keys: promptKeys, required: promptRequired },
  { name: 'partial', schema: partial, keys: partialKeys, required: partialRequired },
  { name: 'prompt.model', schema: at(prompt, '/properties/model'), keys: modelKeys, required: modelRequired },
  { name: 'prompt.output', schema: at(prompt, '/properties/output'), keys: outputKeys, required: outputRequired },
  { name: 'prompt.messages[]', schema: at(prompt, '/properties/messages/items'), keys: messageKeys, required: messageRequired },
  { name: 'suite', schema: suite, keys: suiteKeys, required: suiteRequired },
  { name: 'suite.defaults', schema: at(suite, '/properties/defaults'), keys: defaultsKeys, required: defaultsRequired },
  { name: 'suite.cases[]', schema: at(suite, '/properties/cases/items'), keys: caseKeys, required: caseRequired },
  { name: 'suite assertion', schema: at(suite, '/$defs/assertion'), keys: assertionKeys, required: assertionRequired },
  { name: 'environment', schema: environment, keys: envKeys, required: envRequired },
  { name: 'environment pin', schema: at(environment, '/properties/prompts/additionalProperties'), keys: pinKeys, required: pinRequired },
  { name: 'environment history entry', schema: at(environment, '/$defs/pin/properties/history/items'), keys: historyKeys, required: historyRequired },
  { name: 'environment pin rollout', schema: at(environment, '/$defs/pin/properties/rollout'), keys: rolloutKeys, required: rolloutRequired },
  { name: 'environment rollout eval', schema: at(environment, '/$defs/rollout/properties/eval'), keys: evalSummaryKeys, required: evalSummaryRequired },
  { name: 'config rollout', schema: at(config, '/properties/environments/additionalProperties/properties/rollout'), keys: rolloutConfigKeys, required: none },
  { name: 'config rollout.metrics', schema: at(config, '/$defs/rollout/properties/metrics'), keys: rolloutMetricsKeys, required: none },
  { name: 'config rollout.metrics.prometheus', schema: at(config, '/$defs/rollout/properties/metrics/properties/prometheus'), keys: rolloutPrometheusKeys, required: none },
  { name: 'config rollout queries', schema: at(config, '/$defs/rollout/properties/metrics/properties/prometheus/properties/queries'), keys: rolloutQueryKeys, required: none },
  { name: 'environment pin eval', schema: at(environment, '/$defs/pin/properties/eval'), keys: evalSummaryKeys, required: evalSummaryRequired },
  { name: 'environment history eval', schema: at(environment, '/$defs/historyEntry/properties/eval'), keys: evalSummaryKeys, required: evalSummaryRequired },
  { name: 'config', schema: config, keys: configKeys, required: configRequired },
  { name: 'config environment', schema: at(config, '/properties/environments/additionalProperties'), keys: envConfigKeys, required: envConfigRequired },
  { name: 'environment approval', schema: at(environment, '/$defs/approval'), keys: approvalKeys, required: approvalRequired },
  { name: 'config approvals', schema: at(config, '/properties/environments/additionalProperties/properties/approvals'), keys: approvalsConfigKeys, required: none },
  { name: 'config gate', schema: at(config, '/properties/environments/additionalProperties/properties/gate'), keys: gateKeys, required: gateRequired },
  { name: 'config overrides', schema: at(config, '/properties/environments/additionalProperties/properties/overrides'), keys: overridesKeys, required: none },
  {
    name: 'config overrides.model',
    schema: at(config, '/properties/environments/additionalProperties/properties/overrides/properties/model'),
    keys: overridesModelKeys,
    required: none,
  },
  { name: 'config provider', schema: at(config, '/properties/providers/additionalProperties'), keys: providerKeys, required: providerRequired },
  { name: 'config provider price', schema: at(config, '/properties/providers/additionalProperties/properties/prices/additionalProperties'), keys: priceKeys, required: priceRequired },
  { name: 'config eval', schema: at(config, '/properties/eval'), keys: evalConfigKeys, required: evalConfigRequired },
  { name: 'config provider limits', schema: at(config, '/properties/providers/additionalProperties/properties/limits'), keys: limitsKeys, required: limitsRequired },
  { name: 'config provider breaker', schema: at(config, '/properties/providers/additionalProperties/properties/breaker'), keys: breakerKeys, required: breakerRequired },
  { name: 'config budget', schema: at(config, '/properties/budget'), keys: budgetKeys, required: budgetRequired },
  { name: 'config environment budget', schema: at(config, '/properties/environments/additionalProperties/properties/budget'), keys: budgetKeys, required: budgetRequired },
  { name: 'prompt.fallback', schema: at(prompt, '/properties/fallback'), keys: fallbackKeys, required: fallbackRequired },
];

describe('types.ts and schemas/*.schema.json agree', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expectAgree(c);
  });

  it('assertion types: the schema enum, AssertionType and ASSERTION_TYPES are the same set', () => {
    const schemaEnum = (at(suite, '/$defs/assertion/properties/type').enum as string[]).slice().sort();
    expect(schemaEnum).toEqual(Object.keys(assertionTypes).sort());
    expect([...ASSERTION_TYPES].sort()).toEqual(schemaEnum);
  });

  it('enums of roles, output formats, provider types and history actions agree', () => {
    const roles = { system: true, user: true, assistant: true } satisfies Record<Message['role'], true>;
    expect((at(prompt, '/properties/messages/items/properties/role').enum as string[]).slice().sort()).toEqual(Object.keys(roles).sort());
    const formats = { text: true, json: true } satisfies Record<OutputSpec['format'], true>;
    expect((at(prompt, '/properties/output/properties/format').enum as string[]).slice().sort()).toEqual(Object.keys(formats).sort());
    const ptypes = { openai: true, anthropic: true, echo: true } satisfies Record<ProviderConfig['type'], true>;
    expect((at(config, '/properties/providers/additionalProperties/properties/type').enum as string[]).slice().sort()).toEqual(Object.keys(ptypes).sort());
    const actions = { promote: true, rollback: true, 'rollout-start': true, 'rollout-set': true, 'rollout-abort': true, 'rollout-complete': true } satisfies Record<HistoryEntry['action'], true>;
    expect((at(environment, '/$defs/historyEntry/properties/action').enum as string[]).slice().sort()).toEqual(Object.keys(actions).sort());
    expect([...ROLLOUT_ACTIONS, 'promote', 'rollback'].sort()).toEqual(Object.keys(actions).sort());
  });

  it('the helper notices drift (a schema with an extra property and a missing required key fails)', () => {
    const drifted: Schema = { ...at(prompt, '/properties/model'), properties: { ...(at(prompt, '/properties/model').properties as Schema), extra: {} } };
    expect(() => expectAgree({ name: 'drifted', schema: drifted, keys: modelKeys, required: modelRequired })).toThrow(/schema properties vs type keys/);
    const lost: Schema = { ...at(prompt, '/properties/model'), required: ['provider'] };
    expect(() => expectAgree({ name: 'lost', schema: lost, keys: modelKeys, required: modelRequired })).toThrow(/required/);
  });
});
