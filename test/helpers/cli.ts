/** Runs the built CLI (bin/prompts.js) as a user would, with NO_COLOR, and returns its output. */
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { GIT_ENV } from './registry.js';

/** PROMPTRAIL_TEST_BIN: another build (e.g. of an older main, to see a test fail there) */
export const BIN = process.env.PROMPTRAIL_TEST_BIN ?? fileURLToPath(new URL('../../bin/prompts.js', import.meta.url));

export interface CliResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export async function cli(args: string[], opts: { cwd: string; env?: Record<string, string | undefined>; input?: string; timeout?: number }): Promise<CliResult> {
  const r = await execa(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { NO_COLOR: '1', CI: 'true', ...GIT_ENV, ...(opts.env ?? {}) },
    extendEnv: true,
    reject: false,
    input: opts.input,
    timeout: opts.timeout ?? 30000,
    stripFinalNewline: false,
  });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
}
