/**
 * A small JSONPath subset for the `json-path` assertion: `$`, `.name`, `['name']` / `["name"]`,
 * `[index]` (negative counts from the end) and `[*]` / `.*` (every element; the assertion
 * then holds when any element matches).
 */
export type PathStep = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'all' };

export function parseJsonPath(path: string): PathStep[] | { problem: string } {
  const p = path.trim();
  if (!p.startsWith('$')) return { problem: `a JSON path starts with "$" (e.g. $.a.b[0]), got "${path}"` };
  const steps: PathStep[] = [];
  let i = 1;
  while (i < p.length) {
    const ch = p[i];
    if (ch === '.') {
      if (p[i + 1] === '*') {
        steps.push({ kind: 'all' });
        i += 2;
        continue;
      }
      const m = /^[A-Za-z_$][\w$-]*/.exec(p.slice(i + 1));
      if (!m) return { problem: `expected a name after "." at column ${i + 2} of "${path}"` };
      steps.push({ kind: 'key', key: m[0] });
      i += 1 + m[0].length;
    } else if (ch === '[') {
      const rest = p.slice(i);
      let m: RegExpExecArray | null;
      if ((m = /^\[\s*(-?\d+)\s*\]/.exec(rest))) steps.push({ kind: 'index', index: Number(m[1]) });
      else if ((m = /^\[\s*\*\s*\]/.exec(rest))) steps.push({ kind: 'all' });
      else if ((m = /^\[\s*'((?:[^'\\]|\\.)*)'\s*\]/.exec(rest)) || (m = /^\[\s*"((?:[^"\\]|\\.)*)"\s*\]/.exec(rest))) steps.push({ kind: 'key', key: m[1]!.replace(/\\(.)/g, '$1') });
      else return { problem: `unsupported bracket expression at column ${i + 1} of "${path}" (use [0], [*] or ['name'])` };
      i += m[0].length;
    } else {
      return { problem: `unexpected "${ch}" at column ${i + 1} of "${path}"` };
    }
  }
  return steps;
}

/** Every value the path selects (empty when it selects nothing). */
export function selectJsonPath(root: unknown, steps: readonly PathStep[]): unknown[] {
  let cur: unknown[] = [root];
  for (const s of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (s.kind === 'key') {
        if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, s.key)) next.push((v as Record<string, unknown>)[s.key]);
      } else if (s.kind === 'index') {
        if (Array.isArray(v)) {
          const idx = s.index < 0 ? v.length + s.index : s.index;
          if (idx >= 0 && idx < v.length) next.push(v[idx]);
        }
      } else if (Array.isArray(v)) next.push(...v);
      else if (v !== null && typeof v === 'object') next.push(...Object.values(v));
    }
    cur = next;
  }
  return cur;
}
