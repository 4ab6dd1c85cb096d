/** The one place errors become a message on stderr (and a JSON document with --json) and an exit code. */
import { PromptrailError, formatLocation } from '../errors.js';
import type { Output } from './ui.js';
import { safeText } from '../core/escape.js';

export function reportError(e: unknown, io: { stdout: Output; stderr: Output; env: NodeJS.ProcessEnv; verbose: boolean; json: boolean }): number {
  if (e instanceof PromptrailError) {
    const where = formatLocation(e.location);
    // one line, whatever the message quotes (a provider's error body, a case name, a YAML key)
    const line = `error: ${where ? `${safeText(where)}: ` : ''}${safeText(e.message)}${e.hint ? ` (${safeText(e.hint)})` : ''}`;
    io.stderr.write(`${line}\n`);
    if (io.verbose && e.stack) io.stderr.write(`${e.stack}\n`);
    if (io.json) {
      io.stdout.write(
        `${JSON.stringify({ ok: false, error: { message: e.message, exitCode: e.exitCode, file: e.location?.file ?? null, line: e.location?.line ?? null, column: e.location?.column ?? null, hint: e.hint ?? null } }, null, 2)}\n`,
      );
    }
    return e.exitCode;
  }
  const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
  io.stderr.write(`error: unexpected failure: ${safeText(msg)} (run again with --verbose for details, and report it if it persists)\n`);
  if (io.verbose && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
  if (io.json) io.stdout.write(`${JSON.stringify({ ok: false, error: { message: msg, exitCode: 70 } }, null, 2)}\n`);
  return 70;
}
