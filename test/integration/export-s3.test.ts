// The S3 uploader against the real MinIO of the test environment: multipart with per-part CRC32,
// resume after a crash from the saved checkpoint (parts not sent again), wrong credentials.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportError, ExportErrorCode } from '../../agent/export/export-error.js';
import { MIN_PART_SIZE, uploadFileToS3 } from '../../agent/export/s3-uploader.js';
import type { S3Checkpoint, UploadCheckpoint } from '../../agent/export/upload-checkpoint.js';
import { s3Facts } from '../env/kube.js';
import { makeRandomFile } from './export-files.js';
import type { MadeFile } from './export-files.js';

const BUCKET = 'export-s3-test';

function client(secret?: string): S3Client {
  const facts = s3Facts();
  return new S3Client({
    endpoint: facts.endpoint,
    region: facts.region,
    forcePathStyle: true,
    credentials: { accessKeyId: facts.accessKeyId, secretAccessKey: secret ?? facts.secretAccessKey },
  });
}

async function objectSha256(s3: S3Client, key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return createHash('sha256')
    .update(await out.Body!.transformToByteArray())
    .digest('hex');
}

describe('uploadFileToS3', () => {
  let dir: string;
  let s3: S3Client;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapedeck-export-'));
    s3 = client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch((error: { name?: string }) => {
      if (error.name !== 'BucketAlreadyOwnedByYou') throw error;
    });
  });
  afterAll(async () => {
    s3?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  const makeFile = (name: string, bytes: number): Promise<MadeFile> => makeRandomFile(dir, name, bytes);

  it.each([
    ['an empty file', 0],
    ['a small file in one request', 1000],
    ['a file of several parts with a short last part', 3 * MIN_PART_SIZE + 12345],
  ])('should store %s byte for byte and report its sha256', async (_name, bytes) => {
    const file = await makeFile(`f-${bytes}.pcap`, bytes);
    const key = `t/whole/${bytes}.pcap`;
    const result = await uploadFileToS3(s3, { bucket: BUCKET, key, path: file.path, partSize: MIN_PART_SIZE });
    expect(result).toMatchObject({ key, bytes, sha256: file.sha256, resumedParts: 0, sentBytes: bytes });
    expect(await objectSha256(s3, key)).toBe(file.sha256);
  });

  it('should resume an interrupted multipart upload without sending acknowledged parts again', async () => {
    const size = 4 * MIN_PART_SIZE + 777;
    const file = await makeFile('resume.pcap', size);
    const key = 't/resume/resume.pcap';
    const abort = new AbortController();
    let saved: S3Checkpoint | undefined;
    const interrupted = uploadFileToS3(s3, {
      bucket: BUCKET,
      key,
      path: file.path,
      partSize: MIN_PART_SIZE,
      concurrency: 1,
      signal: abort.signal,
      saveCheckpoint: async (checkpoint: UploadCheckpoint) => {
        saved = checkpoint as S3Checkpoint;
        // The "process" dies once two parts are acknowledged.
        if (saved.parts.length >= 2) abort.abort();
      },
    });
    await expect(interrupted).rejects.toBeInstanceOf(ExportError);
    expect(saved?.parts.length).toBeGreaterThanOrEqual(2);

    const resumed = await uploadFileToS3(s3, { bucket: BUCKET, key, path: file.path, checkpoint: saved });
    expect(resumed.resumedParts).toBe(saved!.parts.length);
    expect(resumed.sentBytes).toBe(size - resumed.resumedBytes);
    expect(resumed.sha256).toBe(file.sha256);
    expect(await objectSha256(s3, key)).toBe(file.sha256);
    const pending = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: key }));
    expect(pending.Uploads ?? []).toEqual([]);
  });

  it('should start over when the checkpoint names an upload the store no longer has', async () => {
    const file = await makeFile('gone.pcap', 2 * MIN_PART_SIZE + 1);
    const key = 't/gone/gone.pcap';
    const checkpoint: S3Checkpoint = {
      kind: 's3',
      bucket: BUCKET,
      key,
      uploadId: 'no-such-upload',
      partSize: MIN_PART_SIZE,
      parts: [],
    };
    const result = await uploadFileToS3(s3, { bucket: BUCKET, key, path: file.path, checkpoint });
    expect(result.resumedParts).toBe(0);
    expect(await objectSha256(s3, key)).toBe(file.sha256);
  });

  it('should fail with a Denied error naming the call when the credentials are wrong', async () => {
    const file = await makeFile('denied.pcap', 100);
    const bad = client('not-the-secret');
    try {
      const failure = await uploadFileToS3(bad, { bucket: BUCKET, key: 't/denied.pcap', path: file.path }).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(ExportError);
      expect((failure as ExportError).code).toBe(ExportErrorCode.Denied);
      expect((failure as ExportError).message).toMatch(
        /^PutObject s3:\/\/export-s3-test\/t\/denied\.pcap: SignatureDoesNotMatch/,
      );
      expect((failure as ExportError).retryable).toBe(false);
    } finally {
      bad.destroy();
    }
  });
});
