/**
 * `--format`: each command family keeps one table from format name to reporter (as knip keeps
 * its reporters), and this picks from it. A reporter writes the result (data to stdout,
 * messages to stderr); its string renderers live in reporters/ and load only when chosen.
 */
import { UsageError } from '../errors.js';
import type { CommandContext } from './ui.js';

export type Reporter<T> = (ctx: CommandContext, data: T) => Promise<void>;

/** The reporter for `requested` (default "text"; "json" with --json), or exit 2 naming the formats. */
export function pickReporter<T, F extends string>(table: Record<F, Reporter<T>>, requested: string | undefined, ctx: CommandContext, command: string): Reporter<T> {
  const format = requested ?? 'text';
  if (!Object.hasOwn(table, format)) throw new UsageError(`unknown --format "${format}" for ${command}`, { hint: `use one of: ${Object.keys(table).join(', ')}` });
  return ctx.json && Object.hasOwn(table, 'json') ? table['json' as F] : table[format as F];
}
