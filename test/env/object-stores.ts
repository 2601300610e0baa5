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
export function startFakeGcs(binary: string, runDir: string, timeoutMs = 30_000): Promise<FakeGcs> {
  return startFakeGcsOn(binary, runDir, '127.0.0.1', timeoutMs);
}

/**
 * fake-gcs-server listening on `host` (e.g. the simulated nodes' gateway address), so that the
 * resumable-upload URLs it hands out are reachable wherever `host` is.
 */
export async function startFakeGcsOn(
  binary: string,
  runDir: string,
  host: string,
  timeoutMs = 30_000,
): Promise<FakeGcs> {
  const port = await freePort();
  const endpoint = `http://${host}:${port}`;
  const process = await startProcess({
    name: host === '127.0.0.1' ? 'fake-gcs-server' : `fake-gcs-server-${port}`,
    command: binary,
    args: [
      '-backend',
      'memory',
      '-scheme',
      'http',
      '-host',
      host,
      '-port',
      String(port),
      // Resumable uploads hand out Location URLs built from these: they must point back here.
      '-public-host',
      `${host}:${port}`,
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
