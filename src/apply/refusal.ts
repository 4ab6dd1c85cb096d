/** A core Refusal as the error a command exits with (SPEC §7: 1 refused, 2 usage, 3 conflict). */
import { CheckFailed, ConflictError, UsageError, type PromptrailError } from '../errors.js';
import type { Refusal } from '../core/env-change.js';

export function refusalError(r: Refusal, file: string | undefined = r.file): PromptrailError {
  const opts = { hint: r.hint, location: file !== undefined ? { file } : undefined };
  if (r.exit === 2) return new UsageError(r.message, opts);
  if (r.exit === 3) return new ConflictError(r.message, opts);
  return new CheckFailed(r.message, opts);
}
