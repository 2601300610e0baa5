// Short-lived, prefix-scoped S3 credentials from MinIO's STS AssumeRole: the agent's uploader
// works inside the Recording's prefix (multipart and resume included) and is denied outside it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportErrorCode } from '../../agent/export/export-error.js';
import { MIN_PART_SIZE, uploadFileToS3 } from '../../agent/export/s3-uploader.js';
import {
  assumeRoleForPrefix,
  MAX_POLICY_BYTES,
  prefixPolicy,
  SessionPolicyError,
} from '../../operator/export/s3-session-credentials.js';
import type { SessionCredentials } from '../../operator/export/s3-session-credentials.js';
import { s3Facts } from '../env/kube.js';

const BUCKET = 'sts-test';
const PREFIX = 'prod/shop/checkout/1b4e28ba/';

describe('assumeRoleForPrefix', () => {
  let dir: string;
  let session: SessionCredentials;
  let scoped: S3Client;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapedeck-sts-'));
    const facts = s3Facts();
    const admin = new S3Client({
      endpoint: facts.endpoint,
      region: facts.region,
      forcePathStyle: true,
      credentials: facts,
    });
    await admin.send(new CreateBucketCommand({ Bucket: BUCKET })).catch((e: { name?: string }) => {
      if (e.name !== 'BucketAlreadyOwnedByYou') throw e;
    });
    admin.destroy();
    session = await assumeRoleForPrefix({
      endpoint: facts.endpoint,
      region: facts.region,
      credentials: facts,
      bucket: BUCKET,
      keyPrefix: PREFIX,
      roleArn: 'arn:aws:iam::000000000000:role/tapedeck-export',
      sessionName: 'tapedeck-shop-checkout-node-a',
    });
    scoped = new S3Client({
      endpoint: facts.endpoint,
      region: facts.region,
      forcePathStyle: true,
      credentials: session,
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    scoped?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('should hand out session credentials that expire within the hour', () => {
    expect(session.sessionToken.length).toBeGreaterThan(20);
    expect(session.accessKeyId).not.toBe(s3Facts().accessKeyId);
    const left = session.expiration.getTime() - Date.now();
    expect(left).toBeGreaterThan(10 * 60_000);
    expect(left).toBeLessThanOrEqual(16 * 60_000);
  });

  it('should let the uploader write a multipart object inside the prefix and resume it', async () => {
    const path = join(dir, 'inside.pcap');
    await writeFile(path, randomBytes(2 * MIN_PART_SIZE + 10));
    const abort = new AbortController();
    let checkpoint;
    await uploadFileToS3(scoped, {
      bucket: BUCKET,
      key: `${PREFIX}1/node-a/inside.pcap`,
      path,
      concurrency: 1,
      partSize: MIN_PART_SIZE,
      signal: abort.signal,
      saveCheckpoint: async (c) => {
        checkpoint = c;
        if (c.kind === 's3' && c.parts.length === 1) abort.abort();
      },
    }).catch(() => undefined);
    const result = await uploadFileToS3(scoped, {
      bucket: BUCKET,
      key: `${PREFIX}1/node-a/inside.pcap`,
      path,
      checkpoint,
    });
    expect(result.resumedParts).toBe(1);
  });

  it.each([
    ['another recording of the namespace', 'prod/shop/other/00000000/1/node-a/x.pcap'],
    ['the bucket root', 'x.pcap'],
  ])('should be denied writing into %s', async (_name, key) => {
    const path = join(dir, 'outside.pcap');
    await writeFile(path, 'x');
    const failure = await uploadFileToS3(scoped, { bucket: BUCKET, key, path }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: ExportErrorCode.Denied });
    await expect(scoped.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }))).rejects.toMatchObject({
      name: 'AccessDenied',
    });
  });

  it('should refuse prefixes a policy cannot scope, and stay within the policy size limit', () => {
    expect(() => prefixPolicy(BUCKET, 'prod/*')).toThrow(SessionPolicyError);
    expect(() => prefixPolicy(BUCKET, 'no-trailing-slash')).toThrow(/must end in "\/"/);
    const longest = `${'p'.repeat(200)}/${'n'.repeat(63)}/${'r'.repeat(253)}/12345678/`;
    expect(Buffer.byteLength(prefixPolicy('b'.repeat(63), longest))).toBeLessThanOrEqual(MAX_POLICY_BYTES);
  });
});
