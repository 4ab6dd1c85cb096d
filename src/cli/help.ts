/**
 * What `--help` adds to commander's own text: examples for every command, and "(required)"
 * after each option a command cannot run without. A test keeps every command covered.
 */
import type { Command } from 'commander';

/** Examples by command path ("report merge"); each line is one command a user can type. */
export const EXAMPLES: Record<string, string[]> = {
  init: ['prompts init', 'prompts init --example          # plus a sample prompt and suite that run offline'],
  new: ['prompts new support/triage', 'prompts new shared/tone --partial              # a partial (no eval suite)', 'prompts new sales/triage --from support/triage@1.2.0   # copies the version and its suite'],
  bump: ['prompts bump support/triage                    # after editing the latest version: level computed from the edit', 'prompts bump support/triage minor -m "Added a tier input"', 'prompts bump support/triage prerelease --preid rc'],
  list: ['prompts list', 'prompts list --json'],
  show: ['prompts show support/triage@production', 'prompts show support/triage@1.2.0 --json'],
  render: ['prompts render support/triage --var ticket="I was charged twice"', 'prompts render support/triage@production --vars inputs.json', 'echo \'{"ticket":"hi"}\' | prompts render support/triage --vars - --env staging'],
  validate: ['prompts validate', 'prompts validate --staged                     # what the commit records (pre-commit hook)', 'prompts validate --base origin/main --format github', 'prompts validate prompts/support --format junit > validate.xml'],
  status: ['prompts status', 'prompts status --json'],
  diff: ['prompts diff support/triage                    # latest vs its predecessor', 'prompts diff support/triage@production support/triage@staging --format markdown'],
  eval: [
    'prompts eval support/triage',
    'prompts eval support/triage@1.2.0 --baseline production --format junit > eval.xml',
    'prompts eval --changed --base origin/main --max-cost 5',
    'prompts eval support/triage@staging --env production --shard 1/4 -o shard-1.json',
  ],
  'report html': ['prompts report html eval.json -o report.html', 'prompts report html shard-*.json --title "Nightly eval" -o report.html'],
  'report merge': ['prompts report merge shard-1.json shard-2.json -o merged.json'],
  promote: [
    'prompts promote support/triage@1.2.0 --env development',
    'prompts promote support/triage --env production --reason "better refunds" --push   # what staging pins',
    'prompts promote support/triage --env production --report merged.json',
    'prompts promote support/triage@1.2.1 --env staging --skip-eval --reason "typo fix" --dry-run',
  ],
  rollback: ['prompts rollback support/triage --env production --reason "latency spike"', 'prompts rollback support/triage --env production --to 1.1.0 --push'],
  history: ['prompts history support/triage', 'prompts history support/triage --env production --json', 'prompts history --env production --at 2026-11-01     # every pin as of that date', 'prompts history --env production --at v1.4.0 --json'],
  approve: ['prompts approve support/triage@1.3.0 --env production --reason "reviewed the refund wording"', 'prompts approve support/triage@1.3.0 --env production --push --dry-run'],
  verify: ['prompts verify', 'prompts verify --env production --format markdown >> "$GITHUB_STEP_SUMMARY"'],
  build: ['prompts build --env production -o prompts.bundle.json'],
  types: ['prompts types -o src/prompts.d.ts', 'prompts types --env production'],
  'rollout start': ['prompts rollout start support/triage@1.3.0 --env production --stages 5,25,50,100 --reason "canary the new tone"', 'prompts rollout start support/triage@1.3.0 --env production --weight 50 --dry-run'],
  'rollout set': ['prompts rollout set support/triage --env production --weight 10 --reason "slower ramp"'],
  'rollout advance': ['prompts rollout advance support/triage --env production --push'],
  'rollout abort': ['prompts rollout abort support/triage --env production --reason "error rate up" --push'],
  'rollout complete': ['prompts rollout complete support/triage --env production'],
  'rollout status': ['prompts rollout status', 'prompts rollout status support/triage --env production --key user-42'],
  'rollout check': ['prompts rollout check --env production --metrics metrics.json', 'prompts rollout check support/triage --env production --prometheus http://127.0.0.1:9090 --apply --push'],
  deps: ['prompts deps support/triage@2.0.0', 'prompts deps support/triage@production --json   # also whether the pin\'s deps still match'],
  dependents: ['prompts dependents shared/tone', 'prompts dependents base/triage --json'],
  outdated: ['prompts outdated', 'prompts outdated --json'],
  'hook install': ['prompts hook install', 'prompts hook install --force             # keeps the existing hook and runs it after ours'],
};

/** The command's path below the program ("report merge"). */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Adds the examples and required-option marks to every command of `program`. */
export function decorateHelp(program: Command): void {
  const visit = (cmd: Command): void => {
    for (const o of cmd.options) if (o.mandatory && !o.description.endsWith('(required)')) o.description += ' (required)';
    const examples = EXAMPLES[commandPath(cmd)];
    if (examples) cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
    for (const sub of cmd.commands) visit(sub);
  };
  for (const c of program.commands) visit(c);
}
