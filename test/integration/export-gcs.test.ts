// The GCS uploader against the test environment's fake-gcs-server: resumable chunks, md5 compared
// with the store's, resume from the saved offset after a crash, a session the store forgot.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportError } from '../../agent/export/export-error.js';
import { GCS_CHUNK_QUANTUM, uploadFileToGcs } from '../../agent/export/gcs-uploader.js';
import type { GcsCheckpoint, UploadCheckpoint } from '../../agent/export/upload-checkpoint.js';
import { gcsFacts } from '../env/kube.js';
import { makeRandomFile } from './export-files.js';
import type { MadeFile } from './export-files.js';

const BUCKET = 'export-gcs-test';

describe('uploadFileToGcs', () => {
  let dir: string;
  let storage: Storage;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapedeck-export-gcs-'));
    const facts = gcsFacts();
    storage = new Storage({ apiEndpoint: facts.endpoint, projectId: facts.projectId });
    await storage.createBucket(BUCKET).catch((error: { code?: number }) => {
      if (error.code !== 409) throw error;
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const makeFile = (name: string, bytes: number): Promise<MadeFile> => makeRandomFile(dir, name, bytes);

  async function storedSha256(key: string): Promise<string> {
    const [data] = await storage.bucket(BUCKET).file(key).download();
    return createHash('sha256').update(data).digest('hex');
  }

  it.each([
    ['an empty file', 0],
    ['a file smaller than a chunk', 5000],
    ['a file of several chunks with a short last chunk', 5 * GCS_CHUNK_QUANTUM + 99],
    ['a file of exactly two chunks', 2 * GCS_CHUNK_QUANTUM],
  ])('should store %s byte for byte', async (_name, bytes) => {
    const file = await makeFile(`g-${bytes}.pcap`, bytes);
    const key = `t/whole/${bytes}.pcap`;
    const result = await uploadFileToGcs(storage, {
      bucket: BUCKET,
      key,
      path: file.path,
      chunkSize: GCS_CHUNK_QUANTUM,
    });
    expect(result).toMatchObject({ key, bytes, sha256: file.sha256, resumedBytes: 0, sentBytes: bytes });
    expect(await storedSha256(key)).toBe(file.sha256);
  });

  it('should resume from the saved offset without sending acknowledged chunks again', async () => {
    const size = 6 * GCS_CHUNK_QUANTUM + 1234;
    const file = await makeFile('resume.pcap', size);
    const key = 't/resume/resume.pcap';
    const abort = new AbortController();
    let saved: GcsCheckpoint | undefined;
    const interrupted = uploadFileToGcs(storage, {
      bucket: BUCKET,
      key,
      path: file.path,
      chunkSize: GCS_CHUNK_QUANTUM,
      signal: abort.signal,
      saveCheckpoint: async (checkpoint: UploadCheckpoint) => {
        saved = checkpoint as GcsCheckpoint;
        if (saved.offset >= 2 * GCS_CHUNK_QUANTUM) abort.abort();
      },
    });
    await expect(interrupted).rejects.toBeInstanceOf(ExportError);
    expect(saved?.offset).toBe(2 * GCS_CHUNK_QUANTUM);

    const resumed = await uploadFileToGcs(storage, {
      bucket: BUCKET,
      key,
      path: file.path,
      chunkSize: GCS_CHUNK_QUANTUM,
      checkpoint: saved,
    });
    expect(resumed.resumedBytes).toBe(2 * GCS_CHUNK_QUANTUM);
    expect(resumed.sentBytes).toBe(size - 2 * GCS_CHUNK_QUANTUM);
    expect(resumed.sha256).toBe(file.sha256);
    expect(await storedSha256(key)).toBe(file.sha256);
  });

  it('should start a new session when the saved one is unknown to the store', async () => {
    const file = await makeFile('gone.pcap', 3 * GCS_CHUNK_QUANTUM);
    const key = 't/gone/gone.pcap';
    const { endpoint } = gcsFacts();
    const checkpoint: GcsCheckpoint = {
      kind: 'gcs',
      bucket: BUCKET,
      key,
      sessionUri: `${endpoint}/upload/storage/v1/b/${BUCKET}/o?uploadType=resumable&name=x&upload_id=0000`,
      offset: GCS_CHUNK_QUANTUM,
    };
    const result = await uploadFileToGcs(storage, {
      bucket: BUCKET,
      key,
      path: file.path,
      chunkSize: GCS_CHUNK_QUANTUM,
      checkpoint,
    });
    expect(result.resumedBytes).toBe(0);
    expect(await storedSha256(key)).toBe(file.sha256);
  });
});
