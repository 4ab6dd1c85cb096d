/**
 * The CLI entry: wires commander to the command modules, each imported lazily so that
 * `prompts --version` and `prompts validate` load only what they use (cold start matters in
 * pre-commit hooks). `run` returns the exit code; `bin/prompts.js` is the only caller of exit.
 */
import type { Command } from 'commander';
import type { CommandContext, Output } from './ui.js';
import { packageVersion } from '../version.js';

export interface RunIO {
  stdout?: Output;
  stderr?: Output;
  env?: NodeJS.ProcessEnv;
}

/**
 * A command: its context, positional arguments and its own options interface `O` (declared in
 * its module, matching the options wired here; commander fills them, camel-cased).
 */
export type Handler<O> = (ctx: CommandContext, args: string[], opts: O) => Promise<number>;
type Loader<O> = () => Promise<{ run: Handler<O> }>;

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export async function run(argv: string[], io: RunIO = {}): Promise<number> {
  const stdout: Output = io.stdout ?? { write: (s) => void process.stdout.write(s), isTTY: Boolean(process.stdout.isTTY) };
  const stderr: Output = io.stderr ?? { write: (s) => void process.stderr.write(s), isTTY: Boolean(process.stderr.isTTY), stream: process.stderr };
  const env = io.env ?? process.env;

  // Fast path: `prompts --version` must not pay for loading commander and friends.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    stdout.write(`${packageVersion()}\n`);
    return 0;
  }

  // Fast path: `prompts validate …` (the pre-commit hook) without commander, when it can
  if (argv[0] === 'validate') {
    const { fastValidate } = await import('./commands/validate-fast.js');
    const code = await fastValidate(argv.slice(1), { stdout, stderr, env });
    if (code !== null) return code;
  }

  const verbose = argv.includes('--verbose') || Boolean(env.DEBUG);
  const jsonMode = argv.includes('--json');
  try {
    const { Command, CommanderError } = await import('commander');
    const ui = await import('./ui.js');
    let exitCode = 0;
    const program: Command = new Command('prompts');
    program
      .description('Version control for LLM prompts: validate, eval, promote and roll back prompt versions kept in git.')
      .version(packageVersion(), '-V, --version', 'print the version')
      .option('-C, --cwd <dir>', 'run as if started in <dir>')
      .option('--json', 'print one JSON document on stdout (nothing else there)')
      .option('--no-color', 'disable colors (also NO_COLOR=1)')
      .option('-q, --quiet', 'print only errors and data')
      .option('--verbose', 'show stack traces for unexpected errors')
      .showSuggestionAfterError(true)
      .exitOverride()
      .configureOutput({
        writeOut: (s) => stdout.write(s),
        writeErr: (s) => stderr.write(s),
      });

    const add = <O extends object = Record<string, unknown>>(cmd: Command, load: Loader<O>): Command =>
      cmd.action(async (...actionArgs: unknown[]) => {
        const command = actionArgs[actionArgs.length - 1] as Command;
        // the one place options cross from commander (untyped) to a command (typed)
        const opts = command.opts<O & { json?: boolean }>();
        const g = program.opts<{ cwd?: string; json?: boolean; color?: boolean; quiet?: boolean; verbose?: boolean }>();
        const ctx = ui.makeContext(
          { cwd: g.cwd ?? process.cwd(), json: Boolean(g.json ?? opts.json), colors: g.color !== false, quiet: Boolean(g.quiet), verbose },
          { stdout, stderr, env },
        );
        const mod = await load();
        exitCode = await mod.run(ctx, command.args, opts as O);
      });

    add(
      program.command('init').description('create a registry here: config, prompts/, environments/, .gitignore entry').option('--example', 'add a working sample prompt and eval suite'),
      () => import('./commands/init.js'),
    );
    add(
      program
        .command('new <id>')
        .description('create prompts/<id>/1.0.0.yaml')
        .option('--from <ref>', 'copy another prompt version (<id>@<version>)')
        .option('--partial', 'write a partial (kind: partial): text other versions include with uses: and {{> name}}'),
      () => import('./commands/new.js'),
    );
    add(
      program
        .command('bump <id> [level]')
        .description('write the next version file: edit the latest version in place, then bump (level: major|minor|patch|prerelease|premajor|preminor|prepatch; computed from your edit when omitted)')
        .option('--preid <id>', 'prerelease identifier, e.g. rc')
        .option('-m, --message <change>', 'a changelog line (repeatable)', collect)
        .option('--use <partial>', 'move the prompt to this version of a partial it includes, <id>@<version> (repeatable; the level is computed from the resolved change)', collect),
      () => import('./commands/bump.js'),
    );
    add(program.command('deps <ref>').description('the resolved closure of a version: the versions it extends and every partial it includes, with their sha256'), () => import('./commands/deps.js'));
    add(program.command('dependents <id>').description('which prompt versions use a partial (or extend a prompt), at which version, and where they are pinned'), () => import('./commands/dependents.js'));
    add(program.command('outdated').description("latest prompt versions whose uses: are behind a partial's latest version (exit 0)"), () => import('./commands/outdated.js'));
    add(program.command('list').description('prompts, their latest versions and each environment\'s pin'), () => import('./commands/list.js'));
    add(
      program.command('show <ref>').description('print a version file (<id>, <id>@<version>, <id>@<env>, <id>@latest)'),
      () => import('./commands/show.js'),
    );
    add(
      program
        .command('render <ref>')
        .description('render the messages with validated inputs')
        .option('--var <k=v>', 'an input value (repeatable; parsed as JSON when the input is not a string)', collect)
        .option('--vars <file>', 'inputs from a JSON file, or - for stdin')
        .option('--env <env>', 'apply this environment\'s overrides'),
      () => import('./commands/render.js'),
    );
    add(
      program
        .command('validate [paths...]')
        .description('schema and semantic checks of prompts, suites, environments and config')
        .option('--staged', 'check the content staged in the git index, not the working tree')
        .option('--base <rev>', 'also check that version files existing at <rev> are unchanged')
        .option('--format <format>', 'text | json | github | junit', 'text')
        .option('--no-cache', 'do not read or write the validation cache'),
      () => import('./commands/validate.js'),
    );
    add(program.command('status').description('prompts × environments: pins, latest versions and drift'), () => import('./commands/status.js'));
    add(
      program
        .command('diff <ref> [other]')
        .description('semantic differences between two versions (default: latest vs its predecessor)')
        .option('--format <format>', 'text | markdown | json', 'text'),
      () => import('./commands/diff.js'),
    );
    add(
      program
        .command('eval [refs...]')
        .description('run prompts\' regression suites (<ref>..., --all, or --changed)')
        .option('--all', 'every prompt that has an eval suite (its latest version)')
        .option('--changed', 'the prompts whose version files or suite changed since --base')
        .option('--base <rev>', 'providers\' endpoints and key variables from <rev>\'s config (also PROMPTRAIL_TRUSTED_REV); with --changed also the revision to compare with (its merge-base with HEAD; default: origin/$GITHUB_BASE_REF, the upstream branch, or HEAD)')
        .option('--env <env>', 'evaluate as <env> runs the prompt (its overrides, its gate\'s provider and min_pass_rate)')
        .option('--baseline <ver|env>', 'compare against this version or environment\'s pin')
        .option('--provider <names>', 'provider(s) from the config, comma-separated, side by side (name or name:model)')
        .option('--concurrency <n>', 'requests in flight at most (for the whole run)')
        .option('--repeat <n>', 'run each case n times (runs after the first bypass the cache)')
        .option('--case-pass-rate <rate>', 'share of a case\'s runs that must pass (default: the suite\'s, else 1)')
        .option('--max-cost <usd>', 'never start a request that could take the spend over this')
        .option('--shard <i/n>', 'run only the cases of shard i of n (by sha256 of the case name)')
        .option('--record', 'write responses to the cache')
        .option('--replay', 'read responses only from the cache; never touch the network')
        .option('--no-cache', 'bypass the response cache')
        .option('--min-pass-rate <rate>', 'fail when the pass rate is below this (0..1)')
        .option('--format <format>', 'text | json | junit | html | markdown', 'text')
        .option('-o, --output <file>', 'also write the JSON report to <file> (the HTML page with --format html)')
        .option('--artifact-name <name>', 'the CI artifact holding the HTML report, named in the GitHub step summary'),
      () => import('./commands/eval.js'),
    );
    const report = program.command('report').description('eval reports: merge shards, render HTML');
    add(
      report
        .command('html <reports...>')
        .description('one self-contained HTML page (no network) of eval reports (JSON from eval -o or report merge)')
        .option('-o, --output <file>', 'write the page here (default: stdout)')
        .option('--title <text>', 'the page title')
        .option('--artifact-name <name>', 'the CI artifact holding the page, named in the GitHub step summary'),
      async () => ({ run: (await import('./commands/report.js')).runHtml }),
    );
    add(
      report
        .command('merge <reports...>')
        .description('merge the shard reports of --shard runs into one report (verified: same files, config and flags; every case once)')
        .option('-o, --output <file>', 'write the merged report here (default: stdout)'),
      async () => ({ run: (await import('./commands/report.js')).runMerge }),
    );
    add(
      program
        .command('promote <ref>')
        .description('pin <id>[@<version>] in an environment, behind its requires and gate')
        .requiredOption('--env <env>', 'target environment')
        .option('--reason <text>', 'why (recorded in history and the commit)')
        .option('--skip-eval', 'promote without running the gate (needs --reason; recorded)')
        .option('--report <file>', 'gate evidence: an eval report (e.g. merged CI shards), verified against the files on disk, instead of running the suite')
        .option('--base <rev>', 'the gate\'s providers: endpoints and key variables from <rev>\'s config (also PROMPTRAIL_TRUSTED_REV)')
        .option('--no-commit', 'write the environment file but do not commit')
        .option('--push', 'push the commit (fetch + rebase + retry on rejection)')
        .option('--dry-run', 'print the plan, write nothing'),
      () => import('./commands/promote.js'),
    );
    add(
      program
        .command('rollback <id>')
        .description('restore the recorded previous version in an environment')
        .requiredOption('--env <env>', 'target environment')
        .option('--to <version>', 'roll back to this version from history')
        .option('--reason <text>', 'why (recorded in history and the commit)')
        .option('--no-commit', 'write the environment file but do not commit')
        .option('--push', 'push the commit (fetch + rebase + retry on rejection)')
        .option('--dry-run', 'print the plan, write nothing'),
      () => import('./commands/rollback.js'),
    );
    add(
      program
        .command('approve <ref>')
        .description('approve <id>@<version> for an environment: records who approved which bytes, as one commit (SPEC §15)')
        .requiredOption('--env <env>', 'the environment the approval is for')
        .option('--reason <text>', 'why (recorded with the approval and in the commit)')
        .option('--push', 'push the commit (fetch + rebase + retry on rejection)')
        .option('--dry-run', 'print the plan, write nothing'),
      () => import('./commands/approve.js'),
    );
    add(
      program
        .command('verify')
        .description('check every pin end to end: bytes, committed blob, promptrail commit, history chain, approvals, signatures, eval evidence (exit 1 on anything untraceable)')
        .option('--env <env>', 'only this environment (default: every environment)')
        .option('--format <format>', 'text | json | markdown (a PR comment)'),
      () => import('./commands/verify.js'),
    );
    const rollout = program.command('rollout').description('canary, blue-green and A/B rollouts: a candidate version served to a share of the keys');
    const stepOptions = (cmd: Command, reason = '--reason <text>'): Command =>
      cmd
        .requiredOption('--env <env>', 'target environment')
        .option(reason, 'why (recorded in history and the commit)')
        .option('--no-commit', 'write the environment file but do not commit')
        .option('--push', 'push the commit (fetch + rebase + retry on rejection)')
        .option('--dry-run', 'print the plan, write nothing');
    add(
      stepOptions(rollout.command('start <ref>').description('start a rollout of <id>@<version> (behind the same requires and gate as promote)'))
        .option('--weight <percent>', 'percent of keys on the candidate (default: the first stage)')
        .option('--stages <list>', 'planned weights, e.g. 5,25,50,100 (default: environments.<env>.rollout.stages)')
        .option('--salt <salt>', 'what keys are hashed with (default "<id>@<version>")')
        .option('--skip-eval', 'start without running the gate (needs --reason; recorded)')
        .option('--report <file>', 'gate evidence: an eval report, verified against the files on disk')
        .option('--base <rev>', 'the gate\'s providers: endpoints and key variables from <rev>\'s config (also PROMPTRAIL_TRUSTED_REV)'),
      () => import('./commands/rollout-start.js'),
    );
    add(
      stepOptions(rollout.command('set <id>').description('set the candidate\'s weight')).requiredOption('--weight <percent>', 'percent of keys on the candidate (0-100, 2 decimals)'),
      async () => ({ run: (await import('./commands/rollout-step.js')).runSet }),
    );
    add(stepOptions(rollout.command('advance <id>').description('move the rollout to its next stage')), async () => ({ run: (await import('./commands/rollout-step.js')).runAdvance }));
    add(
      stepOptions(rollout.command('abort <id>').description('everyone back on the stable version (no gate; recorded)')),
      async () => ({ run: (await import('./commands/rollout-step.js')).runAbort }),
    );
    add(
      stepOptions(rollout.command('complete <id>').description('make the candidate the pinned version (previous = the old stable)')),
      async () => ({ run: (await import('./commands/rollout-step.js')).runComplete }),
    );
    add(
      rollout
        .command('status [id]')
        .description('the running rollouts: weights, stages, candidate buckets')
        .option('--env <env>', 'only this environment')
        .option('--key <key>', 'also show the bucket and arm this key gets'),
      () => import('./commands/rollout-status.js'),
    );
    add(
      stepOptions(rollout.command('check [id]').description('judge a rollout by its per-arm metrics: advance | hold | complete | abort (every running rollout of --env without <id>)'))
        .option('--metrics <file>', 'per-arm metrics from a JSON file { "arms": { "<version>": { requests, errors, … } } }')
        .option('--prometheus <url>', 'per-arm metrics from this Prometheus (default: environments.<env>.rollout.metrics.prometheus.url)')
        .option('--window <duration>', 'the metrics window (default: environments.<env>.rollout.window, else 1h)')
        .option('--apply', 'carry the verdict out (one commit)'),
      () => import('./commands/rollout-check.js'),
    );
    add(
      program
        .command('history [id]')
        .description('the audit trail of a prompt across environments; with --env and --at, every pin of that environment as of a moment')
        .option('--env <env>', 'only this environment')
        .option('--at <date|rev>', 'every pin of --env as of this date (YYYY-MM-DD, ISO date-time) or git revision, from the env file\'s git history'),
      () => import('./commands/history.js'),
    );
    add(
      program
        .command('build')
        .description('write a self-contained JSON bundle of everything pinned in an environment')
        .requiredOption('--env <env>', 'environment to bundle')
        .option('-o, --output <file>', 'write the bundle here (default: stdout)')
        .option('--timestamp', 'include the build time (makes the bundle non-deterministic)'),
      () => import('./commands/build.js'),
    );
    add(
      program
        .command('types')
        .description('generate TypeScript types for every prompt\'s inputs and outputs')
        .option('-o, --output <file>', 'write here (default: stdout)')
        .option('--env <env>', 'use the versions pinned in <env> (default: each prompt\'s latest version)'),
      () => import('./commands/types.js'),
    );
    const hook = program.command('hook').description('git hooks');
    add(
      hook.command('install').description('install a git pre-commit hook running "prompts validate --staged"').option('--force', 'replace an existing hook that promptrail did not write'),
      () => import('./commands/hook.js'),
    );

    (await import('./help.js')).decorateHelp(program);
    try {
      await program.parseAsync(argv, { from: 'user' });
    } catch (e) {
      if (e instanceof CommanderError) {
        // help and version are "errors" to commander with exit code 0
        if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
        return 2;
      }
      throw e;
    }
    return exitCode;
  } catch (e) {
    const { reportError } = await import('./report-error.js');
    return reportError(e, { stdout, stderr, env, verbose, json: jsonMode });
  }
}
