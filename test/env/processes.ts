import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onExitCleanup } from './cleanup.js';

export interface ProcessOptions {
  /** Short name: the log file is <logDir>/<name>.log. */
  name: string;
  command: string;
  args: readonly string[];
  logDir: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A long-running child in its own process group, output appended to a log file. */
export interface ManagedProcess {
  readonly name: string;
  /** The executable's path (argv[0]). */
  readonly command: string;
  readonly logPath: string;
  readonly pid: number;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** True once the process has ended. */
  hasExited(): boolean;
  /** SIGTERM to the process group, SIGKILL after graceMs; resolves when the group is gone (bounded by graceMs). */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of the log file. */
  tail(lines?: number): Promise<string>;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (bounded) until every member of the group has been reaped. */
async function groupGone(pgid: number, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (groupExists(pgid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

export async function tailFile(path: string, lines = 20): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Spawns a process (argument array, never a shell) in a new process group; throws when spawn fails. */
export async function startProcess(options: ProcessOptions): Promise<ManagedProcess> {
  const logPath = join(options.logDir, `${options.name}.log`);
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
  } finally {
    closeSync(fd);
  }
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`Process ${options.name} has no pid`);
  let ended = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = true;
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const unregister = onExitCleanup(() => killGroup(pid, 'SIGKILL'));
  child.unref();
  return {
    name: options.name,
    command: options.command,
    logPath,
    pid,
    exited,
    hasExited: () => ended,
    async stop(graceMs = 5_000) {
      if (!ended) {
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      killGroup(pid, 'SIGKILL'); // leftovers in the group
      await groupGone(pid, graceMs);
      unregister();
    },
    tail: (lines) => tailFile(logPath, lines),
  };
}
