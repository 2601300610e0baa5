// Helpers for the analyze tests: processes inside a network namespace, a tcpdump capture, running the real
// `tapedeck analyze` program, and the oracles (tshark fields and conversations, tcpflow) it is compared with.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TrafficRecord } from '../../core/records/record.js';
import { assertValidRecord } from '../../core/testing/validate-record.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

/** Under CI=true a missing tool fails the test run; elsewhere the caller skips. */
/**
 * Fails (never skips) when a reference tool is missing: the README's test command installs them all
 * (scripts/platform/setup.sh), so a missing one is a broken machine, in CI and out of it.
 */
export async function requireTools(tools: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const tool of tools) {
    try {
      await run('sh', ['-c', 'command -v "$1"', 'sh', tool]);
    } catch {
      missing.push(tool);
    }
  }
  if (missing.length > 0) {
    throw new Error(`missing ${missing.join(', ')}: install them (scripts/platform/setup.sh lists the apt packages)`);
  }
}

export function inNetns(netns: string, command: string, args: readonly string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', netns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function execInNetns(netns: string, command: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run('ip', ['netns', 'exec', netns, command, ...args], { maxBuffer: 1 << 26 });
  return stdout;
}

/** Resolves once the child printed `text` (stdout or stderr); rejects if it exits first. */
export function waitForOutput(child: ChildProcess, text: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for "${text}": ${seen.slice(-300)}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolvePromise();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before "${text}": ${seen.slice(-300)}`));
    });
  });
}

export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

/** tcpdump on eth0 of `netns`, writing `file`; resolves once it listens. stop() with SIGINT flushes it. */
export async function startTcpdump(netns: string, file: string): Promise<ChildProcess> {
  const args = ['-i', 'eth0', '-s', '0', '-B', '32768', '-U', '--immediate-mode', '-Z', 'root', '-w', file];
  const child = inNetns(netns, 'tcpdump', args);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  tcpdumpOutput.set(child, () => stderr);
  await waitForOutput(child, 'listening on');
  return child;
}

const tcpdumpOutput = new WeakMap<ChildProcess, () => string>();

/** Stops tcpdump (SIGINT flushes its file) and returns how many packets it says the kernel dropped. */
export async function stopTcpdump(child: ChildProcess): Promise<number> {
  await stop(child, 'SIGINT');
  const m = /(\d+) packets? dropped by kernel/.exec(tcpdumpOutput.get(child)?.() ?? '');
  return m ? Number(m[1]) : -1;
}

export interface AnalyzeResult {
  readonly code: number;
  readonly records: TrafficRecord[];
  readonly stderr: string;
}

/** Runs `tapedeck analyze --format json` (the real program, under tsx); every record is schema-checked. */
export async function analyze(files: readonly string[], extra: readonly string[] = []): Promise<AnalyzeResult> {
  const args = ['--import', 'tsx', join(root, 'cli/main.ts'), 'analyze', '--format', 'json', ...extra, ...files];
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolvePromise) => {
    execFile(process.execPath, args, { cwd: root, maxBuffer: 1 << 28, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
  const records = result.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TrafficRecord);
  records.forEach(assertValidRecord);
  return { code: result.code, records, stderr: result.stderr };
}

export async function tsharkFields(file: string, filter: string, fields: readonly string[]): Promise<string[][]> {
  const args = ['-r', file, '-Y', filter, '-T', 'fields', '-E', 'separator=/t', ...fields.flatMap((f) => ['-e', f])];
  const { stdout } = await run('tshark', args, { maxBuffer: 1 << 28 });
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

export interface Conversation {
  /** "ip:port" of tshark's A and B columns. */
  readonly a: string;
  readonly b: string;
  /** Frames and bytes B→A ("<-") and A→B ("->"). */
  readonly toA: { frames: number; bytes: number };
  readonly toB: { frames: number; bytes: number };
}

function bytesOf(text: string): number {
  const [n = '0', unit = 'bytes'] = text.trim().split(/\s+/);
  if (unit !== 'bytes') throw new Error(`tshark rounded a byte count (${text}); compare a smaller capture`);
  return Number(n);
}

/** Parses `tshark -q -z conv,tcp|udp` (byte counts must be below 10 kB, where tshark prints them exactly). */
export async function tsharkConversations(file: string, proto: 'tcp' | 'udp'): Promise<Conversation[]> {
  const { stdout } = await run('tshark', ['-q', '-z', `conv,${proto}`, '-r', file], { maxBuffer: 1 << 26 });
  const out: Conversation[] = [];
  const line = /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+ \S+)\s+(\d+)\s+(\d+ \S+)\s+\d+/;
  for (const l of stdout.split('\n')) {
    const m = line.exec(l);
    if (!m) continue;
    out.push({
      a: m[1] ?? '',
      b: m[2] ?? '',
      toA: { frames: Number(m[3]), bytes: bytesOf(m[4] ?? '') },
      toB: { frames: Number(m[5]), bytes: bytesOf(m[6] ?? '') },
    });
  }
  return out;
}

/** tcpflow's reassembled bytes per direction: "srcip.port-dstip.port" (tcpflow's zero-padded names) → size. */
export async function tcpflowSizes(file: string, outDir: string): Promise<Map<string, number>> {
  await run('tcpflow', ['-r', file, '-o', outDir]);
  const sizes = new Map<string, number>();
  for (const name of readdirSync(outDir)) {
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.(\d+)-(\d+)\.(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(name);
    if (!m) continue;
    const n = m.slice(1).map(Number);
    const key = `${n.slice(0, 4).join('.')}:${n[4]}-${n.slice(5, 9).join('.')}:${n[9]}`;
    sizes.set(key, statSync(join(outDir, name)).size);
  }
  return sizes;
}
