import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/** Every module reachable from `entry` through static and dynamic imports (relative: files; bare: packages). */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    const re = /(?:^|\n)\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) {
        const ts = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
        if (existsSync(ts)) visit(ts);
      } else {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
  };
  visit(entry);
  return { files, packages };
}

describe('the library entry point', () => {
  it('does not pull in the CLI, git, the eval runner or CLI-only packages', () => {
    const { files, packages } = importGraph(path.join(SRC, 'index.ts'));
    const rel = [...files].map((f) => path.relative(SRC, f).split(path.sep).join('/'));
    expect(rel).toContain('sdk/load-bundle.ts');
    expect(rel.filter((f) => /^(cli|git|eval)\//.test(f))).toEqual([]);
    for (const p of ['commander', 'chalk', 'ora', 'simple-git', 'execa', 'diff']) expect(packages.has(p), p).toBe(false);
  });
});
