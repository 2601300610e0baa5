#!/usr/bin/env node
// Entry point of the `tapedeck` program. Anything unexpected ends as one line on stderr, not a stack trace.
import { basename } from 'node:path';
import { ExitCode } from './exit-codes.js';
import { runProgram } from './program.js';

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(ExitCode.Ok); // the reader went away (e.g. `| head`)
});

runProgram(process.argv.slice(2), basename(process.argv[1] ?? 'tapedeck').replace(/\.[cm]?[jt]s$/, '')).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`tapedeck: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 70;
  },
);
