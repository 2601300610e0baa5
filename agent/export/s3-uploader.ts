// Uploads one closed file to S3 (or an S3-compatible store) so that any process can finish what an
// earlier one began: explicit multipart calls (lib-storage cannot resume another process's upload),
// a checkpoint saved after every acknowledged part, ListParts on resume to learn what the store has.
// The store verifies every part: a CRC32 per part, which the SDK computes with Node's native
// zlib.crc32 (its CRC32C is JavaScript and halved the throughput in bench:export); a whole-object
// checksum is not usable above 5 MB with the SDK, and MinIO ignores FULL_OBJECT. The file's sha256
// is computed once, while reading it.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { ExportError, ExportErrorCode } from './export-error.js';
import { FileParts } from './file-parts.js';
import { isNoSuchUpload, s3Error } from './s3-errors.js';
import type { S3Checkpoint, SaveCheckpoint, UploadedPart, UploadResult } from './upload-checkpoint.js';

/** S3's minimum part size (all parts but the last). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** Parts in flight at once; memory is about partSize × concurrency. */
export const DEFAULT_CONCURRENCY = 4;

export interface S3UploadRequest {
  readonly bucket: string;
  readonly key: string;
  readonly path: string;
  readonly contentType?: string;
  readonly partSize?: number;
  readonly concurrency?: number;
  /** From an earlier attempt (the state store), to resume instead of starting over. */
  readonly checkpoint?: S3Checkpoint;
  readonly saveCheckpoint?: SaveCheckpoint;
  readonly signal?: AbortSignal;
}

export async function uploadFileToS3(client: S3Client, request: S3UploadRequest): Promise<UploadResult> {
  const partSize = Math.max(MIN_PART_SIZE, request.checkpoint?.partSize ?? request.partSize ?? DEFAULT_PART_SIZE);
  const file = await FileParts.open(request.path);
  try {
    if (file.size <= partSize && !request.checkpoint) return await putWhole(client, request, file);
    return await multipart(client, request, file, partSize);
  } finally {
    await file.close();
  }
}

async function putWhole(client: S3Client, request: S3UploadRequest, file: FileParts): Promise<UploadResult> {
  const body = await file.next(file.size);
  const what = `PutObject s3://${request.bucket}/${request.key}`;
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: request.bucket,
        Key: request.key,
        Body: body,
        ContentType: request.contentType,
        ChecksumAlgorithm: 'CRC32',
      }),
      { abortSignal: request.signal },
    );
  } catch (error) {
    throw s3Error(what, error);
  }
  return {
    key: request.key,
    bytes: file.size,
    sha256: file.digest(),
    resumedParts: 0,
    resumedBytes: 0,
    sentBytes: file.size,
  };
}

async function multipart(
  client: S3Client,
  request: S3UploadRequest,
  file: FileParts,
  partSize: number,
): Promise<UploadResult> {
  const where = `s3://${request.bucket}/${request.key}`;
  const count = file.partCount(partSize);
  const partBytes = (n: number): number => (n < count ? partSize : file.size - partSize * (count - 1));
  const save = request.saveCheckpoint ?? (async () => {});

  let uploadId = request.checkpoint?.uploadId;
  const done = new Map<number, UploadedPart>();
  if (uploadId) {
    const listed = await listParts(client, request, uploadId).catch((error: unknown) => {
      if (isNoSuchUpload(error)) return null; // aborted or expired: start over
      throw s3Error(`ListParts ${where}`, error);
    });
    if (listed === null) uploadId = undefined;
    for (const part of listed ?? []) if (part.bytes === partBytes(part.partNumber)) done.set(part.partNumber, part);
  }
  if (!uploadId) {
    uploadId = await createUpload(client, request);
    done.clear();
  }
  const checkpoint = (): S3Checkpoint => ({
    kind: 's3',
    bucket: request.bucket,
    key: request.key,
    uploadId: uploadId!,
    partSize,
    parts: [...done.values()],
  });
  await save(checkpoint());

  const resumedParts = done.size;
  let resumedBytes = 0;
  let sentBytes = 0;
  let saving = Promise.resolve();
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  for (let n = 1; n <= count && failure === undefined; n++) {
    if (done.has(n)) {
      await file.skip(partBytes(n));
      resumedBytes += partBytes(n);
      continue;
    }
    const body = await file.next(partBytes(n));
    const task = uploadPart(client, request, uploadId, n, body)
      .then((part) => {
        done.set(n, part);
        sentBytes += part.bytes;
        saving = saving.then(() => save(checkpoint()));
        return saving;
      })
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    if (inFlight.size >= (request.concurrency ?? DEFAULT_CONCURRENCY)) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await saving;
  if (failure !== undefined) throw s3Error(`UploadPart ${where}`, failure);

  const sha256 = file.digest();
  await complete(client, request, uploadId, [...done.values()]);
  await verifySize(client, request, file.size);
  return { key: request.key, bytes: file.size, sha256, resumedParts, resumedBytes, sentBytes };
}

async function createUpload(client: S3Client, request: S3UploadRequest): Promise<string> {
  try {
    const out = await client.send(
      new CreateMultipartUploadCommand({
        Bucket: request.bucket,
        Key: request.key,
        ContentType: request.contentType,
        ChecksumAlgorithm: 'CRC32',
      }),
      { abortSignal: request.signal },
    );
    if (!out.UploadId) throw new Error('no UploadId in the answer');
    return out.UploadId;
  } catch (error) {
    throw s3Error(`CreateMultipartUpload s3://${request.bucket}/${request.key}`, error);
  }
}

async function listParts(client: S3Client, request: S3UploadRequest, uploadId: string): Promise<UploadedPart[]> {
  const parts: UploadedPart[] = [];
  let marker: string | undefined;
  for (;;) {
    const out = await client.send(
      new ListPartsCommand({ Bucket: request.bucket, Key: request.key, UploadId: uploadId, PartNumberMarker: marker }),
      { abortSignal: request.signal },
    );
    for (const p of out.Parts ?? []) {
      if (p.PartNumber && p.ETag && p.ChecksumCRC32 !== undefined) {
        parts.push({ partNumber: p.PartNumber, etag: p.ETag, checksumCrc32: p.ChecksumCRC32, bytes: p.Size ?? 0 });
      }
    }
    if (!out.IsTruncated) return parts;
    marker = out.NextPartNumberMarker;
  }
}

const PART_ATTEMPTS = 3;

async function uploadPart(
  client: S3Client,
  request: S3UploadRequest,
  uploadId: string,
  partNumber: number,
  body: Buffer,
): Promise<UploadedPart> {
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await client.send(
        new UploadPartCommand({
          Bucket: request.bucket,
          Key: request.key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: body,
          ChecksumAlgorithm: 'CRC32',
        }),
        { abortSignal: request.signal },
      );
      if (!out.ETag || !out.ChecksumCRC32) {
        throw new ExportError(
          ExportErrorCode.Integrity,
          `UploadPart ${partNumber}: the store returned no ETag or CRC32`,
        );
      }
      return { partNumber, etag: out.ETag, checksumCrc32: out.ChecksumCRC32, bytes: body.length };
    } catch (error) {
      const mapped = s3Error(`UploadPart ${partNumber}`, error);
      if (!mapped.retryable || attempt >= PART_ATTEMPTS || request.signal?.aborted) throw mapped;
      await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
    }
  }
}

async function complete(
  client: S3Client,
  request: S3UploadRequest,
  uploadId: string,
  parts: UploadedPart[],
): Promise<void> {
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  try {
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: request.bucket,
        Key: request.key,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: sorted.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag, ChecksumCRC32: p.checksumCrc32 })),
        },
      }),
      { abortSignal: request.signal },
    );
  } catch (error) {
    throw s3Error(`CompleteMultipartUpload s3://${request.bucket}/${request.key}`, error);
  }
}

async function verifySize(client: S3Client, request: S3UploadRequest, size: number): Promise<void> {
  let length: number | undefined;
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: request.bucket, Key: request.key }), {
      abortSignal: request.signal,
    });
    length = head.ContentLength;
  } catch (error) {
    throw s3Error(`HeadObject s3://${request.bucket}/${request.key}`, error);
  }
  if (length !== size) {
    throw new ExportError(
      ExportErrorCode.Integrity,
      `s3://${request.bucket}/${request.key} holds ${length} bytes, sent ${size}`,
    );
  }
}

/** Gives up an upload for good (e.g. its file expired by TTL before it was exported). */
export async function abortS3Upload(client: S3Client, checkpoint: S3Checkpoint): Promise<void> {
  try {
    await client.send(
      new AbortMultipartUploadCommand({
        Bucket: checkpoint.bucket,
        Key: checkpoint.key,
        UploadId: checkpoint.uploadId,
      }),
    );
  } catch (error) {
    if (!isNoSuchUpload(error))
      throw s3Error(`AbortMultipartUpload s3://${checkpoint.bucket}/${checkpoint.key}`, error);
  }
}
