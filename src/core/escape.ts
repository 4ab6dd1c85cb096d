/**
 * Untrusted text on its way to a terminal, a CI log or a markdown page (SPEC §11). Case names,
 * prompt ids, keys, reasons, `by` fields, model replies and provider error bodies come from a
 * pull request or a server; printed raw, an ESC sequence could recolour, move the cursor or set
 * the window title (OSC), a `\r` could overwrite what a line said, a newline could start a fake
 * line — or a GitHub Actions workflow command (`::error …`, `::add-mask::`, `::stop-commands::`),
 * which the runner reads from any line of a step's output whose first non-blank characters are
 * `::`. Every reporter passes such text through `safeText` (one value inside a line) or, for a
 * whole message that may hold several lines of its own, `safeLines`.
 */

/**
 * What never reaches a terminal as is: C0 controls (tab, newline and carriage return included),
 * DEL, C1 controls (8-bit CSI/OSC among them), the Unicode line and paragraph separators, and
 * the bidirectional overrides and isolates ("Trojan Source" reordering).
 */
// eslint-disable-next-line no-control-regex
export const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_RUN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\u001b': '\\e' };

function visible(ch: string): string {
  return NAMED[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** A line whose first non-blank characters are `::` is a workflow command to the Actions runner. */
const COMMAND_START = /^([ \t]*):(?=:)/;
const COMMAND_LINE = /^([ \t]*):(?=:)/gm;

/**
 * One untrusted value for a line of output: every unsafe character shown as a visible escape
 * (`\e`, `\r`, `\n`, `\t`, `\u0085` …), so the value stays on its line and cannot act on the
 * terminal; a value that would begin a line with `::` has its first colon escaped too.
 */
export function safeText(value: unknown): string {
  const s = typeof value === 'string' ? value : String(value);
  return s.replace(UNSAFE_CHARS, visible).replace(COMMAND_START, '$1\\u003a');
}

/**
 * A whole message of our own that may span lines (a refusal with its list of failed cases, a
 * multi-line note): unsafe characters escaped as in `safeText`, newlines kept, and no line may
 * start a workflow command. `keepColors` (only when colours are on, i.e. an interactive
 * terminal) lets the SGR colour sequences our reporters add through.
 */
export function safeLines(message: string, opts: { keepColors?: boolean } = {}): string {
  const escaped = opts.keepColors
    ? // our own colours (chalk's SGR sequences, `ESC [ digits ; m`) stay; any other escape is shown
      message.replace(SGR_OR_UNSAFE, (m) => (m.length > 1 ? m : visible(m)))
    : message.replace(UNSAFE_BUT_NEWLINE, visible);
  return escaped.replace(COMMAND_LINE, '$1\\u003a');
}
// eslint-disable-next-line no-control-regex
const SGR_OR_UNSAFE = /\u001b\[[0-9;]{0,32}m|[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** True when `s` holds nothing `safeText` would change. */
export function isSafeText(s: string): boolean {
  UNSAFE_CHARS.lastIndex = 0;
  return !UNSAFE_CHARS.test(s) && !/^[ \t]*::/.test(s);
}

/**
 * Text for markdown (a PR comment, a step summary, a table cell): no control characters or line
 * breaks, HTML special characters as entities, markdown punctuation backslash-escaped, `@` as an
 * entity (no mentions). It cannot add markup, links, images, HTML or a line of its own.
 */
export function markdownText(s: string): string {
  return (
    s
      .replace(UNSAFE_RUN, ' ')
      .replace(/[\\`*_{}[\]()#+!|~$-]/g, '\\$&')
      // entities last: their own `#` must stay as it is
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/@/g, '&#64;')
  );
}

/** Text for HTML element content or a quoted attribute. */
export function htmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
