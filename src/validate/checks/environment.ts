/** An environment file (environments/<env>.yaml): its schema, its name, and the pins it holds. */
import { idProblem } from '../../core/ref.js';
import { didYouMean } from '../../core/suggest.js';
import { isObject } from '../../core/json.js';
import { own, schemaStep, type Reporter } from './reporter.js';
import type { CheckContext, PinFact } from './types.js';

/** Checks the file and returns its pins (whose sha256 the cross-file phase checks). */
export function checkEnvironment(r: Reporter, rel: string, ctx: CheckContext): PinFact[] {
  const v = r.doc.value;
  schemaStep(r, 'environment');
  const stem = rel.slice(rel.lastIndexOf('/') + 1).replace(/\.yaml$/, '');
  const env = own(v, 'environment');
  if (typeof env === 'string' && env !== stem) {
    r.error('env-name-mismatch', `environment "${env}" does not match the file name: expected "${stem}"`, '/environment');
  }
  if (ctx.environments !== null && !ctx.environments.includes(stem)) {
    const s = didYouMean(stem, ctx.environments);
    r.error(
      'env-undeclared',
      `environment "${stem}" is not declared in prompts.config.yaml${s ? `; did you mean "${s}"?` : ''} (environments: ${ctx.environments.join(', ') || 'none'}); declare it or remove this file`,
      Object.hasOwn(v, 'environment') ? '/environment' : '',
    );
  }
  const pins: PinFact[] = [];
  const prompts = own(v, 'prompts');
  if (isObject(prompts)) {
    for (const [id, pin] of Object.entries(prompts)) {
      // an invalid id is a schema problem already; never build a path from it
      if (!isObject(pin) || idProblem(id) !== null) continue;
      const version = own(pin, 'version');
      const sha = own(pin, 'sha256');
      const previous = own(pin, 'previous');
      if (typeof version === 'string' && typeof sha === 'string') {
        pins.push({ id, version, sha256: sha, previous: typeof previous === 'string' ? previous : null });
      }
    }
  }
  return pins;
}
