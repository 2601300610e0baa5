// npm run bench:export [-- --gib 1 --runs 3 --file-mib 64]
//
// The agent's exporter (agent/export/, compiled, in a process of its own) and Debian's aws CLI
// (`aws s3 cp --recursive`) upload the same capture files to the same MinIO, one after the other in
// each run. Both are timed by GNU time (wall, user+system CPU, peak RSS). Prints each run and the
// median ratios: throughput exporter/aws (target ≥ 1.0×) and CPU exporter/aws.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { startMinio } from '../env/object-stores.js';
import { resolveBinary } from '../env/versions.js';
import { compileBenchScript } from './capture-tools.js';

const { values } = parseArgs({
  options: {
    gib: { type: 'string', default: '1' },
    runs: { type: 'string', default: '3' },
    'file-mib': { type: 'string', default: '64' },
  },
});
const exec = promisify(execFile);
const AWS = '/usr/bin/aws';
const totalBytes = Math.round(Number(values.gib) * 2 ** 30);
const fileBytes = Number(values['file-mib']) * 2 ** 20;
const runs = Number(values.runs);

interface Timed {
  wallS: number;
  cpuS: number;
  rssMiB: number;
}

/** Runs argv under GNU time; its report goes to a file so the program's own output stays apart. */
async function timed(argv: string[], env: NodeJS.ProcessEnv): Promise<Timed & { stdout: string }> {
  const report = join(dir, `time-${randomBytes(4).toString('hex')}`);
  const { stdout } = await exec('/usr/bin/time', ['-o', report, '-f', '%e %U %S %M', ...argv], {
    env,
    maxBuffer: 64 << 20,
  });
  const { readFileSync } = await import('node:fs');
  const [wall, user, sys, rssKiB] = readFileSync(report, 'utf8').trim().split(/\s+/).slice(-4).map(Number);
  return { wallS: wall!, cpuS: user! + sys!, rssMiB: rssKiB! / 1024, stdout };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'tapedeck-bench-export-'));
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
  s3.destroy();

  const files = join(dir, 'files');
  mkdirSync(files);
  const count = Math.ceil(totalBytes / fileBytes);
  for (let i = 0; i < count; i++) {
    const size = Math.min(fileBytes, totalBytes - i * fileBytes);
    writeFileSync(
      join(files, `tapedeck_1796198193_1f0c9a2e_node-a_${String(i).padStart(6, '0')}.pcap`),
      randomBytes(size),
    );
  }
  const child = await compileBenchScript('export-child');
  console.log(
    `export benchmark: ${count} files, ${(totalBytes / 2 ** 20).toFixed(0)} MiB to MinIO on loopback, ${runs} runs`,
  );
  const results: { throughput: number; cpu: number }[] = [];
  for (let r = 1; r <= runs; r++) {
    const ours = await timed(
      [process.execPath, child, '--dir', files, '--endpoint', endpoint, '--bucket', 'bench', '--prefix', `ours-${r}`],
      env,
    );
    const outcome = JSON.parse(ours.stdout.trim().split('\n').pop()!) as { failures: number; firstFailure?: string };
    if (outcome.failures > 0)
      throw new Error(`the exporter retried ${outcome.failures} times: ${outcome.firstFailure}`);
    const aws = await timed(
      [AWS, 's3', 'cp', '--recursive', '--only-show-errors', '--endpoint-url', endpoint, files, `s3://bench/aws-${r}/`],
      env,
    );
    const mibps = (t: Timed): number => totalBytes / 2 ** 20 / t.wallS;
    const line = (name: string, t: Timed): string =>
      `  ${name.padEnd(9)} ${t.wallS.toFixed(2).padStart(7)} s ${mibps(t).toFixed(0).padStart(5)} MiB/s  cpu ${t.cpuS.toFixed(2).padStart(6)} s  rss ${t.rssMiB.toFixed(0)} MiB`;
    console.log(`run ${r}\n${line('exporter', ours)}\n${line('aws-cli', aws)}`);
    results.push({ throughput: mibps(ours) / mibps(aws), cpu: ours.cpuS / aws.cpuS });
  }
  const throughput = median(results.map((r) => r.throughput));
  const cpu = median(results.map((r) => r.cpu));
  console.log(
    `ratios (median of ${runs} runs): throughput exporter/aws-cli ${throughput.toFixed(2)}x (target >= 1.0x: ${throughput >= 1 ? 'meets' : 'misses'}), cpu exporter/aws-cli ${cpu.toFixed(2)}x`,
  );
} finally {
  await minio.process.stop();
  rmSync(dir, { recursive: true, force: true });
}
