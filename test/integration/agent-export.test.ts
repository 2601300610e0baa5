// The real agent exports a Recording's files to a MinIO of this test's own (so it can be stopped):
// objects at the documented keys, a complete manifest valid against its schema, every sha256
// checked by Debian's aws CLI (not our code); a MinIO outage of 20 s mid-export, an agent killed
// with SIGKILL mid-multipart-upload (it resumes, not re-sending acknowledged parts, after the
// operator's RefreshCredentials), and wrong credentials (a clear status, files kept) — each with
// nothing lost or duplicated.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../core/manifest/manifest.js';
import { runKeyPrefix } from '../../core/manifest/object-key.js';
import type { Session__Output } from '../../proto/generated/tapedeck/agent/v1/Session.js';
import type { SessionSpec } from '../../proto/generated/tapedeck/agent/v1/SessionSpec.js';
import { assumeRoleForPrefix } from '../../operator/export/s3-session-credentials.js';
import { startMinio, type MinIO } from '../env/object-stores.js';
import { resolveBinary } from '../env/versions.js';
import { waitUntil } from '../env/readiness.js';
import { unary } from './agent-clients.js';
import { PORT_X, sessionSpec, startTestAgent, type TestAgent } from './agent-harness.js';

const run = promisify(execFile);
const AWS = '/usr/bin/aws'; // Debian's aws CLI 2.9 (an `aws` earlier on PATH may be another one)
const BUCKET = 'agent-export';
const PREFIX = 'itest';
const SCHEMA = path.resolve(import.meta.dirname, '../../core/manifest/manifest.schema.json');

/** Sends `count` UDP datagrams of `size` bytes to PORT_X on loopback, `burst` per tick. */
async function sendUdp(count: number, size: number, burst = 50): Promise<void> {
  const socket = createSocket('udp4');
  const payload = Buffer.alloc(size, 0x65);
  for (let sent = 0; sent < count;) {
    for (let n = 0; n < burst && sent < count; n++, sent++) socket.send(payload, PORT_X, '127.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  socket.close();
}

/** Retries `call` while the client's channel still reconnects to a restarted agent. */
async function serving<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if ((error as ServiceError).code !== status.UNAVAILABLE || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

describe('agent export to S3', () => {
  let dir: string;
  let minioBinary: string;
  let minio: MinIO;
  let s3: S3Client;
  let agent: TestAgent;

  const destination = (): SessionSpec['export'] => ({
    s3: { bucket: BUCKET, prefix: PREFIX, region: 'us-east-1', endpoint: minio.facts.endpoint, forcePathStyle: true },
  });
  const credentials = (secret = minio.facts.secretAccessKey) => ({
    s3: { accessKeyId: minio.facts.accessKeyId, secretAccessKey: secret, sessionToken: '' },
  });
  const get = (id: string): Promise<Session__Output> => unary(agent.api.GetSession.bind(agent.api), { id });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-agent-export-'));
    minioBinary = await resolveBinary('minio');
    minio = await startMinio(minioBinary, dir);
    s3 = new S3Client({
      endpoint: minio.facts.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: minio.facts,
    });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    agent = await startTestAgent();
  }, 60_000);
  afterAll(async () => {
    await agent?.close();
    s3?.destroy();
    await minio?.process.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function keysUnder(prefix: string): Promise<string[]> {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    return (out.Contents ?? []).map((o) => o.Key!).sort();
  }

  async function awsSha256(key: string): Promise<string> {
    const out = path.join(dir, `download-${randomUUID()}`);
    await run(
      AWS,
      ['s3api', 'get-object', '--bucket', BUCKET, '--key', key, '--endpoint-url', minio.facts.endpoint, out],
      {
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: minio.facts.accessKeyId,
          AWS_SECRET_ACCESS_KEY: minio.facts.secretAccessKey,
          AWS_DEFAULT_REGION: 'us-east-1',
        },
      },
    );
    const digest = await sha256(out);
    await rm(out);
    return digest;
  }

  async function untilExported(id: string, timeoutMs = 90_000): Promise<Session__Output> {
    let session = await get(id);
    await waitUntil(
      async () => {
        session = await get(id);
        return session.export?.manifestComplete === true;
      },
      { what: `session ${id} exported with a complete manifest`, timeoutMs, intervalMs: 200 },
    );
    return session;
  }

  /** Every closed file is one object with its sha256, and the manifest lists exactly those. */
  async function expectExportedExactly(session: Session__Output, uid: string): Promise<void> {
    const rec = session.spec!.recording!;
    const prefix = runKeyPrefix({
      prefix: PREFIX,
      namespace: rec.namespace,
      recording: rec.name,
      uid,
      iteration: rec.iteration,
      node: 'node-a',
    });
    const files = session.files.filter((f) => f.closed);
    expect(files.length).toBeGreaterThan(0);
    const keys = await keysUnder(prefix);
    expect(keys).toEqual([...files.map((f) => prefix + path.basename(f.path)), `${prefix}manifest.json`].sort());
    const body = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}manifest.json` }));
    const text = await body.Body!.transformToString();
    const schema = JSON.parse(await readFile(SCHEMA, 'utf8')) as object;
    const validate = new Ajv2020({ allErrors: true, validateFormats: false }).compile(schema); // times: parseManifest;
    expect(validate(JSON.parse(text)), JSON.stringify(validate.errors)).toBe(true);
    const manifest = parseManifest(text, 'manifest.json');
    expect(manifest.complete).toBe(true);
    expect(manifest.recording).toEqual({ namespace: rec.namespace, name: rec.name, uid });
    expect(manifest.files.map((f) => f.key).sort()).toEqual(files.map((f) => prefix + path.basename(f.path)).sort());
    for (const file of files) {
      const local = await sha256(file.path);
      const entry = manifest.files.find((f) => f.key === prefix + path.basename(file.path))!;
      expect(entry.sha256).toBe(local);
      expect(entry.bytes).toBe(file.bytes);
      if (entry.packets > 0) {
        // First and last capture time, to the millisecond, as tshark reads the file.
        const times = (await run('tshark', ['-r', file.path, '-T', 'fields', '-e', 'frame.time_epoch'])).stdout
          .trim()
          .split('\n');
        const ms = (epoch = ''): string => {
          const [seconds = '0', fraction = ''] = epoch.split('.');
          return new Date(Number(seconds) * 1000 + Number(fraction.padEnd(3, '0').slice(0, 3))).toISOString();
        };
        expect([entry.firstPacketTime, entry.lastPacketTime].map((t) => new Date(t ?? '').toISOString())).toEqual([
          ms(times[0]),
          ms(times.at(-1)),
        ]);
      }
      expect(file.exportedUrl).toBe(`s3://${BUCKET}/${entry.key}`);
      expect(file.sha256).toBe(local);
      // Not our code: Debian's aws CLI downloads the object, sha256 of what it wrote.
      expect(await awsSha256(entry.key)).toBe(local);
    }
  }

  it('should export every closed file and a complete manifest, verified by the aws CLI', async () => {
    const uid = randomUUID();
    const spec = sessionSpec(uid, {
      output: {
        formats: ['OUTPUT_FORMAT_PCAP', 'OUTPUT_FORMAT_PCAPNG'],
        rotation: { maxFileBytes: 64 * 1024 },
      },
      export: destination(),
    });
    const started = await unary(agent.api.StartSession.bind(agent.api), {
      spec,
      exportCredentials: credentials(),
    });
    expect(started.session?.spec?.export?.s3?.bucket).toBe(BUCKET);
    await sendUdp(2000, 200);
    await agent.stop(started.session!.id);
    const session = await untilExported(started.session!.id);
    expect(session.export).toMatchObject({ filesPending: 0, lastError: '', manifestComplete: true });
    expect(session.export!.filesExported).toBe(session.files.length);
    // Credentials are never shown.
    expect(JSON.stringify(session)).not.toContain(minio.facts.secretAccessKey);
    await expectExportedExactly(session, uid);
  }, 120_000);

  it('should lose and duplicate nothing when MinIO is down for 20 s mid-export', async () => {
    const uid = randomUUID();
    const spec = sessionSpec(uid, {
      output: { formats: ['OUTPUT_FORMAT_PCAP'], rotation: { maxFileBytes: 32 * 1024 } },
      export: destination(),
    });
    const started = await unary(agent.api.StartSession.bind(agent.api), { spec, exportCredentials: credentials() });
    const id = started.session!.id;
    await sendUdp(600, 200);
    await minio.process.stop();
    const outage = Date.now();
    await sendUdp(600, 200); // files close while the store is down
    await waitUntil(async () => ((await get(id)).export?.failedAttempts ?? 0) > 0, {
      what: 'an export failure while MinIO is down',
      timeoutMs: 20_000,
    });
    const during = await get(id);
    expect(during.export!.lastErrorCode).toBe('TD_ERR_EXPORT_UNAVAILABLE');
    expect(during.export!.filesPending).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 20_000 - (Date.now() - outage))));
    minio = await startMinio(minioBinary, dir, 30_000, minio.facts);
    await agent.stop(id);
    const session = await untilExported(id);
    await expectExportedExactly(session, uid);
  }, 180_000);

  it('should resume a multipart upload after SIGKILL without re-sending acknowledged parts', async () => {
    const uid = randomUUID();
    const spec = sessionSpec(uid, {
      output: { formats: ['OUTPUT_FORMAT_PCAP'], rotation: { maxFileBytes: 0 } },
      export: destination(),
    });
    const started = await unary(agent.api.StartSession.bind(agent.api), { spec, exportCredentials: credentials() });
    const id = started.session!.id;
    // ~200 MiB: 25 parts of 8 MiB, long enough to stop the agent in the middle.
    await sendUdp(26_000, 8000, 100);
    await agent.stop(id);
    const stopped = await get(id);
    expect(stopped.files.length).toBe(1);
    expect(stopped.files[0]!.bytes).toBeGreaterThan(100 * 1024 * 1024);
    const rec = stopped.spec!.recording!;
    const key =
      runKeyPrefix({
        prefix: PREFIX,
        namespace: rec.namespace,
        recording: rec.name,
        uid,
        iteration: 1,
        node: 'node-a',
      }) + path.basename(stopped.files[0]!.path);
    let uploadId = '';
    let partsBeforeKill = 0;
    // MinIO lists multipart uploads only for a prefix that is a whole object name.
    await waitUntil(
      async () => {
        const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: key }));
        const upload = uploads.Uploads?.find((u) => u.Key === key);
        if (!upload) return false;
        const parts = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: upload.UploadId }));
        partsBeforeKill = parts.Parts?.length ?? 0;
        uploadId = upload.UploadId!;
        return partsBeforeKill >= 2;
      },
      { what: 'a multipart upload with acknowledged parts', timeoutMs: 60_000, intervalMs: 10 },
    );
    expect(await agent.restart('SIGKILL')).toBe(null);
    // After a restart the agent holds no credentials: the session waits for the operator's.
    const waiting = await serving(() => get(id));
    expect(waiting.export?.lastErrorCode).toBe('TD_ERR_EXPORT_NO_CREDENTIALS');
    await unary(agent.api.RefreshCredentials.bind(agent.api), { id, exportCredentials: credentials() });
    const session = await untilExported(id, 120_000);
    const resumed = agent.agent.logs.find((l) => l.msg === 'Exported file' && String(l['object']) === key);
    const exportLogs = agent.agent.logs.filter((l) => l['component'] === 'export');
    expect(
      resumed,
      `log of the resumed upload of ${key} (upload ${uploadId}): ${JSON.stringify(exportLogs)}`,
    ).toBeDefined();
    // The parts acknowledged before the kill were not sent again.
    expect(Number(resumed!['resumedParts'])).toBeGreaterThanOrEqual(partsBeforeKill);
    const left = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: key }));
    expect(left.Uploads ?? []).toEqual([]);
    await expectExportedExactly(session, uid);
  }, 240_000);

  it('should report wrong credentials clearly and keep the files', async () => {
    const uid = randomUUID();
    const spec = sessionSpec(uid, {
      output: { formats: ['OUTPUT_FORMAT_PCAP'], rotation: { maxFileBytes: 32 * 1024 } },
      export: destination(),
    });
    const started = await unary(agent.api.StartSession.bind(agent.api), {
      spec,
      exportCredentials: credentials('not-the-secret-key'),
    });
    const id = started.session!.id;
    await sendUdp(400, 200);
    await agent.stop(id);
    await waitUntil(async () => (await get(id)).export?.lastErrorCode === 'TD_ERR_EXPORT_DENIED', {
      what: 'export denied',
      timeoutMs: 30_000,
    });
    const session = await get(id);
    expect(session.export!.lastError).toMatch(/s3:\/\/agent-export\//);
    expect(session.export!.filesExported).toBe(0);
    for (const file of session.files) await access(file.path); // still on the node
    // The right credentials, sent the way the operator refreshes them, finish the job.
    await unary(agent.api.RefreshCredentials.bind(agent.api), { id, exportCredentials: credentials() });
    await expectExportedExactly(await untilExported(id), uid);
  }, 120_000);

  it('should keep files and acknowledged parts when its short-lived credentials are revoked mid-upload', async () => {
    // A parent user whose STS sessions the agent gets (as the operator mints them), disabled mid-upload.
    const mc = await resolveBinary('mc');
    const config = path.join(dir, 'mc');
    const admin = (...args: string[]) => run(mc, ['--config-dir', config, '--quiet', ...args]);
    await admin('alias', 'set', 't', minio.facts.endpoint, minio.facts.accessKeyId, minio.facts.secretAccessKey);
    await admin('admin', 'user', 'add', 't', 'exporter', 'exporter-secret-123');
    await admin('admin', 'policy', 'attach', 't', 'readwrite', '--user', 'exporter');
    const uid = randomUUID();
    const keyPrefix = runKeyPrefix({
      prefix: PREFIX,
      namespace: 'shop',
      recording: 'checkout',
      uid,
      iteration: 1,
      node: 'node-a',
    });
    const mint = async () => {
      const c = await assumeRoleForPrefix({
        endpoint: minio.facts.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'exporter', secretAccessKey: 'exporter-secret-123' },
        bucket: BUCKET,
        keyPrefix,
        roleArn: 'arn:aws:iam::000000000000:role/tapedeck-export',
        sessionName: 'itest-node-a',
      });
      return { s3: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken } };
    };
    const spec = sessionSpec(uid, {
      output: { formats: ['OUTPUT_FORMAT_PCAP'], rotation: { maxFileBytes: 0 } },
      export: destination(),
    });
    const started = await unary(agent.api.StartSession.bind(agent.api), { spec, exportCredentials: await mint() });
    const id = started.session!.id;
    await sendUdp(26_000, 8000, 100);
    await agent.stop(id);
    const stopped = await get(id);
    const key = keyPrefix + path.basename(stopped.files[0]!.path);
    await waitUntil(
      async () => {
        const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: key }));
        const upload = uploads.Uploads?.find((u) => u.Key === key);
        if (!upload) return false;
        const parts = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: upload.UploadId }));
        return (parts.Parts?.length ?? 0) >= 1;
      },
      { what: 'a multipart upload under way', timeoutMs: 60_000, intervalMs: 10 },
    );
    await admin('admin', 'user', 'disable', 't', 'exporter');
    await waitUntil(async () => (await get(id)).export?.lastErrorCode === 'TD_ERR_EXPORT_DENIED', {
      what: 'export denied after the revocation',
      timeoutMs: 60_000,
    });
    const denied = await get(id);
    expect(denied.export!.manifestComplete).toBe(false);
    await access(stopped.files[0]!.path); // kept on the node
    // New credentials (the operator's refresh) finish the upload; nothing lost or duplicated.
    await admin('admin', 'user', 'enable', 't', 'exporter');
    await unary(agent.api.RefreshCredentials.bind(agent.api), { id, exportCredentials: await mint() });
    await expectExportedExactly(await untilExported(id, 120_000), uid);
    const done = agent.agent.logs.find((l) => l.msg === 'Exported file' && String(l['object']) === key);
    // The parts the store acknowledged before the revocation were not sent again, and no upload is left over.
    expect(Number(done?.['resumedParts'])).toBeGreaterThanOrEqual(1);
    const left = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: key }));
    expect(left.Uploads ?? []).toEqual([]);
  }, 240_000);
});
