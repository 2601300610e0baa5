// The agent's export queue against a MinIO of its own (so the test can stop it): every file and a
// complete manifest at the documented keys, sha256s checked with Debian's aws CLI (not our code),
// the manifest valid against its published schema, and an outage of the store that loses and
// duplicates nothing.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManifestFile } from '../../core/manifest/manifest.js';
import type { RunLocation } from '../../core/manifest/object-key.js';
import { ExportQueue } from '../../agent/export/export-queue.js';
import type { ExportFile, ExportJournal } from '../../agent/export/export-queue.js';
import { s3Target } from '../../agent/export/export-target.js';
import type { UploadCheckpoint } from '../../agent/export/upload-checkpoint.js';
import { systemClock } from '../../agent/output/clock.js';
import { freePort } from '../env/ports.js';
import { startProcess } from '../env/processes.js';
import type { ManagedProcess } from '../env/processes.js';
import { httpOk, waitUntil } from '../env/readiness.js';
import { resolveBinary } from '../env/versions.js';

const run = promisify(execFile);
const AWS = '/usr/bin/aws'; // Debian's aws CLI 2.9 (an `aws` earlier on PATH may be another one)
const BUCKET = 'queue-test';
const USER = 'queue-test-user';
const SECRET = randomBytes(18).toString('base64url');

class MemoryJournal implements ExportJournal {
  readonly checkpoints = new Map<string, UploadCheckpoint>();
  readonly exportedFiles = new Map<string, ManifestFile>();
  async saveCheckpoint(fileId: string, checkpoint: UploadCheckpoint): Promise<void> {
    this.checkpoints.set(fileId, checkpoint);
  }
  async exported(fileId: string, file: ManifestFile): Promise<void> {
    this.exportedFiles.set(fileId, file);
  }
}

describe('ExportQueue to S3', () => {
  let dir: string;
  let port: number;
  let minio: ManagedProcess;
  let s3: S3Client;
  const endpoint = (): string => `http://127.0.0.1:${port}`;

  async function startMinio(): Promise<void> {
    minio = await startProcess({
      name: `minio-queue-${Date.now()}`,
      command: await resolveBinary('minio'),
      args: ['server', '--quiet', '--address', `127.0.0.1:${port}`, join(dir, 'minio')],
      env: {
        ...process.env,
        MINIO_ROOT_USER: USER,
        MINIO_ROOT_PASSWORD: SECRET,
        MINIO_BROWSER: 'off',
        HOME: join(dir, 'minio'),
      },
      logDir: dir,
    });
    await waitUntil(() => httpOk(`${endpoint()}/minio/health/ready`), {
      what: 'MinIO ready',
      timeoutMs: 30_000,
      process: minio,
    });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapedeck-queue-'));
    await mkdir(join(dir, 'files'));
    port = await freePort();
    await startMinio();
    s3 = new S3Client({
      endpoint: endpoint(),
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: USER, secretAccessKey: SECRET },
      maxAttempts: 1, // the queue retries, not the SDK: the outage must show
    });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });
  afterAll(async () => {
    s3?.destroy();
    await minio?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function files(location: RunLocation, sizes: number[]): Promise<{ file: ExportFile; sha256: string }[]> {
    return Promise.all(
      sizes.map(async (size, i) => {
        const fileName = `tapedeck_1796198193_1f0c9a2e_${location.node}_${String(i).padStart(6, '0')}.pcap`;
        const path = join(dir, 'files', `${location.node}-${location.iteration}-${fileName}`);
        const data = randomBytes(size);
        await writeFile(path, data);
        const file: ExportFile = {
          id: `${location.node}-${i}`,
          path,
          fileName,
          run: location,
          entry: { format: 'pcap', packets: i + 1, interfaces: ['eth0'], linkType: 1 },
        };
        return { file, sha256: createHash('sha256').update(data).digest('hex') };
      }),
    );
  }

  async function awsSha256(key: string): Promise<string> {
    const out = join(dir, `download-${randomBytes(4).toString('hex')}`);
    await run(AWS, ['s3api', 'get-object', '--bucket', BUCKET, '--key', key, '--endpoint-url', endpoint(), out], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: USER, AWS_SECRET_ACCESS_KEY: SECRET, AWS_DEFAULT_REGION: 'us-east-1' },
    });
    return createHash('sha256')
      .update(await readFile(out))
      .digest('hex');
  }

  async function keysUnder(prefix: string): Promise<string[]> {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    return (out.Contents ?? []).map((o) => o.Key!).sort();
  }

  it('should export every file and a complete manifest that any S3 client can verify', async () => {
    const location: RunLocation = {
      prefix: 'prod',
      namespace: 'shop',
      recording: 'checkout',
      uid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
      iteration: 1,
      node: 'node-a',
    };
    const made = await files(location, [0, 1000, 6 * 1024 * 1024, 9 * 1024 * 1024 + 5]);
    const journal = new MemoryJournal();
    const queue = new ExportQueue({ target: s3Target(s3, BUCKET, 'prod'), journal, clock: systemClock });
    for (const { file } of made) queue.add(file);
    queue.finishRun(location);
    await queue.drained();

    const prefix = 'prod/shop/checkout/1b4e28ba/1/node-a/';
    expect(await keysUnder(prefix)).toEqual(
      [...made.map((m) => prefix + m.file.fileName), `${prefix}manifest.json`].sort(),
    );
    for (const m of made) expect(await awsSha256(prefix + m.file.fileName)).toBe(m.sha256);

    const manifestPath = join(dir, 'manifest.json');
    await run(
      AWS,
      [
        's3api',
        'get-object',
        '--bucket',
        BUCKET,
        '--key',
        `${prefix}manifest.json`,
        '--endpoint-url',
        endpoint(),
        manifestPath,
      ],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: USER,
          AWS_SECRET_ACCESS_KEY: SECRET,
          AWS_DEFAULT_REGION: 'us-east-1',
        },
      },
    );
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { complete: boolean; files: ManifestFile[] };
    const schema = JSON.parse(
      await readFile(new URL('../../core/manifest/manifest.schema.json', import.meta.url), 'utf8'),
    ) as object;
    const validate = new Ajv2020({ validateFormats: false }).compile(schema);
    expect(validate(manifest), JSON.stringify(validate.errors)).toBe(true);
    expect(manifest.complete).toBe(true);
    expect(manifest.files.map((f) => f.sha256).sort()).toEqual(made.map((m) => m.sha256).sort());
    expect([...journal.exportedFiles.keys()].sort()).toEqual(made.map((m) => m.file.id).sort());
    expect(queue.state(location)).toMatchObject({ pending: 0, exported: 4, manifestComplete: true });
  });

  it('should lose and duplicate nothing when the store is down for a while', async () => {
    const location: RunLocation = {
      prefix: 'prod',
      namespace: 'shop',
      recording: 'outage',
      uid: '2b4e28ba-2fa1-11d2-883f-0016d3cca427',
      iteration: 2,
      node: 'node-b',
    };
    const made = await files(location, [2000, 7 * 1024 * 1024, 3000]);
    const failures: string[] = [];
    const queue = new ExportQueue({
      target: s3Target(s3, BUCKET, 'prod'),
      journal: new MemoryJournal(),
      clock: systemClock,
      events: { failed: (_file, error) => failures.push(error.message) },
    });
    await minio.stop();
    for (const { file } of made) queue.add(file);
    queue.finishRun(location);
    await waitUntil(async () => failures.length >= 3, {
      what: 'export failures while MinIO is down',
      timeoutMs: 30_000,
    });
    expect(queue.state(location)).toMatchObject({ pending: 3, exported: 0, manifestComplete: false });
    expect(queue.state(location)?.lastError).toMatch(/s3:\/\/queue-test\/prod\/shop\/outage\/2b4e28ba\/2\/node-b\//);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // the outage itself
    await startMinio();
    await queue.drained();

    const prefix = 'prod/shop/outage/2b4e28ba/2/node-b/';
    const keys = await keysUnder(prefix);
    expect(keys).toHaveLength(made.length + 1);
    for (const m of made) expect(await awsSha256(prefix + m.file.fileName)).toBe(m.sha256);
    expect(queue.state(location)).toMatchObject({ pending: 0, exported: 3, manifestComplete: true });
  }, 120_000);
});
