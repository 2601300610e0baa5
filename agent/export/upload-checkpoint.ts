// What an upload in progress leaves behind so that another process can finish it after a crash.
// The agent's state store persists these (never credentials); the uploaders only read and report them.

/** One part the object store acknowledged. */
export interface UploadedPart {
  readonly partNumber: number;
  readonly etag: string;
  /** base64 CRC32 the store verified for this part. */
  readonly checksumCrc32: string;
  readonly bytes: number;
}

/** An S3 multipart upload under way. */
export interface S3Checkpoint {
  readonly kind: 's3';
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly partSize: number;
  /** Parts acknowledged so far, in any order. */
  readonly parts: readonly UploadedPart[];
}

/** A GCS resumable upload session under way. */
export interface GcsCheckpoint {
  readonly kind: 'gcs';
  readonly bucket: string;
  readonly key: string;
  /** The resumable session URI; it authorises the upload by itself (no token needed to continue). */
  readonly sessionUri: string;
  /** Bytes the store acknowledged (a 308 for every chunk up to here). */
  readonly offset: number;
}

export type UploadCheckpoint = S3Checkpoint | GcsCheckpoint;

/** What the uploader reports when an object is complete. */
export interface UploadResult {
  readonly key: string;
  readonly bytes: number;
  /** hex sha256 of the whole file, computed once while uploading. */
  readonly sha256: string;
  /** Parts (S3) or bytes (GCS) taken from an earlier attempt instead of being sent again. */
  readonly resumedParts: number;
  readonly resumedBytes: number;
  readonly sentBytes: number;
}

/** Called after every acknowledged part or chunk: persist it before sending more. */
export type SaveCheckpoint = (checkpoint: UploadCheckpoint) => Promise<void>;
