/**
 * The one engine for regular expressions a pull request writes: `regex` and `json-path matches`
 * assertions and JSON Schema `pattern` / `patternProperties` (inputs, output schemas, inline
 * json-schema assertions), in validate, render, eval, the gate and the runtime alike — so a
 * pattern valid in one is valid in all, and none can backtrack catastrophically (SPEC §11).
 *
 * Engine: re2js, a pure-JavaScript port of RE2 (linear-time matching: no backtracking, so
 * `(a+)+$` on a long reply takes milliseconds, not the age of the universe). Chosen over the
 * native `re2` bindings (a compiled addon whose install downloads a prebuilt binary) and over
 * running native RegExp in a worker with a timeout (a thread per match, and a timeout is a
 * wrong answer, not a bound). The price: RE2 syntax — no lookaround and no backreferences; such
 * patterns are reported as invalid by validate, with the reason.
 */
import { createRequire } from 'node:module';
import type { RE2JS as RE2JSClass } from 're2js';

const requireCjs = createRequire(import.meta.url);
let engine: typeof RE2JSClass | undefined;
// loaded on first use: only files and suites that hold a pattern pay for it
const re2 = (): typeof RE2JSClass => (engine ??= (requireCjs('re2js') as { RE2JS: typeof RE2JSClass }).RE2JS);

export interface UserRegex {
  /** true when the pattern matches somewhere in `s` (JavaScript's RegExp#test without g/y) */
  test(s: string): boolean;
  /** `/pattern/flags`: distinct per pattern (ajv's cache key) */
  toString(): string;
}

export class UserRegexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserRegexError';
  }
}

/** Flags a user may write: i, m, s change matching; g and u are accepted and change nothing for a test. */
const FLAGS = new Set(['i', 'm', 's', 'g', 'u']);

const cache = new Map<string, UserRegex | UserRegexError>();

/**
 * Compiles a user pattern (JavaScript syntax, translated to RE2's). Throws UserRegexError with
 * a one-line reason for syntax RE2 does not have (lookaround, backreferences) or bad flags.
 */
export function compileUserRegex(pattern: string, flags = ''): UserRegex {
  const k = `${flags}/${pattern}`;
  let r = cache.get(k);
  if (r === undefined) {
    r = build(pattern, flags);
    if (cache.size < 2000) cache.set(k, r);
  }
  if (r instanceof UserRegexError) throw r;
  return r;
}

/** Why `pattern` (with `flags`) cannot be used, or null. */
export function userRegexProblem(pattern: string, flags = ''): string | null {
  try {
    compileUserRegex(pattern, flags);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

function build(pattern: string, flags: string): UserRegex | UserRegexError {
  for (const f of flags) {
    if (!FLAGS.has(f)) return new UserRegexError(`flag "${f}" is not supported (use i, m, s, u or g)`);
  }
  const R = re2();
  let bits = 0;
  if (flags.includes('i')) bits |= R.CASE_INSENSITIVE;
  if (flags.includes('m')) bits |= R.MULTILINE;
  if (flags.includes('s')) bits |= R.DOTALL;
  try {
    const re = R.compile(R.translateRegExp(pattern), bits);
    const source = `/${pattern}/${flags}`;
    // toString: ajv keys its compiled patterns by it (an object's default "[object Object]" would make every pattern the first one)
    return { test: (s: string) => re.matcher(s).find(), toString: () => source };
  } catch (e) {
    const msg = (e as Error).message.replace(/^error parsing regexp: /, '');
    const hint = /Perl syntax|\\[1-9]|invalid escape/.test(msg) ? ' (patterns use RE2 syntax: no lookahead, lookbehind or backreferences)' : '';
    return new UserRegexError(`invalid regular expression /${pattern}/${flags}: ${msg}${hint}`);
  }
}

/**
 * For ajv's `code: { regExp }`: schema `pattern` and `patternProperties` through the same engine
 * (ajv passes the "u" flag).
 */
export const userRegExp: ((pattern: string, flags: string) => UserRegex) & { code: string } = Object.assign((pattern: string, flags: string) => compileUserRegex(pattern, flags), {
  // ajv's name for the engine in generated code; anything but "new RegExp" (native) — user schemas are never compiled standalone
  code: 'promptrail.userRegExp',
});
