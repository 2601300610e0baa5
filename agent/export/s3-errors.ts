// Maps what the AWS SDK throws to ExportError codes.
import { ExportError, ExportErrorCode } from './export-error.js';

const DENIED = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'InvalidClientTokenId',
]);

interface SdkError {
  name?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function errorName(error: unknown): string {
  const e = error as SdkError;
  return e?.Code ?? e?.name ?? '';
}

export function isNoSuchUpload(error: unknown): boolean {
  return errorName(error) === 'NoSuchUpload';
}

/** An ExportError naming what failed (`what`: e.g. `UploadPart 3 of s3://b/k`). */
export function s3Error(what: string, error: unknown): ExportError {
  if (error instanceof ExportError) return error;
  const e = error as SdkError;
  const name = errorName(error);
  const status = e?.$metadata?.httpStatusCode;
  const detail = `${what}: ${name || 'error'}${status ? ` (HTTP ${status})` : ''}: ${e?.message ?? String(error)}`;
  if (DENIED.has(name) || status === 403) return new ExportError(ExportErrorCode.Denied, detail, { cause: error });
  if (name === 'NoSuchBucket') return new ExportError(ExportErrorCode.NoBucket, detail, { cause: error });
  if (name === 'AbortError') return new ExportError(ExportErrorCode.Aborted, detail, { cause: error });
  return new ExportError(ExportErrorCode.Unavailable, detail, { cause: error });
}
