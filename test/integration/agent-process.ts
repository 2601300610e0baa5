// Spawns the real tapedeck-agent (agent/main.ts through tsx), optionally inside
// a network namespace, and waits until it serves gRPC.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../agent/main.ts', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly logs: LogLine[];
  readonly stderr: string[];
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface AgentProcessOptions {
  readonly args: readonly string[];
  /** Run inside this network namespace (ip netns exec). */
  readonly netns?: string;
  /** A command that execs the agent (such as setpriv with its flags), run inside the namespace. */
  readonly wrapper?: readonly string[];
}

export async function startAgentProcess(options: AgentProcessOptions): Promise<AgentProcess> {
  const node = [...(options.wrapper ?? []), process.execPath, '--import', 'tsx', MAIN, ...options.args];
  const [command, ...args] = options.netns ? ['ip', 'netns', 'exec', options.netns, ...node] : node;
  const child = spawn(command ?? 'false', args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent not ready: ${stderr.join('\n')}`)), READY_TIMEOUT_MS);
    void exited.then((code) => reject(new Error(`agent exited with ${code}: ${stderr.join('\n')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as LogLine;
        logs.push(entry);
        if (entry.msg === 'Serving gRPC') {
          clearTimeout(timer);
          resolve(Number(entry.port));
        }
      } catch {
        stderr.push(line);
      }
    });
  });
  return {
    child,
    port,
    logs,
    stderr,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
