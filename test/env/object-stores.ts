import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { GcsFacts, S3Facts } from './facts.js';
import { freePort } from './ports.js';
import { startProcess, type ManagedProcess } from './processes.js';
import { httpOk, waitUntil } from './readiness.js';

export interface MinIO {
  process: ManagedProcess;
  facts: S3Facts;
}

/**
 * Starts MinIO on a loopback port with its own root credentials and a data dir under runDir.
 * `again`: the facts of a MinIO this started before on the same runDir, to start it again on the same
 * port, credentials and data (an outage test).
 */
export async function startMinio(binary: string, runDir: string, timeoutMs = 30_000, again?: S3Facts): Promise<MinIO> {
  const port = again ? Number(new URL(again.endpoint).port) : await freePort();
  const dataDir = join(runDir, 'minio-data');
  await mkdir(dataDir, { recursive: true });
  const facts: S3Facts = again ?? {
    endpoint: `http://127.0.0.1:${port}`,
    accessKeyId: `tapedeck-${randomBytes(4).toString('hex')}`,
    secretAccessKey: randomBytes(18).toString('base64url'),
    region: 'us-east-1',
  };
  const process = await startProcess({
    name: 'minio',
    command: binary,
    args: ['server', '--quiet', '--address', `127.0.0.1:${port}`, dataDir],
    env: {
      ...globalThis.process.env,
      MINIO_ROOT_USER: facts.accessKeyId,
      MINIO_ROOT_PASSWORD: facts.secretAccessKey,
      MINIO_REGION: facts.region,
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
      HOME: dataDir, // keeps MinIO's ~/.minio out of the real home
    },
    logDir: runDir,
  });
  await waitUntil(() => httpOk(`${facts.endpoint}/minio/health/ready`), {
    what: 'MinIO /minio/health/ready',
    timeoutMs,
    process,
  });
  return { process, facts };
}

export interface FakeGcs {
  process: ManagedProcess;
  facts: GcsFacts;
}

/** Starts fake-gcs-server (in-memory backend, plain HTTP) on a loopback port. */
export async function startFakeGcs(binary: string, runDir: string, timeoutMs = 30_000): Promise<FakeGcs> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const process = await startProcess({
    name: 'fake-gcs-server',
    command: binary,
    args: [
      '-backend',
      'memory',
      '-scheme',
      'http',
      '-host',
      '127.0.0.1',
      '-port',
      String(port),
      // Resumable uploads hand out Location URLs built from these: they must point back here.
      '-public-host',
      `127.0.0.1:${port}`,
      '-external-url',
      endpoint,
    ],
    logDir: runDir,
  });
  await waitUntil(() => httpOk(`${endpoint}/storage/v1/b`), {
    what: 'fake-gcs-server /storage/v1/b',
    timeoutMs,
    process,
  });
  return { process, facts: { endpoint, projectId: 'tapedeck-test' } };
}
