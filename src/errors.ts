/**
 * Error classes carry their exit code (SPEC §7). Commands throw them; `cli/main.ts` is the one
 * place that turns them into a message on stderr and an exit code.
 */
export interface Location {
  file: string;
  line?: number;
  column?: number;
}

export class PromptrailError extends Error {
  readonly exitCode: number;
  readonly location: Location | undefined;
  /** How to fix it, printed after the message. */
  readonly hint: string | undefined;
  constructor(message: string, exitCode: number, opts: { location?: Location; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.location = opts.location;
    this.hint = opts.hint;
  }
}

/** Exit 1: the check found problems (validation, eval below gate, refused promotion, nothing to roll back). */
export class CheckFailed extends PromptrailError {
  constructor(message: string, opts: { location?: Location; hint?: string; cause?: unknown } = {}) {
    super(message, 1, opts);
  }
}

/** Exit 2: usage or configuration error (bad flags, unknown prompt/version/env, invalid id, no registry). */
export class UsageError extends PromptrailError {
  constructor(message: string, opts: { location?: Location; hint?: string; cause?: unknown } = {}) {
    super(message, 2, opts);
  }
}

/** Exit 3: conflict (lock held, file changed underneath, push rejected, dirty version file). */
export class ConflictError extends PromptrailError {
  constructor(message: string, opts: { location?: Location; hint?: string; cause?: unknown } = {}) {
    super(message, 3, opts);
  }
}

/** Exit 130: interrupted by Ctrl-C (SIGINT) before anything was written. */
export class Interrupted extends PromptrailError {
  constructor(message: string, opts: { location?: Location; hint?: string; cause?: unknown } = {}) {
    super(message, 130, opts);
  }
}

/** Exit 70: a bug or an unexpected environment failure. */
export class InternalError extends PromptrailError {
  constructor(message: string, opts: { location?: Location; hint?: string; cause?: unknown } = {}) {
    super(message, 70, opts);
  }
}

export function formatLocation(loc: Location | undefined): string {
  if (!loc) return '';
  let s = loc.file;
  if (loc.line !== undefined) {
    s += `:${loc.line}`;
    if (loc.column !== undefined) s += `:${loc.column}`;
  }
  return s;
}
