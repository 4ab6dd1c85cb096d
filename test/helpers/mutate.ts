/**
 * Deterministic line-level mutations of a text (delete, duplicate or swap a line, indent or
 * dedent it, put a character in it), for the tests proving "whatever a fast path accepts, the
 * careful path reads the same" over thousands of near-valid files.
 */
export function* mutations(base: string, opts: { seed: number; count: number; chars: readonly string[] }): Generator<string> {
  let seed = opts.seed;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < opts.count; i++) {
    let lines = base.split('\n');
    const k = 1 + rand(lines.length - 2);
    switch (rand(7)) {
      case 0: lines.splice(k, 1); break;
      case 1: lines.splice(k, 0, lines[k]!); break;
      case 2: [lines[k], lines[k + 1]] = [lines[k + 1]!, lines[k]!]; break;
      case 3: lines[k] = ` ${lines[k]}`; break;
      case 4: lines[k] = lines[k]!.replace(/^ /, ''); break;
      default: {
        const line = lines[k]!;
        const at = rand(line.length + 1);
        const c = opts.chars[rand(opts.chars.length)]!;
        lines[k] = rand(2) ? line.slice(0, at) + c + line.slice(at + 1) : line.slice(0, at) + c + line.slice(at);
      }
    }
    lines = lines.filter((l) => l !== undefined);
    yield lines.join('\n');
  }
}
