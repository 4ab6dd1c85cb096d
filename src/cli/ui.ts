/**
 * Output plumbing: data to stdout, messages and progress to stderr, colors only when wanted
 * (NO_COLOR / --no-color / FORCE_COLOR), spinners only on a TTY and never with --json or in CI.
 */
import { appendFileSync } from 'node:fs';
import type { ChalkInstance } from 'chalk';
import type { RunContext } from '../context.js';

export interface Output {
  write(s: string): void;
  isTTY: boolean;
}

export interface GlobalOptions {
  cwd: string;
  json: boolean;
  color: boolean;
  quiet: boolean;
  verbose: boolean;
}

export interface CommandContext extends GlobalOptions, RunContext {
  stdout: Output;
  stderr: Output;
  /** chalk configured for stderr/stdout color support (level 0 when colors are off) */
  c(): Promise<ChalkInstance>;
  /** true when a spinner/progress may be shown */
  interactive: boolean;
}

export function wantsColor(flag: boolean, env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (!flag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return false;
  return isTTY && env.TERM !== 'dumb';
}

export function isCI(env: NodeJS.ProcessEnv): boolean {
  return env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
}

export function makeContext(opts: GlobalOptions, io: { stdout: Output; stderr: Output; env: NodeJS.ProcessEnv }): CommandContext {
  let chalkP: Promise<ChalkInstance> | undefined;
  const ctx: CommandContext = {
    ...opts,
    stdout: io.stdout,
    stderr: io.stderr,
    env: io.env,
    interactive: io.stderr.isTTY && !opts.json && !opts.quiet && !isCI(io.env),
    c() {
      if (!chalkP) {
        chalkP = import('chalk').then(({ Chalk }) => new Chalk({ level: opts.color ? 1 : 0 }));
      }
      return chalkP;
    },
    info(msg: string) {
      if (!opts.quiet) io.stderr.write(msg.endsWith('\n') ? msg : `${msg}\n`);
    },
    warn(msg: string) {
      io.stderr.write(msg.endsWith('\n') ? msg : `${msg}\n`);
    },
  };
  return ctx;
}

/** Writes one JSON document to stdout (the only thing on stdout with --json). */
export function writeJson(ctx: CommandContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Under GitHub Actions ($GITHUB_STEP_SUMMARY set) appends markdown to the job summary; a
 * failure to do so is a warning, never a failed command. `render` runs only when it is set.
 */
export function appendStepSummary(ctx: CommandContext, render: () => string): void {
  const file = ctx.env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  try {
    appendFileSync(file, render());
  } catch (e) {
    ctx.warn(`warning: cannot append to $GITHUB_STEP_SUMMARY (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
