/** Runs `prompts -C <dir> ...args` in this process (fast; the e2e tests cover the built binary). */
import { run } from '../../src/cli/main.js';
import { GIT_ENV } from './registry.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runInProcess(dir: string, args: string[], env: Record<string, string | undefined> = {}): Promise<InProcessResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(['-C', dir, ...args], {
    stdout: { write: (s) => void (stdout += s), isTTY: false },
    stderr: { write: (s) => void (stderr += s), isTTY: false },
    env: { ...process.env, ...GIT_ENV, NO_COLOR: '1', CI: 'true', ...env },
  });
  return { code, stdout, stderr };
}
