import { describe, expect, it } from 'vitest';
import { exportCredentials, exportDestination, retention, storageFullPolicy } from './export-request.js';

const s3 = (patch: Record<string, unknown> = {}) =>
  ({
    destination: 's3',
    s3: {
      bucket: 'traffic',
      prefix: 'prod/a',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      ...patch,
    },
  }) as never;

describe('export request fields', () => {
  it('should take a valid destination and record where its credentials come from', () => {
    expect(exportDestination(s3(), true)).toEqual({
      kind: 's3',
      bucket: 'traffic',
      prefix: 'prod/a',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      credentials: 'request',
    });
    expect(exportDestination(s3(), false)?.credentials).toBe('ambient');
    expect(exportDestination(null, false)).toBeUndefined();
  });

  it.each([
    [{ bucket: 'A_b' }, /spec.export.s3.bucket: "A_b" is not an S3 bucket name/],
    [{ prefix: '/abs' }, /spec.export.s3.prefix/],
    [{ prefix: 'a/../b' }, /'..' segment/],
    [{ endpoint: 'ftp://x' }, /spec.export.s3.endpoint: must be an absolute http or https URL/],
    [{ endpoint: 'http://user:pw@x' }, /must not carry credentials/],
  ])('should refuse %j', (patch, message) => {
    expect(() => exportDestination(s3(patch), true)).toThrow(message);
  });

  it('should refuse credentials of the wrong kind or without a destination, never echoing them', () => {
    const destination = exportDestination(s3(), true);
    const gcs = { credentials: 'gcs', gcs: { accessToken: 'ya29.secret' } } as never;
    expect(() => exportCredentials('exportCredentials', gcs, destination)).toThrow(
      /GCS credentials for an S3 destination/,
    );
    expect(() => exportCredentials('exportCredentials', gcs, undefined)).toThrow(/credentials without spec.export/);
    const bad = {
      credentials: 's3',
      s3: { accessKeyId: 'AKIA', secretAccessKey: 'has space secret', sessionToken: '' },
    } as never;
    expect(() => exportCredentials('exportCredentials', bad, destination)).toThrow(
      'exportCredentials.s3.secretAccessKey: is empty or malformed',
    );
    try {
      exportCredentials('exportCredentials', bad, destination);
    } catch (error) {
      expect((error as Error).message).not.toContain('has space secret');
    }
  });

  it('should validate retention and the storage-full policy', () => {
    expect(
      retention({
        pcapTtl: { seconds: 5, nanos: 0 },
        jsonTtl: null,
        expireAfter: { seconds: 3600, nanos: 0 },
      } as never),
    ).toEqual({
      pcapTtlMs: 5000,
      jsonTtlMs: 0,
      expireAfterMs: 3_600_000,
    });
    expect(() => retention({ pcapTtl: { seconds: 0, nanos: 5 } } as never)).toThrow(/spec.retention.pcapTtl/);
    expect(storageFullPolicy('STORAGE_FULL_POLICY_STOP')).toBe('Stop');
    expect(storageFullPolicy(undefined)).toBe('Continue');
    expect(() => storageFullPolicy('MAYBE')).toThrow(/spec.onStorageFull: unknown policy "MAYBE"/);
  });
});
