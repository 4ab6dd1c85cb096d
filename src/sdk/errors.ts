/**
 * Typed errors of the runtime API. They extend PromptrailError so the CLI reports them with an
 * exit code like every other error, and applications can `instanceof`-check each kind.
 */
import { PromptrailError } from '../errors.js';

export interface FieldProblem {
  /** the input (or output) field, "a.b" for nested values; "" for the whole value */
  field: string;
  message: string;
}

/** A pinned file or a bundle entry does not match its recorded sha256 / digest (exit 1). */
export class IntegrityError extends PromptrailError {
  readonly id: string | undefined;
  constructor(message: string, opts: { id?: string; file?: string; hint?: string } = {}) {
    super(message, 1, { location: opts.file ? { file: opts.file } : undefined, hint: opts.hint });
    this.id = opts.id;
  }
}

/** The value handed to loadBundle is not a promptrail bundle this version can read (exit 2). */
export class BundleFormatError extends PromptrailError {
  constructor(message: string, opts: { file?: string; hint?: string } = {}) {
    super(message, 2, { location: opts.file ? { file: opts.file } : undefined, hint: opts.hint });
  }
}

/** `get(id)` for an id that is not pinned in the environment / bundle (exit 2). */
export class PromptNotFoundError extends PromptrailError {
  readonly id: string;
  readonly suggestion: string | undefined;
  constructor(id: string, where: string, suggestion: string | undefined) {
    super(`prompt "${id}" is not in ${where}${suggestion ? `; did you mean "${suggestion}"?` : ''}`, 2, {
      hint: 'call ids() to see the prompts available',
    });
    this.id = id;
    this.suggestion = suggestion;
  }
}

/** `render(vars)` with inputs that do not satisfy the prompt's inputs schema (exit 2). */
export class InputValidationError extends PromptrailError {
  readonly id: string;
  readonly version: string;
  /** one entry per bad field, naming it */
  readonly errors: FieldProblem[];
  constructor(id: string, version: string, errors: FieldProblem[]) {
    super(`invalid inputs for ${id}@${version}: ${errors.map((e) => e.message).join('; ')}`, 2);
    this.id = id;
    this.version = version;
    this.errors = errors;
  }
}

/** `parseOutput(text)` with a model reply that is not JSON or does not match output.schema (exit 1). */
export class OutputValidationError extends PromptrailError {
  readonly id: string;
  readonly version: string;
  readonly errors: FieldProblem[];
  /** the reply text that failed */
  readonly text: string;
  constructor(id: string, version: string, errors: FieldProblem[], text: string) {
    super(`invalid output from ${id}@${version}: ${errors.map((e) => e.message).join('; ')}`, 1);
    this.id = id;
    this.version = version;
    this.errors = errors;
    this.text = text;
  }
}

/** A prompt whose template or schema cannot be compiled (only a hand-made bundle gets here; exit 1). */
export class PromptDefinitionError extends PromptrailError {
  readonly id: string;
  readonly version: string;
  constructor(id: string, version: string, message: string) {
    super(`prompt ${id}@${version} cannot be used: ${message}`, 1);
    this.id = id;
    this.version = version;
  }
}
