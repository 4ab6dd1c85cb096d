/** What the per-file checks take (the context the config gives) and what they give for each file. */
import type { FileProblemEntry } from '../problem.js';

export type FileKind = 'config' | 'prompt' | 'suite' | 'environment';

export interface CheckContext {
  /** provider names declared in the config (null: the config is unusable, skip these checks) */
  providers: string[] | null;
  /** environment names declared in the config (null: unknown) */
  environments: string[] | null;
  /** registry-relative prompts folder ("prompts") */
  promptsDir: string;
}

export interface PinFact {
  id: string;
  version: string;
  sha256: string;
  previous: string | null;
  /** a running rollout's candidate: pinned like the version (the file exists, its sha256 matches) */
  rollout?: { version: string; sha256: string };
  /** the [version, sha256] of each history entry that records one: versions released before */
  released?: [string, string][];
  /** the pin was edited by hand (env-history-tampered): its version and sha256 say nothing about the files */
  tampered?: boolean;
}

/** what a version file declares as inputs (for checking its suite's case vars) */
export interface InputFacts {
  props: string[];
  required: string[];
  /** additional inputs are rejected (additionalProperties: false, or no inputs at all) */
  closed: boolean;
}

/** a suite case as far as its vars go */
export interface CaseFact {
  index: number;
  name: string;
  versions?: string;
  /** var names, defaults.vars included */
  vars: string[];
}

export interface FileOutcome {
  problems: FileProblemEntry[];
  /** environment files: the pins, for the cross-file sha256 check */
  pins?: PinFact[];
  /** version files: declared inputs */
  inputs?: InputFacts;
  /** suites: cases and their vars */
  cases?: CaseFact[];
}
