/**
 * promptrail's library API (SPEC §9, §13): load the prompts an environment pins — from the registry
 * on disk or from a `prompts build` bundle, optionally refreshing — render them with validated
 * inputs, and run them against their providers with retries, a circuit breaker, rate limits,
 * budgets, fallbacks and OpenTelemetry.
 *
 *   import { loadBundle } from 'promptrail';
 *   const prompts = await loadBundle('prompts.bundle.json');
 *   const { model, messages } = prompts.get('support/triage').render({ ticket });
 *
 * Keep this import graph light: no CLI, commander, chalk, git or eval runner; run()'s providers,
 * resilience layer and OpenTelemetry load on the first run().
 */
export { loadBundle, openBundle } from './sdk/load-bundle.js';
export { loadRegistry } from './sdk/load-registry.js';
export {
  IntegrityError,
  BundleFormatError,
  PromptNotFoundError,
  InputValidationError,
  OutputValidationError,
  PromptDefinitionError,
  ProviderUnavailableError,
  BudgetExceededError,
  ProviderRequestError,
  type FieldProblem,
  type UnavailableReason,
} from './sdk/errors.js';
export { InMemoryBudgetStore, type BudgetStore, type BudgetDecision } from './sdk/budget.js';
export { PromptrailError, UsageError, CheckFailed } from './errors.js';
export type {
  PromptMap,
  PromptTypeInfo,
  UntypedPrompt,
  PromptTypesOf,
  PromptHandle,
  PromptSet,
  RenderedPrompt,
  LoadRegistryOptions,
  LoadBundleOptions,
  RuntimeOptions,
  GetOptions,
  RunOptions,
  RunResult,
  FallbackInfo,
  Variant,
  BundleUpdate,
} from './sdk/types.js';
export type { BundleFile, BundleEntry, BundleRollout, BundleGit, BundleProvider } from './sdk/bundle-format.js';
export { BUNDLE_FORMAT, BUNDLE_VERSION } from './sdk/bundle-format.js';
export type { Message, Role, ModelConfig, OutputSpec, JsonSchema, FallbackSpec, BudgetConfig, ProviderLimits, BreakerConfig } from './core/types.js';
export type { Usage } from './providers/types.js';
