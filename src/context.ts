/**
 * What code below `cli/` may know of the command it runs in: the environment, whether stdout
 * is one JSON document, and where messages go. Dependency-free; `cli/ui.ts`'s CommandContext
 * satisfies it, so `apply/`, `eval/` and `registry/` never import `cli/`.
 */
export interface RunContext {
  /** the folder the command runs in (relative paths the user gave are relative to it) */
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** stdout carries one JSON document (--json) */
  readonly json: boolean;
  /** a message line on stderr (suppressed by --quiet) */
  info(msg: string): void;
  /** a warning line on stderr (never suppressed) */
  warn(msg: string): void;
}
