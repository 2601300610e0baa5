// Cilium's own clients drive the real tapedeck-agent over mTLS: the real
// `hubble record` CLI (cilium v1.18.11) and recorder-client, a small Go program
// on Cilium's generated package github.com/cilium/cilium/api/v1/recorder. Both
// are built by `bash test/env/build-tools.sh hubble`; a missing binary fails
// these tests, it never skips them.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBinary } from '../env/versions.js';
import { AGENT_TLS_NAME } from './agent-pki.js';
import type { LogLine } from './agent-process.js';
import { PORT_X, PORT_Y, startTestAgent, type TestAgent } from './agent-harness.js';
import { tsharkCount, udpFlood, type Flood } from './agent-traffic.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string[];
  readonly stderr: string;
}

interface RunOptions {
  readonly cwd: string;
  /** Called for every stdout line with a function that signals the child. */
  readonly onLine?: (line: string, kill: (signal: NodeJS.Signals) => void) => void;
}

const RUN_TIMEOUT_MS = 30_000;

/** Runs a binary (argument array, no shell) with HOME in `cwd` and no HUBBLE_* settings from the caller. */
function runTool(binary: string, args: readonly string[], options: RunOptions): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('HUBBLE_')));
  const child = spawn(binary, [...args], { cwd: options.cwd, env: { ...env, HOME: options.cwd } });
  const stdout: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const kill = (signal: NodeJS.Signals): void => void child.kill(signal);
  createInterface({ input: child.stdout }).on('line', (line) => {
    stdout.push(line);
    options.onLine?.(line, kill);
  });
  const timer = setTimeout(() => kill('SIGKILL'), RUN_TIMEOUT_MS);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** The CLI's last lines: "<time> Result: N packets (B bytes) written" and "<time> Output: <path>". */
function hubbleResult(run: Run): { packets: number; bytes: number; file: string } {
  const result = run.stdout.map((l) => /Result: (\d+) packets \((\d+) bytes\) written/.exec(l)).find(Boolean);
  const output = run.stdout.map((l) => /Output: (\S+)$/.exec(l)).find(Boolean);
  return { packets: Number(result?.[1]), bytes: Number(result?.[2]), file: output?.[1] ?? '' };
}

interface Summary {
  running: number;
  stopped: boolean;
  filePath?: string;
  stats?: { packetsCaptured: number; bytesCaptured: number; packetsLost: number; bytesLost: number };
  stopSent: boolean;
  node?: string;
  code?: string;
  error?: string;
  streamEof: boolean;
}

function summary(run: Run): Summary {
  return JSON.parse(run.stdout.at(-1) ?? '{}') as Summary;
}

const UDP_TO_X = `127.0.0.1/32 0 127.0.0.0/8 ${PORT_X} UDP`;

describe('hubble clients against tapedeck-agent', () => {
  let t: TestAgent;
  let hubble: string;
  let recorderClient: string;
  let flood: Flood | undefined;

  beforeAll(async () => {
    hubble = await resolveBinary('hubble');
    recorderClient = await resolveBinary('recorder-client');
    t = await startTestAgent();
  });

  afterAll(async () => {
    flood?.stop();
    await t?.close();
  });

  const hubbleTls = (): string[] => [
    '--server',
    t.address,
    '--tls',
    '--tls-ca-cert-files',
    t.pki.caCert,
    '--tls-client-cert-file',
    t.pki.clientCert,
    '--tls-client-key-file',
    t.pki.clientKey,
    '--tls-server-name',
    AGENT_TLS_NAME,
  ];
  const clientTls = (): string[] => [
    '--server',
    t.address,
    '--tls-ca',
    t.pki.caCert,
    '--tls-cert',
    t.pki.clientCert,
    '--tls-key',
    t.pki.clientKey,
    '--tls-server-name',
    AGENT_TLS_NAME,
  ];
  const trafficToXAndY = (): void => {
    flood = udpFlood(
      [
        { host: '127.0.0.1', port: PORT_X },
        { host: '127.0.0.1', port: PORT_Y },
      ],
      5,
      10,
    );
  };
  /** The first agent log line matching `match`, waiting up to 10 s for it. */
  const agentLog = async (match: (line: LogLine) => boolean): Promise<LogLine> => {
    for (let waited = 0; waited < 10_000; waited += 100) {
      const found = t.agent.logs.find(match);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no matching agent log line in ${t.agent.logs.length} lines`);
  };
  const stopTraffic = (): void => {
    flood?.stop();
    flood = undefined;
  };

  it('should record exactly --packet-limit packets with `hubble record` and exit 0', async () => {
    trafficToXAndY();
    const run = await runTool(hubble, ['record', ...hubbleTls(), '--packet-limit', '40', UDP_TO_X], {
      cwd: t.dir,
    }).finally(stopTraffic);
    expect(run.stderr).toContain('Started recording');
    expect(run.code).toBe(0);
    const result = hubbleResult(run);
    expect(result.packets).toBe(40);
    expect(result.bytes).toBeGreaterThan(40 * 32);
    expect(path.basename(result.file)).toMatch(/^hubble_\d+_[0-9a-f]{8}_node-a_000000\.pcap$/);
    expect(result.file.startsWith(t.dataDir + path.sep)).toBe(true);
    expect(await tsharkCount(result.file)).toBe(40);
    expect(await tsharkCount(result.file, `udp.dstport == ${PORT_X} && ip.src == 127.0.0.1`)).toBe(40);
  });

  it('should stop on --time-limit with `hubble record`, print running status and exit 0', async () => {
    trafficToXAndY();
    const run = await runTool(
      hubble,
      ['record', ...hubbleTls(), '--time-limit', '2s', '--file-prefix', 'timed', UDP_TO_X],
      { cwd: t.dir },
    ).finally(stopTraffic);
    expect(run.code).toBe(0);
    expect(run.stdout.filter((l) => l.includes(' Status: ')).length).toBeGreaterThanOrEqual(1);
    const result = hubbleResult(run);
    expect(path.basename(result.file)).toMatch(/^timed_\d+_[0-9a-f]{8}_node-a_000000\.pcap$/);
    expect(result.packets).toBeGreaterThan(0);
    expect(await tsharkCount(result.file)).toBe(result.packets);
    expect(await tsharkCount(result.file, `udp.dstport == ${PORT_Y}`)).toBe(0);
  });

  // hubble v1.18.11's `record` also cancels its stream context on SIGINT (signal.NotifyContext in
  // record.go), so the CLI itself fails its own stop send with EOF and exits 1 with Canceled whatever the
  // server does. What the agent owes it: the cancelled stream stops the recording and finalises the file.
  it('should finalise the file when `hubble record` is stopped with Ctrl-C (SIGINT)', async () => {
    trafficToXAndY();
    const run = await runTool(hubble, ['record', ...hubbleTls(), '--file-prefix', 'ctrlc', UDP_TO_X], {
      cwd: t.dir,
      onLine: (line, kill) => {
        if (/ Status: [1-9]/.test(line)) kill('SIGINT');
      },
    }).finally(stopTraffic);
    // The CLI's own "Stopping recording..." line races with its context cancel, so only its exit is checked.
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('code = Canceled desc = context canceled');
    const stopped = await agentLog(
      (l) => l.msg === 'Stopped capture' && (l.files as string[] | undefined)?.[0]?.includes('/ctrlc_') === true,
    );
    expect(stopped.reason).toBe('Stopped');
    const file = (stopped.files as string[])[0] ?? '';
    expect(path.basename(file)).toMatch(/^ctrlc_\d+_[0-9a-f]{8}_node-a_000000\.pcap$/);
    expect(Number(stopped.packetsCaptured)).toBeGreaterThan(0);
    expect(await tsharkCount(file)).toBe(Number(stopped.packetsCaptured));
  });

  it('should record the packet limit through Cilium generated client and end the stream after `stopped`', async () => {
    trafficToXAndY();
    const run = await runTool(
      recorderClient,
      [...clientTls(), '--include', UDP_TO_X, '--packet-limit', '25', '--file-prefix', 'cilium'],
      { cwd: t.dir },
    ).finally(stopTraffic);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const s = summary(run);
    expect(s).toMatchObject({ stopped: true, streamEof: true, node: 'node-a', stopSent: false });
    expect(s.running).toBeGreaterThanOrEqual(1);
    expect(s.stats?.packetsCaptured).toBe(25);
    expect(path.basename(s.filePath ?? '')).toMatch(/^cilium_\d+_[0-9a-f]{8}_node-a_000000\.pcap$/);
    expect(await tsharkCount(s.filePath ?? '', `udp.dstport == ${PORT_X}`)).toBe(25);
    expect(await tsharkCount(s.filePath ?? '')).toBe(25);
  });

  it('should answer an explicit stop from Cilium generated client with `stopped`', async () => {
    trafficToXAndY();
    const run = await runTool(recorderClient, [...clientTls(), '--include', UDP_TO_X, '--stop-after', '1500ms'], {
      cwd: t.dir,
    }).finally(stopTraffic);
    expect(run.code).toBe(0);
    const s = summary(run);
    expect(s).toMatchObject({ stopped: true, streamEof: true, stopSent: true });
    expect(s.running).toBeGreaterThanOrEqual(2);
    expect(s.stats?.packetsCaptured).toBeGreaterThan(0);
    expect(await tsharkCount(s.filePath ?? '')).toBe(s.stats?.packetsCaptured);
  });

  it('should reject a bad CIDR with InvalidArgument naming the field', async () => {
    const run = await runTool(
      recorderClient,
      [...clientTls(), '--include', `127.0.0.1/99 0 127.0.0.0/8 ${PORT_X} UDP`, '--packet-limit', '1'],
      { cwd: t.dir },
    );
    expect(run.code).toBe(1);
    const s = summary(run);
    expect(s.code).toBe('InvalidArgument');
    expect(s.error).toContain('include[0].source_cidr');
  });
});
