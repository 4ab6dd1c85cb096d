#!/usr/bin/env node
import { run } from '../dist/cli/main.js';
// A reader that stops early (`prompts list | head -1`, `grep -q`) closes the pipe: that is not an
// error of ours, so end quietly instead of dying with an EPIPE stack trace.
for (const s of [process.stdout, process.stderr]) s.on('error', (e) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); else throw e; });
run(process.argv.slice(2)).then((code) => { process.exitCode = code; });
