// PLACEHOLDER: replaced by the issue that implements `prompts promote`.
import type { CommandContext } from '../ui.js';
import { InternalError } from '../../errors.js';

export async function run(_ctx: CommandContext, _args: string[], _opts: Record<string, unknown>): Promise<number> {
  throw new InternalError('prompts promote is not implemented yet');
}
