// Export and the storage budget together: a real agent with a 16 MiB budget records ~10 MB/s for 10 s
// (far more than the budget) while exporting to MinIO, which keeps up. Exported files are evicted to
// make room, so capture goes on without loss, and every file is in the bucket with the sha256 the
// manifest names (checked by downloading with Debian's aws CLI, not our code).
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../core/manifest/manifest.js';
import { runKeyPrefix } from '../../core/manifest/object-key.js';
import type { Session__Output } from '../../proto/generated/tapedeck/agent/v1/Session.js';
import { startMinio, type MinIO } from '../env/object-stores.js';
import { waitUntil } from '../env/readiness.js';
import { resolveBinary } from '../env/versions.js';
import { unary } from './agent-clients.js';
import { PORT_X, sessionSpec, startTestAgent, type TestAgent } from './agent-harness.js';

const run = promisify(execFile);
const AWS = '/usr/bin/aws';
const BUCKET = 'export-budget';
const MiB = 1024 * 1024;

/** ~rate bytes/s of `size`-byte datagrams to PORT_X for `seconds`. Returns how many were sent. */
async function sendAtRate(bytesPerSecond: number, size: number, seconds: number): Promise<number> {
  const socket = createSocket('udp4');
  const payload = Buffer.alloc(size, 0x66);
  const perTick = Math.max(1, Math.round((bytesPerSecond / size) * 0.005));
  let sent = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    for (let n = 0; n < perTick; n++, sent++) socket.send(payload, PORT_X, '127.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  socket.close();
  return sent;
}

describe('agent export with a small storage budget', () => {
  let dir: string;
  let minio: MinIO;
  let agent: TestAgent;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-export-budget-'));
    minio = await startMinio(await resolveBinary('minio'), dir);
    const s3 = new S3Client({
      endpoint: minio.facts.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: minio.facts,
    });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    s3.destroy();
    agent = await startTestAgent(['--storage-limit', '16Mi']);
  }, 60_000);
  afterAll(async () => {
    await agent?.close();
    await minio?.process.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('should evict exported files first and capture without loss', async () => {
    const uid = randomUUID();
    const spec = sessionSpec(uid, {
      output: { formats: ['OUTPUT_FORMAT_PCAP'], rotation: { maxFileBytes: MiB } },
      export: {
        s3: {
          bucket: BUCKET,
          prefix: 'budget',
          region: 'us-east-1',
          endpoint: minio.facts.endpoint,
          forcePathStyle: true,
        },
      },
    });
    const exportCredentials = {
      s3: { accessKeyId: minio.facts.accessKeyId, secretAccessKey: minio.facts.secretAccessKey, sessionToken: '' },
    };
    const started = await unary(agent.api.StartSession.bind(agent.api), { spec, exportCredentials });
    const id = started.session!.id;
    const sent = await sendAtRate(10 * 1000 * 1000, 1000, 10);
    await agent.stop(id);
    let session: Session__Output = await unary(agent.api.GetSession.bind(agent.api), { id });
    await waitUntil(
      async () => {
        session = await unary(agent.api.GetSession.bind(agent.api), { id });
        return session.export?.manifestComplete === true;
      },
      { what: 'the export complete', timeoutMs: 120_000, intervalMs: 250 },
    );
    // Far more than the budget went through the node, and nothing was lost for lack of room.
    expect(sent * 1000).toBeGreaterThan(5 * 16 * MiB);
    expect(session.stats!.packetsCaptured).toBe(sent);
    expect(Number(session.packetsLostStorage)).toBe(0);
    expect(Number(session.stats!.packetsLost)).toBe(0);
    const evicted = session.files.filter((f) => f.deletedReason === 'Evicted');
    expect(evicted.length).toBeGreaterThan(session.files.length / 2);
    // Only exported files were evicted, and every file is in the bucket as the manifest says.
    for (const f of evicted) expect(f.exportedUrl).not.toBe('');
    const prefix = runKeyPrefix({
      prefix: 'budget',
      namespace: 'shop',
      recording: 'checkout',
      uid,
      iteration: 1,
      node: 'node-a',
    });
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: minio.facts.accessKeyId,
      AWS_SECRET_ACCESS_KEY: minio.facts.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
    };
    const get = async (key: string): Promise<Buffer> => {
      const out = path.join(dir, `get-${randomUUID()}`);
      await run(
        AWS,
        ['s3api', 'get-object', '--bucket', BUCKET, '--key', key, '--endpoint-url', minio.facts.endpoint, out],
        {
          env,
        },
      );
      const data = await readFile(out);
      await rm(out);
      return data;
    };
    const manifest = parseManifest((await get(`${prefix}manifest.json`)).toString('utf8'), 'manifest.json');
    expect(manifest.files.map((f) => path.basename(f.key)).sort()).toEqual(
      session.files.map((f) => path.basename(f.path)).sort(),
    );
    let packets = 0;
    for (const file of manifest.files) {
      expect(
        createHash('sha256')
          .update(await get(file.key))
          .digest('hex'),
      ).toBe(file.sha256);
      packets += file.packets;
    }
    expect(packets).toBe(sent);
  }, 240_000);
});
