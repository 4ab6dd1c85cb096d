/** Which provider and model a run (and an llm-rubric grader) uses; no heavy imports. */
import type { Assertion } from '../core/types.js';
import type { Registry } from '../registry/registry.js';
import type { EvalTarget } from './suite.js';

/** The provider of a run: the flag, else the config's eval.provider, else the version's model.provider. */
export function chooseProvider(registry: Registry, target: EvalTarget, override?: string): string {
  return override ?? registry.config.eval.provider ?? target.prompt.model.provider;
}

/** The grader of an llm-rubric assertion: its `provider` and `model`, by default the provider and model under test. */
export function graderOf(a: Assertion, provider: string, model: string): { provider: string; model: string } {
  return { provider: a.provider ?? provider, model: a.model ?? model };
}
