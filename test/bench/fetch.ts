// npm run bench:fetch [-- --nodes 3 --mib 100 --runs 3]
//
// `tapedeck fetch` (compiled, a process of its own) against Debian's aws CLI plus mergecap on the same
// objects in the same MinIO, one after the other in each run: ours lists the manifests, downloads
// every node's file in parallel, checks each sha256 and merges them into one pcapng; theirs is
// `aws s3 cp --recursive` of the same objects followed by `mergecap -w`. Then the merge alone: ours
// over the downloaded files vs mergecap. GNU time gives wall, user+system CPU and peak RSS. Prints each
// run and the median ratios (wall target ≤ 1.0×). Both outputs must hold the same packet count.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { s3Target } from '../../agent/export/export-target.js';
import { pcapFile } from '../../core/testing/capture-file.js';
import { startMinio } from '../env/object-stores.js';
import { resolveBinary } from '../env/versions.js';
import { exportRecording } from '../integration/cli-fetch-fixtures.js';
import { compileBenchScript } from './capture-tools.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    mib: { type: 'string', default: '100' },
    runs: { type: 'string', default: '3' },
  },
});
const exec = promisify(execFile);
const AWS = '/usr/bin/aws';
const nodeCount = Number(values.nodes);
const fileBytes = Number(values.mib) * 2 ** 20;
const runs = Number(values.runs);
const UID = '3f2e28ba-2fa1-11d2-883f-0016d3cca427';

interface Timed {
  wallS: number;
  cpuS: number;
  rssMiB: number;
  stdout: string;
}

async function timed(argv: string[], env: NodeJS.ProcessEnv): Promise<Timed> {
  const report = join(dir, `time-${randomBytes(4).toString('hex')}`);
  const { stdout } = await exec('/usr/bin/time', ['-o', report, '-f', '%e %U %S %M', ...argv], {
    env,
    maxBuffer: 64 << 20,
  });
  const [wall, user, sys, rssKiB] = readFileSync(report, 'utf8').trim().split(/\s+/).slice(-4).map(Number);
  return { wallS: wall!, cpuS: user! + sys!, rssMiB: rssKiB! / 1024, stdout };
}

/** Two commands one after the other, as one: wall and CPU add up, RSS is the larger. */
const sum = (a: Timed, b: Timed): Timed => ({
  wallS: a.wallS + b.wallS,
  cpuS: a.cpuS + b.cpuS,
  rssMiB: Math.max(a.rssMiB, b.rssMiB),
  stdout: '',
});

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function packetCount(file: string): Promise<number> {
  const out = (await exec('capinfos', ['-M', '-c', file])).stdout;
  return Number(/Number of packets:\s+(\d+)/.exec(out)?.[1]);
}

/** A capture of about `bytes` of frames from 60 to 1514 bytes (the mix of a busy link), 3 µs apart. */
function capture(bytes: number, offsetUs: number): Buffer {
  const pool = randomBytes(1514 * 16);
  const frames = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    const length = 60 + ((i * 7919) % 1455);
    const data = Buffer.from(pool.subarray((i % 15) * 1514, (i % 15) * 1514 + length));
    data.writeUInt32BE(i, 0);
    frames.push({ data, time: 1_796_000_000 + (offsetUs + i * 3) / 1e6 });
    size += length + 16;
  }
  return pcapFile(frames);
}

const dir = mkdtempSync(join(tmpdir(), 'tapedeck-bench-fetch-'));
const minio = await startMinio(await resolveBinary('minio'), dir);
try {
  const { endpoint, accessKeyId, secretAccessKey } = minio.facts;
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
  };
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
  });
  await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
  const originals = join(dir, 'originals');
  mkdirSync(originals);
  const nodes = Array.from({ length: nodeCount }, (_, i) => ({
    node: `node-${String.fromCharCode(97 + i)}`,
    files: [
      {
        name: `tapedeck_1796000000_0000000${i}_node-${String.fromCharCode(97 + i)}_000000.pcap`,
        format: 'pcap' as const,
        data: capture(fileBytes, i),
        packets: 0,
        interfaces: ['eth0'],
      },
    ],
  }));
  await exportRecording(
    originals,
    s3Target(s3, 'bench', 'prod'),
    { prefix: 'prod', namespace: 'shop', recording: 'bench', uid: UID, iteration: 1 },
    nodes,
  );
  s3.destroy();
  const child = await compileBenchScript('fetch-child');
  const total = nodes.reduce((n, x) => n + x.files[0]!.data.length, 0);
  console.log(
    `fetch benchmark: ${nodeCount} nodes x ${values.mib} MiB (${(total / 2 ** 20).toFixed(0)} MiB) from MinIO on loopback, ${runs} runs`,
  );
  const results: { wall: number; cpu: number; mergeWall: number; mergeCpu: number }[] = [];
  for (let r = 1; r <= runs; r++) {
    const work = join(dir, `run-${r}`);
    mkdirSync(work);
    const ours = await timed(
      [
        process.execPath,
        child,
        'fetch',
        'shop/bench',
        '--from',
        's3://bench/prod',
        '--endpoint',
        endpoint,
        '-o',
        join(work, 'ours.pcapng'),
      ],
      env,
    );
    const downloaded = join(work, 'aws');
    const copy = await timed(
      [
        AWS,
        's3',
        'cp',
        '--recursive',
        '--only-show-errors',
        '--endpoint-url',
        endpoint,
        's3://bench/prod/',
        downloaded,
      ],
      env,
    );
    const pcaps: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.pcap')) pcaps.push(join(d, e.name));
      }
    };
    walk(downloaded);
    const merge = await timed(['mergecap', '-F', 'pcapng', '-w', join(work, 'mergecap.pcapng'), ...pcaps], env);
    const theirs = sum(copy, merge);
    const oursMerge = await timed([process.execPath, child, 'merge', join(work, 'merged.pcapng'), ...pcaps], env);
    const counts = await Promise.all(
      ['ours.pcapng', 'mergecap.pcapng', 'merged.pcapng'].map((f) => packetCount(join(work, f))),
    );
    if (new Set(counts).size !== 1) throw new Error(`packet counts differ (ours, mergecap, merge only): ${counts}`);
    const mibps = (t: Timed): number => total / 2 ** 20 / t.wallS;
    const line = (name: string, t: Timed): string =>
      `  ${name.padEnd(26)} ${t.wallS.toFixed(2).padStart(6)} s ${mibps(t).toFixed(0).padStart(5)} MiB/s  cpu ${t.cpuS.toFixed(2).padStart(6)} s  rss ${t.rssMiB.toFixed(0).padStart(4)} MiB`;
    console.log(
      [
        `run ${r} (${counts[0]} packets)`,
        line('tapedeck fetch', ours),
        line('aws s3 cp + mergecap', theirs),
        line('  aws s3 cp --recursive', copy),
        line('  mergecap', merge),
        line('tapedeck merge only', oursMerge),
      ].join('\n'),
    );
    results.push({
      wall: ours.wallS / theirs.wallS,
      cpu: ours.cpuS / theirs.cpuS,
      mergeWall: oursMerge.wallS / merge.wallS,
      mergeCpu: oursMerge.cpuS / merge.cpuS,
    });
    rmSync(work, { recursive: true, force: true });
  }
  const wall = median(results.map((r) => r.wall));
  console.log(
    `ratios (median of ${runs} runs): wall tapedeck fetch/(aws s3 cp + mergecap) ${wall.toFixed(2)}x (target <= 1.0x: ${wall <= 1 ? 'meets' : 'misses'}), cpu ${median(results.map((r) => r.cpu)).toFixed(2)}x; merge alone vs mergecap: wall ${median(results.map((r) => r.mergeWall)).toFixed(2)}x, cpu ${median(results.map((r) => r.mergeCpu)).toFixed(2)}x`,
  );
} finally {
  await minio.process.stop();
  rmSync(dir, { recursive: true, force: true });
}
