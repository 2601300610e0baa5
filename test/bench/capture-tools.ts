// Process helpers shared by the capture benchmark and the capture integration
// tests: the engine child (capture-engine.ts), tcpdump as the reference, and
// independent counting with capinfos. Arguments are always arrays, never shell text.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ENGINE = fileURLToPath(new URL('./capture-engine.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COMPILED = join(ROOT, 'node_modules', '.cache', 'tapedeck-bench');
const ADDON = join(ROOT, 'build', 'Release', 'tapedeck_capture.node');
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** Prefix for running a command inside a network namespace ([] = current namespace). */
export const inNetns = (netns: string | undefined): string[] =>
  netns === undefined ? [] : ['ip', 'netns', 'exec', netns];

function spawnIn(netns: string | undefined, argv: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  const [cmd, ...args] = [...inNetns(netns), ...argv];
  return spawn(cmd ?? 'false', args, { stdio: ['pipe', 'pipe', 'pipe'], ...(env && { env }) });
}

/**
 * Compiles capture-engine.ts and the agent code it runs with tsc (as `npm run
 * build` does for the agent) into node_modules/.cache/tapedeck-bench/, so the
 * engine runs as plain JavaScript like the agent from dist/, without tsx's
 * loader in the process. Returns the path of the compiled engine.
 */
export async function compileEngine(): Promise<string> {
  return compileBenchScript('capture-engine');
}

/** Compiles test/bench/<name>.ts and what it imports (see compileEngine); returns the compiled file. */
export async function compileBenchScript(name: string): Promise<string> {
  const compiled = join(COMPILED, name);
  mkdirSync(compiled, { recursive: true });
  const tsconfig = {
    extends: '../../../../tsconfig.json',
    compilerOptions: { noEmit: false, outDir: 'out', rootDir: '../../../..', sourceMap: false },
    include: [],
    files: [`../../../../test/bench/${name}.ts`],
  };
  writeFileSync(join(compiled, 'tsconfig.json'), JSON.stringify(tsconfig));
  mkdirSync(join(compiled, 'out'), { recursive: true });
  // Below node_modules/ the repository's package.json no longer applies: declare ESM here.
  writeFileSync(join(compiled, 'out', 'package.json'), '{"type":"module"}');
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [tsc, '-p', join(compiled, 'tsconfig.json')], { maxBuffer: 16 << 20 }).catch(
    (error: Error & { stdout?: string }) => {
      throw new Error(`compiling test/bench/${name}.ts failed:\n${error.stdout ?? error.message}`, { cause: error });
    },
  );
  return join(compiled, 'out', 'test', 'bench', `${name}.js`);
}

/** Resolves with the first stream line matching `pattern`; rejects if the process exits first. */
export function waitForLine(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 20_000) {
  return new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} in: ${text}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      text += d.toString();
      const line = text.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) {
        clearTimeout(timer);
        child[stream]?.off('data', onData);
        resolve(line);
      }
    };
    child[stream]?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}: ${text}`));
    });
  });
}

function collect(child: ChildProcess, stream: 'stdout' | 'stderr'): () => string {
  let text = '';
  child[stream]?.on('data', (d: Buffer) => (text += d.toString()));
  return () => text;
}

export interface EngineResult {
  stats: {
    packetsReceived: number;
    kernelDropped: number;
    interfaceDropped: number;
    agentDropped: number;
    agentDroppedBytes: number;
  };
  raw: { received: number; delivered: number };
  /** The libpcap error that ended the capture on its own, if any. */
  error?: string;
  packetsWritten: number;
  batches: number;
  files: string[];
  /** CPU (µs) from ready until every file was written and closed. */
  cpu: { user: number; system: number };
  /** Opening the capture (the kernel ring). */
  cpuOpen: { user: number; system: number };
  /** From the open until the stop was asked for: tcpdump's CPU is read over the same span. */
  cpuAtStop: { user: number; system: number };
  /** Until the session stopped, its journal written too (session writer). */
  cpuTotal: { user: number; system: number };
  /** CPU seconds per thread name until the stop was asked for. */
  threads: Record<string, number>;
  peakRssKiB: number;
}

export interface EngineOptions {
  netns?: string;
  interface: string;
  filter: string;
  /** raw: the pcap file; session: the directory of the session's files. */
  out: string;
  /** session (default): CaptureSession + the agent's writer; raw: one write per batch. */
  writer?: 'session' | 'raw';
  format?: 'pcap' | 'pcapng';
  /** Session writer only: several formats, e.g. pcap,json (overrides format). */
  formats?: string;
  snaplen?: number;
  bufferBytes?: number;
  batchCount?: number;
  batchBytes?: number;
  holdMs?: number;
  /** Session writer only: also hash while writing (the agent does not: only the export hashes). */
  sha256?: boolean;
  /** Run this compiled engine (compileEngine()) instead of the TypeScript source under tsx. */
  compiled?: string;
}

export interface Running<T> {
  stop(): Promise<T>;
  /** Ends the process without results (cleanup after a failure). */
  kill(): void;
}

export async function startEngine(o: EngineOptions): Promise<Running<EngineResult>> {
  const args = [...(o.compiled === undefined ? [TSX, ENGINE] : [o.compiled])];
  args.push('--interface', o.interface, '--filter', o.filter, '--out', o.out);
  if (o.writer !== undefined) args.push('--writer', o.writer);
  if (o.format !== undefined) args.push('--format', o.format);
  if (o.formats !== undefined) args.push('--formats', o.formats);
  if (o.snaplen !== undefined) args.push('--snaplen', String(o.snaplen));
  if (o.bufferBytes !== undefined) args.push('--buffer-bytes', String(o.bufferBytes));
  if (o.batchCount !== undefined) args.push('--batch-count', String(o.batchCount));
  if (o.batchBytes !== undefined) args.push('--batch-bytes', String(o.batchBytes));
  if (o.holdMs !== undefined) args.push('--hold-ms', String(o.holdMs));
  if (o.sha256 === true) args.push('--sha256');
  const env = o.compiled === undefined ? undefined : { ...process.env, TAPEDECK_CAPTURE_ADDON: ADDON };
  const child = spawnIn(o.netns, [process.execPath, ...args], env);
  const stderr = collect(child, 'stderr');
  const stdout = collect(child, 'stdout');
  await waitForLine(child, 'stdout', /"event":"ready"/).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`capture engine did not start: ${err.message} ${stderr()}`);
  });
  const exited = new Promise((r) => child.once('exit', r));
  child.stdin?.on('error', () => undefined); // the engine may already have exited on its own
  return {
    kill: () => void child.kill('SIGKILL'),
    stop: async () => {
      if (child.exitCode === null) child.stdin?.write('stop\n');
      await exited;
      const line = stdout()
        .split('\n')
        .find((l) => l.includes('"event":"done"'));
      if (line === undefined) throw new Error(`capture engine failed: ${stderr()}`);
      return JSON.parse(line) as EngineResult;
    },
  };
}

export interface TcpdumpResult {
  captured: number;
  receivedByFilter: number;
  droppedByKernel: number;
  /** From "listening on" (its capture open) to just before its SIGINT. */
  cpuSeconds: number;
  /** Up to "listening on": starting and opening the capture. */
  openCpuSeconds: number;
}

/** CPU seconds (user + system) of a running process, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime (fields 14, 15)
}

export async function startTcpdump(o: {
  netns?: string;
  interface: string;
  filter: string;
  out: string;
  bufferBytes: number;
}): Promise<Running<TcpdumpResult>> {
  const argv = ['tcpdump', '-i', o.interface, '-n', '-w', o.out, '--time-stamp-precision=nano'];
  argv.push('-B', String(Math.ceil(o.bufferBytes / 1024)), '-s', '0', o.filter);
  const child = spawnIn(o.netns, argv);
  const stderr = collect(child, 'stderr');
  await waitForLine(child, 'stderr', /listening on/).catch((err: Error) => {
    child.kill('SIGKILL');
    throw err;
  });
  const openCpuSeconds = cpuSecondsOf(child.pid ?? 0);
  return {
    kill: () => void child.kill('SIGKILL'),
    stop: async () => {
      const pid = child.pid ?? 0;
      const cpuSeconds = cpuSecondsOf(pid) - openCpuSeconds;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
      const count = (re: RegExp): number => Number(re.exec(stderr())?.[1] ?? NaN);
      return {
        captured: count(/(\d+) packets? captured/),
        receivedByFilter: count(/(\d+) packets? received by filter/),
        droppedByKernel: count(/(\d+) packets? dropped by kernel/),
        cpuSeconds,
        openCpuSeconds,
      };
    },
  };
}

/** Packet count of a pcap/pcapng file according to Wireshark's capinfos. */
export async function capinfosCount(file: string): Promise<number> {
  const { stdout } = await run('capinfos', ['-M', '-c', '-T', '-r', file], { maxBuffer: 1 << 20 });
  const value = stdout.trim().split('\t').pop();
  return Number(value);
}
