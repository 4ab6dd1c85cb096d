/**
 * Tests that need a system tool (prometheus, pre-commit, chromium, xmllint, ssh-keygen …) use
 * this one helper. On a machine without the tool they are skipped with the reason in their
 * title, so `npm test` passes on a fresh clone; under PROMPTRAIL_REQUIRE_TOOLS=1 (set by .ci/run,
 * which installs the tools) a missing tool is a failing test instead.
 *
 *   describeWithTool('prometheus', ['--version'], 'metrics scraped by Prometheus', () => { … });
 *   const t = requireTool('xmllint', ['--version']); if (t.available) …
 */
import { spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';

export interface ToolCheck {
  available: boolean;
  /** why it is not available (not installed, probe failed); undefined when available */
  reason?: string;
}

const cache = new Map<string, ToolCheck>();

/** Is `name` installed and working? Runs `name ...probe` once per process (e.g. ['--version']). */
export function requireTool(name: string, probe: string[]): ToolCheck {
  const key = [name, ...probe].join('\0');
  const have = cache.get(key);
  if (have) return have;
  const r = spawnSync(name, probe, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
  let check: ToolCheck;
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    check = { available: false, reason: code === 'ENOENT' ? `${name} is not installed (not on PATH)` : `${name} ${probe.join(' ')} failed to start (${code ?? r.error.message})` };
  } else if (r.status !== 0) {
    const why = (r.stderr || r.stdout || '').trim().split('\n')[0] ?? '';
    check = { available: false, reason: `${name} ${probe.join(' ')} exited with ${r.status ?? r.signal}${why ? `: ${why}` : ''}` };
  } else {
    check = { available: true };
  }
  cache.set(key, check);
  return check;
}

/** True when a missing tool must fail the run (CI) rather than skip. */
export function toolsRequired(): boolean {
  return process.env.PROMPTRAIL_REQUIRE_TOOLS === '1';
}

/**
 * `describe(title, fn)` when the tool works; otherwise a skipped block whose title says why, or
 * — with PROMPTRAIL_REQUIRE_TOOLS=1 — one failing test naming the missing tool.
 */
export function describeWithTool(name: string, probe: string[], title: string, fn: () => void): void {
  const t = requireTool(name, probe);
  if (t.available) {
    describe(title, fn);
  } else if (toolsRequired()) {
    describe(title, () => {
      it(`requires ${name}`, () => {
        throw new Error(`${t.reason}; PROMPTRAIL_REQUIRE_TOOLS=1 makes this a failure (install ${name}, e.g. apt-get install ${name})`);
      });
    });
  } else {
    console.warn(`skipping "${title}": ${t.reason} (set PROMPTRAIL_REQUIRE_TOOLS=1 to make this a failure)`);
    describe.skip(`${title} [skipped: ${t.reason}]`, fn);
  }
}
