// One tapedeck process of the demo (agent or operator), run from source through tsx in its own
// process group (so Ctrl-C in the terminal reaches only the demo, which stops it in order). Its
// pino log goes to a file in the demo dir; the last lines are kept for error messages.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onExitCleanup } from '../../test/env/cleanup.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TAIL_LINES = 15;
const KILL_AFTER_MS = 10_000;

export interface LogEntry {
  readonly msg?: unknown;
  readonly [key: string]: unknown;
}

export interface DemoChild {
  readonly name: string;
  readonly logFile: string;
  /** The last log lines, for error messages. */
  tail(): string;
  /** Resolves with the first log entry `match` accepts; rejects when the process exits first or after `timeoutMs`. */
  waitForLog(match: (entry: LogEntry) => boolean, timeoutMs: number): Promise<LogEntry>;
  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Starts `entry` (a .ts file relative to the repository) with `args`, logging to `logFile`. */
export function startChild(name: string, entry: string, args: readonly string[], logFile: string): DemoChild {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: REPO,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  const unregister = onExitCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) killGroup(pid);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(unregister);
  const out = createWriteStream(logFile);
  const lines: string[] = [];
  const watchers = new Set<(entry: LogEntry) => void>();
  const onLine = (line: string): void => {
    out.write(`${line}\n`);
    lines.push(line);
    if (lines.length > TAIL_LINES) lines.shift();
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      return;
    }
    for (const watch of watchers) watch(entry);
  };
  if (child.stdout) createInterface({ input: child.stdout }).on('line', onLine);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', onLine);
  const tail = (): string => lines.map((l) => `    ${l}`).join('\n');

  return {
    name,
    logFile,
    tail,
    waitForLog(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer);
          watchers.delete(watch);
        };
        const watch = (entry: LogEntry): void => {
          if (!match(entry)) return;
          done();
          resolve(entry);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name} not ready after ${timeoutMs / 1000} s; its last log lines:\n${tail()}`));
        }, timeoutMs);
        watchers.add(watch);
        void exited.then((code) => {
          done();
          reject(new Error(`${name} exited with code ${code}; its last log lines:\n${tail()}`));
        });
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => killGroup(pid), KILL_AFTER_MS);
        await exited;
        clearTimeout(timer);
      }
      await new Promise<void>((resolve) => out.end(resolve));
      return exited;
    },
  };
}
