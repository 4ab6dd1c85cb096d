/**
 * Output plumbing: data to stdout, messages and progress to stderr, colors only when wanted
 * (NO_COLOR / --no-color / FORCE_COLOR), progress (an ora spinner, loaded only when shown) only
 * on a TTY and never with --json, --quiet or in CI, and Ctrl-C for long work.
 */
import { appendFileSync } from 'node:fs';
import type { ChalkInstance } from 'chalk';
import { safeLines } from '../core/escape.js';

export interface Output {
  write(s: string): void;
  isTTY: boolean;
  /** the terminal behind it, for a spinner (process.stderr in the CLI; absent in tests) */
  stream?: NodeJS.WriteStream;
}

export interface GlobalOptions {
  cwd: string;
  json: boolean;
  /** colors on stdout (wantsColor for that stream: `prompts validate > file` writes none) */
  color: boolean;
  quiet: boolean;
  verbose: boolean;
}

/** The context of a command; it is also a RunContext for the layers below cli/ (structurally). */
export interface CommandContext extends GlobalOptions {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
  /** a message line on stderr (suppressed by --quiet); control characters escaped (core/escape.ts) */
  info(msg: string): void;
  /** a warning line on stderr (never suppressed) */
  warn(msg: string): void;
  /** colors on stderr, decided for that stream on its own (a terminal while stdout is a file) */
  colorErr: boolean;
  /** chalk for what goes to stdout (level 0 when stdout gets no colors) */
  c(): Promise<ChalkInstance>;
  /** chalk for messages on stderr (ctx.info / ctx.warn) */
  cErr(): Promise<ChalkInstance>;
  /** true when a spinner/progress may be shown */
  interactive: boolean;
  /** A progress line on stderr (a no-op unless `interactive`). */
  progress(text: string): Progress;
}

/** A progress line: a spinner with text, redrawn in place, removed by stop(). */
export interface Progress {
  update(text: string): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { update() {}, stop() {} };

/** ora on the terminal stream; it loads while the work starts, the latest text is shown once it has. */
function spinner(stream: NodeJS.WriteStream, text: string, color: boolean): Progress {
  let latest = text;
  let stopped = false;
  let ora: import('ora').Ora | undefined;
  import('ora').then(
    ({ default: make }) => {
      if (stopped) return;
      // isEnabled: the context decided (TTY, no --json/--quiet, not CI); stdin and the cursor left
      // alone, so Ctrl-C stays a plain signal that interruptible() alone handles
      ora = make({ text: latest, stream, isEnabled: true, discardStdin: false, hideCursor: false, color: color ? 'cyan' : false }).start();
    },
    () => undefined, // no spinner is no failure
  );
  return {
    update(t) {
      latest = t;
      if (ora) ora.text = t;
    },
    stop() {
      stopped = true;
      ora?.stop();
    },
  };
}

/**
 * Ctrl-C during long work: the first one says `message` and aborts the returned signal (the
 * command finishes cleanly with what it has); a second one ends the process at once. `dispose`
 * when the work is done.
 */
export function interruptible(ctx: CommandContext, message: string): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSigint = (): void => {
    if (ac.signal.aborted) {
      process.removeListener('SIGINT', onSigint);
      process.kill(process.pid, 'SIGINT');
      return;
    }
    ctx.warn(message);
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: ac.signal, dispose: () => void process.removeListener('SIGINT', onSigint) };
}

/** The options of a command that has none of its own (the global ones are in the context). */
export type NoOptions = Record<string, never>;

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

/**
 * The context of one command. `colors` is whether colors are allowed at all (false with
 * --no-color); each stream then gets them only when it is a terminal (wantsColor), decided on
 * its own: stdout redirected to a file gets no escape codes while stderr, still a terminal, does.
 */
export function makeContext(globals: Omit<GlobalOptions, 'color'> & { colors: boolean }, io: { stdout: Output; stderr: Output; env: NodeJS.ProcessEnv }): CommandContext {
  const { colors, ...rest } = globals;
  const opts: GlobalOptions = { ...rest, color: wantsColor(colors, io.env, io.stdout.isTTY) };
  const colorErr = wantsColor(colors, io.env, io.stderr.isTTY);
  const chalks = new Map<boolean, Promise<ChalkInstance>>();
  const chalk = (on: boolean): Promise<ChalkInstance> => {
    let p = chalks.get(on);
    if (!p) chalks.set(on, (p = import('chalk').then(({ Chalk }) => new Chalk({ level: on ? 1 : 0 }))));
    return p;
  };
  const interactive = io.stderr.isTTY && !opts.json && !opts.quiet && !isCI(io.env);
  const line = (msg: string): string => {
    const s = safeLines(msg, { keepColors: colorErr });
    return s.endsWith('\n') ? s : `${s}\n`;
  };
  const ctx: CommandContext = {
    ...opts,
    colorErr,
    stdout: io.stdout,
    stderr: io.stderr,
    env: io.env,
    interactive,
    progress(text) {
      // a terminal that reports no width (some pseudo-terminals) cannot have a line redrawn in place
      const stream = io.stderr.stream;
      return interactive && stream && (stream.columns ?? 0) > 0 ? spinner(stream, text, colorErr) : NO_PROGRESS;
    },
    c: () => chalk(opts.color),
    cErr: () => chalk(colorErr),
    // messages interpolate untrusted names (case names, ids, reasons): escaped here, whatever the caller did
    info(msg: string) {
      if (!opts.quiet) io.stderr.write(line(msg));
    },
    warn(msg: string) {
      io.stderr.write(line(msg));
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
