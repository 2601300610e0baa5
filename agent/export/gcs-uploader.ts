// Uploads one closed file to GCS through a resumable upload session that any process can continue:
// @google-cloud/storage opens the session (auth, endpoint, metadata), then each chunk is PUT to the
// session URI with Content-Range and the offset the store acknowledged (its 308 Range header) is
// saved. A resume starts from that saved offset instead of asking the store, because
// fake-gcs-server answers the status query wrongly (its issues #1362, #2354). The store's md5 of
// the finished object is compared with ours; the sha256 is computed once, from the same reads.
import type { Storage } from '@google-cloud/storage';
import { ExportError, ExportErrorCode } from './export-error.js';
import { FileParts } from './file-parts.js';
import type { GcsCheckpoint, SaveCheckpoint, UploadResult } from './upload-checkpoint.js';

/** GCS wants every chunk but the last to be a multiple of 256 KiB. */
export const GCS_CHUNK_QUANTUM = 256 * 1024;
export const DEFAULT_GCS_CHUNK = 32 * GCS_CHUNK_QUANTUM; // 8 MiB

export interface GcsUploadRequest {
  readonly bucket: string;
  readonly key: string;
  readonly path: string;
  readonly contentType?: string;
  readonly chunkSize?: number;
  readonly checkpoint?: GcsCheckpoint;
  readonly saveCheckpoint?: SaveCheckpoint;
  readonly signal?: AbortSignal;
}

export async function uploadFileToGcs(storage: Storage, request: GcsUploadRequest): Promise<UploadResult> {
  try {
    return await upload(storage, request);
  } catch (error) {
    // A session the store forgot (expired after a week, or cancelled): start a new one, once.
    if (error instanceof SessionGone && request.checkpoint)
      return upload(storage, { ...request, checkpoint: undefined });
    throw error instanceof SessionGone ? error.cause : error;
  }
}

class SessionGone extends Error {}

async function upload(storage: Storage, request: GcsUploadRequest): Promise<UploadResult> {
  const chunk = Math.max(
    GCS_CHUNK_QUANTUM,
    Math.floor((request.chunkSize ?? DEFAULT_GCS_CHUNK) / GCS_CHUNK_QUANTUM) * GCS_CHUNK_QUANTUM,
  );
  const where = `gs://${request.bucket}/${request.key}`;
  const save = request.saveCheckpoint ?? (async () => {});
  const file = await FileParts.open(request.path, 'md5');
  try {
    let sessionUri = request.checkpoint?.sessionUri;
    let offset = request.checkpoint?.offset ?? 0;
    if (!sessionUri || offset > file.size) {
      sessionUri = await openSession(storage, request, where);
      offset = 0;
    }
    const checkpoint = (): GcsCheckpoint => ({
      kind: 'gcs',
      bucket: request.bucket,
      key: request.key,
      sessionUri: sessionUri!,
      offset,
    });
    await save(checkpoint());
    const resumedBytes = offset;
    await file.skip(offset);
    let sentBytes = 0;
    let stored: StoredObject | undefined;
    while (!stored) {
      const body = await file.next(chunk);
      const end = offset + body.length;
      const answer = await putChunk(
        sessionUri,
        offset,
        body,
        end === file.size ? file.size : undefined,
        request.signal,
        where,
      );
      sentBytes += body.length;
      if (answer.done) {
        stored = answer.object;
        offset = end;
      } else {
        if (answer.acknowledged !== end) {
          throw new ExportError(
            ExportErrorCode.Integrity,
            `${where}: the store acknowledged ${answer.acknowledged} of ${end} bytes`,
          );
        }
        offset = end;
        await save(checkpoint());
      }
    }
    const sha256 = file.digest();
    const md5 = file.extraDigest();
    if (Number(stored.size) !== file.size || (stored.md5Hash !== undefined && stored.md5Hash !== md5)) {
      throw new ExportError(
        ExportErrorCode.Integrity,
        `${where}: the store holds ${stored.size} bytes with md5 ${stored.md5Hash}, sent ${file.size} with md5 ${md5}`,
      );
    }
    return {
      key: request.key,
      bytes: file.size,
      sha256,
      resumedParts: resumedBytes > 0 ? 1 : 0,
      resumedBytes,
      sentBytes,
    };
  } finally {
    await file.close();
  }
}

async function openSession(storage: Storage, request: GcsUploadRequest, where: string): Promise<string> {
  try {
    const [uri] = await storage
      .bucket(request.bucket)
      .file(request.key)
      .createResumableUpload({ metadata: { contentType: request.contentType ?? 'application/octet-stream' } });
    return uri;
  } catch (error) {
    throw gcsError(`Opening a resumable upload of ${where}`, error);
  }
}

interface StoredObject {
  size: string;
  md5Hash?: string;
}

type ChunkAnswer = { done: true; object: StoredObject } | { done: false; acknowledged: number };

async function putChunk(
  uri: string,
  offset: number,
  body: Buffer,
  total: number | undefined,
  signal: AbortSignal | undefined,
  where: string,
): Promise<ChunkAnswer> {
  const range =
    body.length === 0 ? `bytes */${total ?? 0}` : `bytes ${offset}-${offset + body.length - 1}/${total ?? '*'}`;
  let response: Response;
  try {
    response = await fetch(uri, {
      method: 'PUT',
      headers: { 'Content-Range': range },
      body,
      signal,
      redirect: 'manual',
    });
  } catch (error) {
    throw gcsError(`PUT ${range} of ${where}`, error);
  }
  if (response.status === 200 || response.status === 201) {
    return { done: true, object: (await response.json()) as StoredObject };
  }
  if (response.status === 308) {
    await response.body?.cancel();
    const acknowledged = /bytes=0-(\d+)/.exec(response.headers.get('range') ?? '');
    return { done: false, acknowledged: acknowledged ? Number(acknowledged[1]) + 1 : 0 };
  }
  const text = await response.text().catch(() => '');
  if (response.status === 404 || response.status === 410) {
    throw new SessionGone('upload session gone', {
      cause: gcsError(`PUT ${range} of ${where}`, { code: response.status, message: text.slice(0, 200) }),
    });
  }
  throw gcsError(`PUT ${range} of ${where}`, { code: response.status, message: text.slice(0, 200) });
}

function gcsError(what: string, error: unknown): ExportError {
  const e = error as { code?: number | string; name?: string; message?: string };
  const status = typeof e?.code === 'number' ? e.code : undefined;
  const detail = `${what}: ${status ? `HTTP ${status}: ` : ''}${e?.message ?? String(error)}`;
  if (e?.name === 'AbortError') return new ExportError(ExportErrorCode.Aborted, detail, { cause: error });
  if (status === 401 || status === 403) return new ExportError(ExportErrorCode.Denied, detail, { cause: error });
  if (status === 404) return new ExportError(ExportErrorCode.NoBucket, detail, { cause: error });
  return new ExportError(ExportErrorCode.Unavailable, detail, { cause: error });
}
