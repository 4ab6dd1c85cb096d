/**
 * What a layer below the CLI (the eval gate, the apply path, …) may tell the user while it
 * works, without depending on src/cli/: cli/ui.ts's CommandContext is one of these.
 */
export interface Messages {
  /** the folder the command runs in (paths the user gave are relative to it) */
  cwd: string;
  /** the process environment the command runs with */
  env: NodeJS.ProcessEnv;
  /** --json: stdout holds one JSON document, so nothing else may go there */
  json: boolean;
  /** a message line on stderr (suppressed by --quiet) */
  info(msg: string): void;
  /** a warning line on stderr (never suppressed) */
  warn(msg: string): void;
}
