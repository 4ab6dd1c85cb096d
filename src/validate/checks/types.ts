/** What the per-file checks take (the context the config gives) and what they give for each file. */
import type { FileProblemEntry } from '../problem.js';
import type { IncludeSite, TemplateVariable } from '../../core/template.js';

export type FileKind = 'config' | 'prompt' | 'suite' | 'environment';

export interface CheckContext {
  /** provider names declared in the config (null: the config is unusable, skip these checks) */
  providers: string[] | null;
  /** environment names declared in the config (null: unknown) */
  environments: string[] | null;
  /** registry-relative prompts folder ("prompts") */
  promptsDir: string;
  /** return resolution facts for every version file (the cross-file phase reading a parent); never cached */
  resolveFacts?: boolean;
}

export interface PinFact {
  id: string;
  version: string;
  sha256: string;
  previous: string | null;
  /** a running rollout's candidate: pinned like the version (the file exists, its sha256 matches) */
  rollout?: { version: string; sha256: string; deps?: Record<string, string> };
  /** the [version, sha256] of each history entry that records one: versions released before */
  released?: [string, string][];
  /** the pin was edited by hand (env-history-tampered): its version and sha256 say nothing about the files */
  tampered?: boolean;
  /** the [<id>@<version>, sha256] of each deps entry its history records: partials and parents released before */
  releasedDeps?: [string, string][];
  /** the recorded sha256 of each other file of the closure, by <id>@<version> */
  deps?: Record<string, string>;
}

/** One template of a version file as resolution's cross-file checks need it (positions inside the template). */
export interface TemplateFact {
  /** JSON pointer of the template scalar (/template, /messages/0/content) */
  pointer: string;
  /** variables of the root context */
  vars: TemplateVariable[];
  /** partials: what reaches the root when included inside an {{#each}}/{{#with}} body */
  rootVars?: TemplateVariable[];
  /** its {{> name}} statements */
  sites: IncludeSite[];
}

/**
 * Version files that take part in resolution (partials, files with `uses:` or `extends:`): the
 * skeleton core/resolve.ts merges and walks (the value's keys, the text replaced by markers) and
 * the facts of its templates (null when one does not parse: its error is reported already).
 */
export interface ResolveFacts {
  skeleton: Record<string, unknown>;
  templates: TemplateFact[] | null;
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
  /** version files that take part in resolution */
  res?: ResolveFacts;
}
