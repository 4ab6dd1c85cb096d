/**
 * The registry config (prompts.config.yaml): its schema, folders that stay inside the registry,
 * `requires` naming known environments without cycles, and every provider it names.
 */
import { suggestEnv } from '../../core/suggest.js';
import { isObject } from '../../core/json.js';
import { checkProviderName, own, ptr, schemaStep, type Obj, type Reporter } from './reporter.js';
import type { CheckContext } from './types.js';
import { leavesRegistry } from '../../paths.js';

export function checkConfig(r: Reporter): void {
  const v = r.doc.value;
  schemaStep(r, 'config');
  const envs = isObject(own(v, 'environments')) ? (v.environments as Obj) : {};
  const envNames = Object.keys(envs);
  const providers = isObject(own(v, 'providers')) ? Object.keys(v.providers as Obj) : [];
  const pctx: CheckContext = { providers, environments: envNames, promptsDir: '' };
  for (const dirKey of ['prompts_dir', 'environments_dir']) {
    const d = own(v, dirKey);
    if (typeof d === 'string' && leavesRegistry(d)) {
      r.error('config-dir-invalid', `"${dirKey}" must be a folder inside the registry (relative, no ".."), found "${d}"`, `/${dirKey}`);
    }
  }
  for (const name of envNames) {
    const e = envs[name];
    if (!isObject(e)) continue;
    const req = own(e, 'requires');
    if (typeof req === 'string') {
      if (!envNames.includes(req)) {
        const s = suggestEnv(req, envNames);
        r.error('config-requires-unknown', `environment "${name}" requires unknown environment "${req}"${s ? `; did you mean "${s}"?` : ''}`, ptr('environments', name, 'requires'));
      } else if (req === name) {
        r.error('config-requires-cycle', `environment "${name}" requires itself; point "requires" at an earlier environment`, ptr('environments', name, 'requires'));
      } else {
        // follow the chain: a cycle would make every promotion impossible
        const seen = new Set([name]);
        let cur: string | undefined = req;
        while (cur !== undefined && !seen.has(cur)) {
          seen.add(cur);
          const next: unknown = isObject(envs[cur]) ? own(envs[cur] as Obj, 'requires') : undefined;
          cur = typeof next === 'string' && envNames.includes(next) ? next : undefined;
        }
        if (cur === name) r.error('config-requires-cycle', `the "requires" chain of environment "${name}" loops back to itself; break the cycle`, ptr('environments', name, 'requires'));
      }
    }
    const gate = own(e, 'gate');
    if (isObject(gate)) checkProviderName(r, own(gate, 'provider'), ptr('environments', name, 'gate', 'provider'), pctx);
    const overrides = own(e, 'overrides');
    if (isObject(overrides) && isObject(own(overrides, 'model'))) {
      checkProviderName(r, own(overrides.model as Obj, 'provider'), ptr('environments', name, 'overrides', 'model', 'provider'), pctx);
    }
  }
  const ev = own(v, 'eval');
  if (isObject(ev)) checkProviderName(r, own(ev, 'provider'), '/eval/provider', pctx);
}
