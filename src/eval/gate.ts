/**
 * The promotion gate: the one interface between `promote` (environments) and the eval runner.
 * `promote` calls `runGate` for an environment that has a `gate` in the config; the eval issue
 * implements it (run the suite, or reuse a stored report whose prompt sha256, suite sha256,
 * provider and model all match; enforce min_pass_rate and no_regressions against the version
 * currently pinned in the target environment).
 */
import type { Registry } from '../registry/registry.js';
import type { EvalSummary, GateConfig } from '../core/types.js';
import type { CommandContext } from '../cli/ui.js';

export interface GateInput {
  registry: Registry;
  id: string;
  /** the version being promoted */
  version: string;
  /** the target environment */
  env: string;
  gate: GateConfig;
  /** the version pinned in the target environment now (the no_regressions baseline), or null */
  baselineVersion: string | null;
  /** for progress/messages on stderr; may be undefined when called from the library */
  ctx?: CommandContext;
}

export interface GateOutcome {
  passed: boolean;
  /** recorded in the environment entry (`eval:`) and the commit body */
  summary: EvalSummary;
  /** one line per reason the gate refused: failed cases, regressions, pass rate below the gate */
  failures: string[];
}

export async function runGate(_input: GateInput): Promise<GateOutcome> {
  // PLACEHOLDER until the eval issue lands: a gated environment cannot be evaluated yet, so
  // promote must refuse unless --skip-eval --reason is given.
  throw new GateUnavailable('evals are not available yet; promote with --skip-eval --reason <text> to bypass the gate');
}

export class GateUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GateUnavailable';
  }
}
