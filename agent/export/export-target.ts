// One export destination (a bucket and prefix in S3 or GCS) behind a small port, so the export
// queue does not care which store it writes to.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Storage } from '@google-cloud/storage';
import { createHash } from 'node:crypto';
import { ExportError, ExportErrorCode } from './export-error.js';
import { uploadFileToGcs } from './gcs-uploader.js';
import { s3Error } from './s3-errors.js';
import { uploadFileToS3 } from './s3-uploader.js';
import type {
  GcsCheckpoint,
  S3Checkpoint,
  SaveCheckpoint,
  UploadCheckpoint,
  UploadResult,
} from './upload-checkpoint.js';

export interface UploadJob {
  readonly path: string;
  readonly key: string;
  readonly checkpoint?: UploadCheckpoint;
  readonly saveCheckpoint: SaveCheckpoint;
  readonly signal?: AbortSignal;
}

export interface ExportTarget {
  /** e.g. "s3://bucket" — for messages and artifact URLs. */
  readonly url: string;
  readonly prefix: string;
  upload(job: UploadJob): Promise<UploadResult>;
  /** Writes a small object whole (the manifest); overwriting it is the point. */
  putSmall(key: string, body: string, contentType: string): Promise<void>;
}

export function s3Target(client: S3Client, bucket: string, prefix: string): ExportTarget {
  return {
    url: `s3://${bucket}`,
    prefix,
    upload: (job) =>
      uploadFileToS3(client, {
        bucket,
        key: job.key,
        path: job.path,
        checkpoint: job.checkpoint?.kind === 's3' ? (job.checkpoint as S3Checkpoint) : undefined,
        saveCheckpoint: job.saveCheckpoint,
        signal: job.signal,
      }),
    async putSmall(key, body, contentType) {
      const data = Buffer.from(body);
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: data,
            ContentType: contentType,
            ContentMD5: createHash('md5').update(data).digest('base64'),
          }),
        );
      } catch (error) {
        throw s3Error(`PutObject s3://${bucket}/${key}`, error);
      }
    },
  };
}

export function gcsTarget(storage: Storage, bucket: string, prefix: string): ExportTarget {
  return {
    url: `gs://${bucket}`,
    prefix,
    upload: (job) =>
      uploadFileToGcs(storage, {
        bucket,
        key: job.key,
        path: job.path,
        checkpoint: job.checkpoint?.kind === 'gcs' ? (job.checkpoint as GcsCheckpoint) : undefined,
        saveCheckpoint: job.saveCheckpoint,
        signal: job.signal,
      }),
    async putSmall(key, body, contentType) {
      try {
        // validation: 'md5' makes the client compare the store's md5 with the bytes sent.
        await storage.bucket(bucket).file(key).save(body, { contentType, resumable: false, validation: 'md5' });
      } catch (error) {
        const e = error as { code?: number; message?: string };
        const code = e.code === 401 || e.code === 403 ? ExportErrorCode.Denied : ExportErrorCode.Unavailable;
        throw new ExportError(code, `Writing gs://${bucket}/${key}: ${e.message ?? String(error)}`, { cause: error });
      }
    },
  };
}
