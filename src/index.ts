/**
 * promptrail's library API (SPEC §9): load the prompts an environment pins — from the registry
 * on disk or from a `prompts build` bundle — and render them with validated inputs.
 *
 *   import { loadBundle } from 'promptrail';
 *   const prompts = await loadBundle('prompts.bundle.json');
 *   const { model, messages } = prompts.get('support/triage').render({ ticket });
 *
 * Keep this import graph light: no CLI, commander, chalk, git or eval runner.
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
  type FieldProblem,
} from './sdk/errors.js';
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
} from './sdk/types.js';
export type { BundleFile, BundleEntry, BundleGit } from './sdk/bundle-format.js';
export { BUNDLE_FORMAT, BUNDLE_VERSION } from './sdk/bundle-format.js';
export type { Message, Role, ModelConfig, OutputSpec, JsonSchema } from './core/types.js';
