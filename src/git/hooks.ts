/**
 * The git pre-commit hook that runs `prompts validate --staged`. Installed into the hooks
 * folder git actually uses (`git rev-parse --git-path hooks` honours core.hooksPath and
 * worktrees). A marker line identifies our own hook so re-installing replaces it silently; a
 * hook someone else wrote is only replaced with --force, and then kept beside it
 * (`pre-commit.before-promptrail`) and chained: our hook runs it after a passing validate.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { git } from './run.js';

export const HOOK_MARKER = '# promptrail-managed-hook';

/** POSIX-shell single-quoted string. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** This CLI's own entry point (bin/prompts.js), when it exists: the hook's last-resort binary. */
export function installingCli(): string | undefined {
  try {
    const bin = fileURLToPath(new URL('../../bin/prompts.js', import.meta.url));
    return fs.existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The hook script. `registryRel` is the registry folder relative to the repository's top level
 * ("" when they are the same). The binary is resolved at commit time: the repo's local
 * node_modules first (the version the project pins), then `prompts` on PATH, then the CLI that
 * installed the hook (`cli`, e.g. from `npx promptrail hook install`, when it still exists), then
 * npx without installing anything. Without any of them the commit is blocked with a clear message.
 */
export function hookScript(registryRel: string, cli: string | null = installingCli() ?? null, previous: string | null = null): string {
  const rel = registryRel.split(path.sep).join('/');
  // without a previous hook, validate's exit status is the hook's (exec); with one, a passing
  // validate goes on to run it
  const run = (cmd: string, indent: string): string => (previous ? `${cmd}\n${indent}then_previous $?` : `exec ${cmd}`);
  // the node that installed the hook too: git GUIs often run hooks without the shell's PATH (nvm)
  const fallback = cli
    ? `PROMPTS_CLI=${shellQuote(cli)}
PROMPTS_NODE=${shellQuote(process.execPath)}
if [ -f "$PROMPTS_CLI" ]; then
  if command -v node >/dev/null 2>&1; then
    ${run('node "$PROMPTS_CLI" -C "$REGISTRY" validate --staged', '    ')}
  fi
  if [ -x "$PROMPTS_NODE" ]; then
    ${run('"$PROMPTS_NODE" "$PROMPTS_CLI" -C "$REGISTRY" validate --staged', '    ')}
  fi
fi
`
    : '';
  return `#!/bin/sh
${HOOK_MARKER}
# Installed by "prompts hook install": validates the prompt registry content staged for this
# commit. Re-run "prompts hook install" to update it; delete this file to remove it; bypass
# once with "git commit --no-verify".
REPO_ROOT="$(git rev-parse --show-toplevel)" || exit 1
REGISTRY="$REPO_ROOT"${rel ? `/${shellQuote(rel)}` : ''}
${previous ? chainLines(previous) : ''}for candidate in "$REGISTRY/node_modules/.bin/prompts" "$REPO_ROOT/node_modules/.bin/prompts"; do
  if [ -x "$candidate" ]; then
    ${run('"$candidate" -C "$REGISTRY" validate --staged', '    ')}
  fi
done
if command -v prompts >/dev/null 2>&1; then
  ${run('prompts -C "$REGISTRY" validate --staged', '  ')}
fi
${fallback}if command -v npx >/dev/null 2>&1 && npx --no-install prompts --version >/dev/null 2>&1; then
  ${run('npx --no-install prompts -C "$REGISTRY" validate --staged', '  ')}
fi
echo "promptrail pre-commit hook: the prompts CLI was not found, so the staged prompts cannot be validated and the commit is blocked (install it with: npm install --save-dev promptrail; bypass once with: git commit --no-verify)" >&2
exit 1
`;
}

/** The marker of the hook ours chains, with its file name (beside ours in the hooks folder). */
export const PREVIOUS_MARKER = '# promptrail-previous-hook: ';

function chainLines(previous: string): string {
  return `${PREVIOUS_MARKER}${previous}
# the hook that was here before "prompts hook install --force": it runs after a passing validate
PREVIOUS_HOOK="$(dirname "$0")"/${shellQuote(previous)}
then_previous() {
  [ "$1" -eq 0 ] || exit "$1"
  if [ -f "$PREVIOUS_HOOK" ] && [ -x "$PREVIOUS_HOOK" ]; then
    exec "$PREVIOUS_HOOK"
  fi
  exit 0
}
`;
}

/** The file name of the hook `text` (our hook) chains, or null. */
export function chainedHook(text: string): string | null {
  const line = text.split('\n').find((l) => l.startsWith(PREVIOUS_MARKER));
  const name = line?.slice(PREVIOUS_MARKER.length).trim();
  return name && /^pre-commit\.before-promptrail(\.\d+)?$/.test(name) ? name : null;
}

export function isPromptrailHook(text: string): boolean {
  return text.includes(HOOK_MARKER);
}

/** The absolute hooks folder git uses for the repository containing `cwd`. */
export async function hooksDir(cwd: string): Promise<string> {
  const out = (await git(cwd, ['rev-parse', '--git-path', 'hooks'])).trim();
  return path.resolve(cwd, out);
}

export type HookAction = 'installed' | 'updated' | 'unchanged' | 'replaced';

export interface HookPlan {
  file: string;
  action: HookAction;
  /** the script to write (for 'unchanged': the one there) */
  script: string;
  /** where a foreign hook is moved before it is replaced (--force) */
  backup?: string;
  /** the file name (beside `file`) of the hook ours runs after a passing validate, or null */
  chained: string | null;
  foreign: boolean;
}

const exists = (f: string): boolean => {
  try {
    fs.lstatSync(f);
    return true;
  } catch {
    return false;
  }
};

/**
 * Decides what installing would do; never writes. `script(previous)` is our hook, chaining the
 * hook named `previous` (a file beside it) when not null: the one --force moves away now, or the
 * one our installed hook chains already (kept on a re-install while it exists).
 */
export function planHookInstall(file: string, script: (previous: string | null) => string, force: boolean): HookPlan {
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(file);
  } catch {
    return { file, action: 'installed', script: script(null), chained: null, foreign: false };
  }
  if (st.isDirectory()) return { file, action: 'replaced', script: script(null), chained: null, foreign: true };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    text = '';
  }
  if (!st.isSymbolicLink() && isPromptrailHook(text)) {
    const kept = chainedHook(text);
    const chained = kept !== null && exists(path.join(path.dirname(file), kept)) ? kept : null;
    const next = script(chained);
    return { file, action: text === next && (st.mode & 0o111) !== 0 ? 'unchanged' : 'updated', script: next, chained, foreign: false };
  }
  if (!force) return { file, action: 'replaced', script: script(null), chained: null, foreign: true };
  let backup = `${file}.before-promptrail`;
  for (let i = 1; exists(backup); i++) backup = `${file}.before-promptrail.${i}`;
  const chained = path.basename(backup);
  return { file, action: 'replaced', script: script(chained), backup, chained, foreign: true };
}
