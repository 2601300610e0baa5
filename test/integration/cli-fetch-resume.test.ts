// A fetch killed (SIGKILL) in the middle of its downloads resumes where it stopped: the rerun reports
// the bytes it already has, downloads the rest and still checks every sha256 over the whole file — a
// byte changed in a partial download is caught (exit 5) and fetched again on the next run.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Target } from '../../agent/export/export-target.js';
import { s3Facts } from '../env/kube.js';
import { exportRecording, largePcapFile, ROOT, tapedeck } from './cli-fetch-fixtures.js';
import type { NodeExport } from './cli-fetch-fixtures.js';

const exec = promisify(execFile);
const UID = '7c1e28ba-2fa1-11d2-883f-0016d3cca427';
const MIB = 96;
const KILL_AFTER_BYTES = 4 * 2 ** 20;

/** Bytes of every partial download in `parts` (absent: none). */
function partialBytes(parts: string): number {
  if (!existsSync(parts)) return 0;
  return readdirSync(parts)
    .filter((f) => f.endsWith('.partial'))
    .reduce((sum, f) => sum + statSync(join(parts, f)).size, 0);
}

describe('tapedeck fetch, killed mid-download', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let args: string[];
  let output: string;
  let packets: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapedeck-fetch-resume-'));
    const s3 = s3Facts();
    env = { ...process.env, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey };
    const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: s3 });
    await client.send(new CreateBucketCommand({ Bucket: 'fetch-resume' })).catch(() => undefined);
    const nodes: NodeExport[] = ['node-a', 'node-b'].map((node, i) => {
      const data = largePcapFile(MIB, i * 5);
      return {
        node,
        files: [
          {
            name: `tapedeck_1796000000_0000000${i}_${node}_000000.pcap`,
            format: 'pcap',
            data,
            packets: 0,
            interfaces: ['eth0'],
          },
        ],
      };
    });
    packets = nodes.reduce((sum, n) => sum + (n.files[0]!.data.length - 24) / 1416, 0);
    await exportRecording(
      dir,
      s3Target(client, 'fetch-resume', ''),
      { prefix: '', namespace: 'shop', recording: 'big', uid: UID, iteration: 1 },
      nodes,
    );
    client.destroy();
    output = join(dir, 'big.pcapng');
    args = ['fetch', 'shop/big', '--from', 's3://fetch-resume', '--endpoint', s3.endpoint, '-o', output];
  }, 180_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('should resume after SIGKILL, catch a byte changed in the partial file, and finish verified', async () => {
    const parts = `${output}.parts`;
    // 1. Killed once its partial files hold a few MiB: nothing at the output path, the partial bytes kept.
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), ...args], {
      cwd: ROOT,
      env,
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)));
    const killed = await new Promise<boolean>((done) => {
      const timer = setInterval(() => {
        if (partialBytes(parts) >= KILL_AFTER_BYTES) {
          clearInterval(timer);
          done(child.kill('SIGKILL'));
        }
      }, 2);
      void exited.then(() => {
        clearInterval(timer);
        done(false);
      });
    });
    expect(killed).toBe(true);
    expect(await exited).toBe('SIGKILL');
    expect(existsSync(output)).toBe(false);
    // The merge runs during the downloads, but its temporary output is inside the work directory.
    expect(readdirSync(dir).filter((f) => f.startsWith(basename(output)))).toEqual([basename(parts)]);
    const kept = partialBytes(parts);
    expect(kept).toBeGreaterThanOrEqual(KILL_AFTER_BYTES);
    expect(kept).toBeLessThan(2 * MIB * 2 ** 20);

    // 2. One byte of a partial file changed: the rerun resumes, but the whole file's sha256 does not match.
    const partial = readdirSync(parts).find((f) => f.endsWith('.partial') && statSync(join(parts, f)).size > 1000)!;
    const handle = await open(join(parts, partial), 'r+');
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, 500);
    await handle.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, 500);
    await handle.close();
    const tampered = await tapedeck(args, env);
    expect(tampered.stderr).toMatch(/^Resuming: \d+\.\d MiB already downloaded in /m);
    expect(tampered.stderr).toMatch(/sha256 mismatch: the manifest says [0-9a-f]{64}, the object has [0-9a-f]{64}/);
    expect(tampered.code).toBe(5);
    expect(existsSync(output)).toBe(false);

    // 3. The damaged file was dropped, the other node's finished download kept: this run completes.
    const resumed = await tapedeck(args, env);
    expect(resumed.stderr).toMatch(/every sha256 matched/);
    expect(resumed.code).toBe(0);
    const info = (await exec('capinfos', ['-M', '-c', '-o', output])).stdout;
    expect(info).toMatch(new RegExp(`Number of packets:\\s+${packets}\\b`));
    expect(info).toMatch(/Strict time order:\s+True/);
    expect(existsSync(parts)).toBe(false);
  }, 180_000);

  it('should draw a progress bar (bytes, rate, ETA) on a terminal, redrawn in place', async () => {
    await rm(output, { force: true });
    // script(1) gives the program a pseudo-terminal; the arguments travel in the environment, not the command line.
    const typescript = join(dir, 'terminal.log');
    const command =
      'exec "$NODE" --import tsx "$MAIN" fetch shop/big --from s3://fetch-resume --endpoint "$ENDPOINT" -o "$OUT"';
    await exec('script', ['-q', '-e', '-c', command, typescript], {
      cwd: ROOT,
      env: {
        ...env,
        NODE: process.execPath,
        MAIN: join(ROOT, 'cli/main.ts'),
        ENDPOINT: s3Facts().endpoint,
        OUT: output,
      },
      timeout: 120_000,
    });
    const screen = await readFile(typescript, 'utf8');
    const frames = [
      ...screen.matchAll(/download \[[█░]+\] (\d+)% \| ([\d.]+)\/([\d.]+) MiB \| ([\d.]+) MiB\/s \| ETA ([\dsmh]+)/g),
    ];
    expect(frames.length).toBeGreaterThan(1);
    expect(frames.at(-1)?.[1]).toBe('100');
    expect(new Set(frames.map((f) => f[1])).size).toBeGreaterThan(1); // redrawn as bytes arrive
    expect(screen).toContain('\r'); // in place, not line after line
    expect(screen).not.toMatch(/^download: [\d.]+ of /m); // the plain lines are for logs, not terminals
    expect(screen).toMatch(/every sha256 matched/);
  }, 120_000);
});
