/**
 * Secrets go only where the reviewed config sends them (SPEC §11). With `--base <rev>` (or
 * PROMPTRAIL_TRUSTED_REV), `eval` and a gated `promote` take each provider's `type`, `base_url`,
 * `api_key_env` and `headers` from `<rev>`'s prompts.config.yaml — the reviewed, merged config —
 * not from the working tree a pull request wrote: a PR that points `api_key_env` at another
 * secret or moves `base_url` to its own host sends nothing there. A provider the trusted config
 * does not have is refused (exit 2), unless it is an `echo` provider (it sends nothing anywhere).
 */
import { UsageError } from '../errors.js';
import { readFileAtRev, resolveCommit } from '../git/show.js';
import { decodeRegistryBytes } from '../registry/files.js';
import { parseConfig, Registry } from '../registry/registry.js';
import { CONFIG_FILE } from '../paths.js';
import { displayUrl } from '../providers/http.js';
import { ENDPOINT_FIELDS } from '../providers/types.js';
import { dict, own } from '../core/own.js';
import type { ConfigFile, ProviderConfig } from '../core/types.js';


export interface TrustedProviders {
  registry: Registry;
  /** the revision as typed and where it came from */
  rev: string;
  source: '--base' | 'PROMPTRAIL_TRUSTED_REV';
  /** one line per provider whose endpoint fields differ from the trusted ones (the trusted ones are used) */
  notes: string[];
}

/** `--base`, else PROMPTRAIL_TRUSTED_REV, else none. */
export function trustedRevOf(flag: string | undefined, env: NodeJS.ProcessEnv): { rev: string; source: TrustedProviders['source'] } | undefined {
  if (flag !== undefined && flag.trim() !== '') return { rev: flag.trim(), source: '--base' };
  const v = env.PROMPTRAIL_TRUSTED_REV;
  if (v !== undefined && v.trim() !== '') return { rev: v.trim(), source: 'PROMPTRAIL_TRUSTED_REV' };
  return undefined;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function describe(field: string, v: unknown): string {
  if (v === undefined) return 'unset';
  if (field === 'base_url' && typeof v === 'string') return displayUrl(v);
  if (field === 'headers' && v && typeof v === 'object') return `headers ${Object.keys(v).join(', ')}`;
  return JSON.stringify(v);
}

/**
 * The registry with the providers' endpoint fields from `rev`'s config. Other fields (prices,
 * timeouts, limits) stay the working tree's. Throws UsageError (exit 2) for an unknown revision
 * or a config missing or unreadable at that revision.
 */
export async function withTrustedProviders(registry: Registry, rev: string, source: TrustedProviders['source']): Promise<TrustedProviders> {
  const where = `${source === '--base' ? '--base' : 'PROMPTRAIL_TRUSTED_REV'} ${rev}`;
  const commit = await resolveCommit(registry.root, rev);
  if (!commit) throw new UsageError(`unknown revision "${rev}" for ${source} (the trusted provider config is read from it)`, { hint: 'pass a commit, branch or tag of this repository, e.g. --base origin/main (fetch it first in a shallow CI checkout)' });
  const bytes = await readFileAtRev(registry.root, commit, CONFIG_FILE);
  if (bytes === null) throw new UsageError(`${CONFIG_FILE} does not exist at ${rev}, so no provider is trusted there (${where})`, { hint: 'merge the registry first, or run without a trusted revision where no secret is at stake' });
  const trusted: ConfigFile = parseConfig(decodeRegistryBytes(bytes), `${rev}:${CONFIG_FILE}`);
  const tp = dict(trusted.providers);
  const providers: Record<string, ProviderConfig> = {};
  const refused: Record<string, string> = {};
  const notes: string[] = [];
  for (const [name, cfg] of Object.entries(registry.rawConfig.providers ?? {})) {
    const t = own(tp, name);
    if (!t) {
      if (cfg.type === 'echo') providers[name] = cfg;
      else refused[name] = `provider "${name}" is not in ${CONFIG_FILE} at ${rev} (${where}): a provider this change adds receives no key until the config is reviewed and merged`;
      continue;
    }
    const next = { ...cfg } as unknown as Record<string, unknown>;
    for (const f of ENDPOINT_FIELDS) {
      if (same(cfg[f], t[f])) continue;
      notes.push(`provider "${name}": ${f} differs from ${rev} (${describe(f, cfg[f])} here, ${describe(f, t[f])} there); using ${rev}'s`);
      if (t[f] === undefined) delete next[f];
      else next[f] = t[f];
    }
    providers[name] = next as unknown as ProviderConfig;
  }
  const trustedRegistry = new Registry(registry.root, { ...registry.rawConfig, providers }, { rev, refused });
  return { registry: trustedRegistry, rev, source, notes };
}
