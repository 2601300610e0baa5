// The CLI's read-only view of a bucket: list keys, read a small object, download a range to a file.
// Credentials come from the usual places (AWS environment and profiles; Google application default
// credentials), `--endpoint` points at S3-compatible stores and emulators.
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CliError } from '../cli-error.js';
import { formatStoreUrl } from './store-url.js';
import type { StoreUrl } from './store-url.js';

export interface StoredObject {
  readonly key: string;
  readonly size: number;
}

export interface ObjectStore {
  readonly url: StoreUrl;
  list(prefix: string): Promise<StoredObject[]>;
  readText(key: string): Promise<string>;
  /**
   * Appends the object's bytes from `offset` on to `path`, handing each chunk to `onChunk` once it is
   * written (a reader of the file may then read it).
   */
  downloadTo(key: string, path: string, offset: number, onChunk: (chunk: Buffer) => void): Promise<void>;
  close(): void;
}

export interface StoreOptions {
  readonly endpoint?: string;
  readonly region?: string;
}

/** Writes a body to the end of `path` chunk by chunk; a failed write is the output's fault, not the store's. */
async function appendBody(body: AsyncIterable<Buffer>, path: string, onChunk: (chunk: Buffer) => void): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'a');
  } catch (error) {
    throw new CliError('output', `Cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    for await (const chunk of body) {
      for (let at = 0; at < chunk.length;) {
        try {
          at += (await handle.write(chunk, at, chunk.length - at)).bytesWritten;
        } catch (error) {
          throw new CliError('output', `Writing ${path} failed: ${(error as Error).message}`, { cause: error });
        }
      }
      onChunk(chunk);
    }
  } finally {
    await handle.close();
  }
}

const NETWORK_ERRORS = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|TimeoutError/;

function remote(url: StoreUrl, what: string, error: unknown, endpoint?: string): CliError {
  const e = error as {
    name?: string;
    code?: number | string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e.$metadata?.httpStatusCode ?? (typeof e.code === 'number' ? e.code : undefined);
  const name = e.name && e.name !== 'Error' ? e.name : undefined;
  const detail = [name, status ? `HTTP ${status}` : undefined].filter(Boolean).join(', ');
  if (name === 'NoSuchKey' || status === 404) {
    return new CliError('notFound', `${formatStoreUrl(url, what)} does not exist${detail ? ` (${detail})` : ''}`, {
      cause: error,
    });
  }
  const unreachable = NETWORK_ERRORS.test(`${String(e.code)} ${name} ${e.message}`);
  const hint = unreachable
    ? `; cannot reach ${endpoint ?? 'the store'}${endpoint ? ' (pass --endpoint if it is not reachable from here)' : ''}`
    : status === 403 || /credential|AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch/i.test(`${name} ${e.message}`)
      ? url.scheme === 's3'
        ? '; check AWS_PROFILE / AWS_ACCESS_KEY_ID and --endpoint'
        : '; check GOOGLE_APPLICATION_CREDENTIALS'
      : '';
  return new CliError(
    'remote',
    `Reading ${formatStoreUrl(url, what)} failed: ${detail || (e.message ?? String(error))}${hint}`,
    {
      cause: error,
    },
  );
}

/** Loads only the SDK the URL needs (each costs a noticeable part of a second and tens of MiB to load). */
export async function openObjectStore(url: StoreUrl, options: StoreOptions = {}): Promise<ObjectStore> {
  return url.scheme === 's3' ? s3Store(url, options) : gcsStore(url, options);
}

async function s3Store(url: StoreUrl, options: StoreOptions): Promise<ObjectStore> {
  const { GetObjectCommand, ListObjectsV2Command, S3Client } = await import('@aws-sdk/client-s3');
  const client = new S3Client({
    endpoint: options.endpoint,
    forcePathStyle: options.endpoint !== undefined,
    region: options.region ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
    maxAttempts: 3,
  });
  return {
    url,
    async list(prefix) {
      const out: StoredObject[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await client.send(
            new ListObjectsV2Command({ Bucket: url.bucket, Prefix: prefix, ContinuationToken: token }),
          );
          for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0 });
          token = page.NextContinuationToken;
        } while (token);
      } catch (error) {
        throw remote(url, prefix, error, options.endpoint);
      }
      return out;
    },
    async readText(key) {
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: url.bucket, Key: key }));
        return await object.Body!.transformToString();
      } catch (error) {
        throw remote(url, key, error, options.endpoint);
      }
    },
    async downloadTo(key, path, offset, onChunk) {
      try {
        const object = await client.send(
          new GetObjectCommand({ Bucket: url.bucket, Key: key, Range: offset > 0 ? `bytes=${offset}-` : undefined }),
        );
        await appendBody(object.Body as Readable, path, onChunk);
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw remote(url, key, error, options.endpoint);
      }
    },
    close: () => client.destroy(),
  };
}

async function gcsStore(url: StoreUrl, options: StoreOptions): Promise<ObjectStore> {
  const { Storage } = await import('@google-cloud/storage');
  const storage = new Storage(options.endpoint ? { apiEndpoint: options.endpoint } : {});
  const bucket = storage.bucket(url.bucket);
  return {
    url,
    async list(prefix) {
      try {
        const [files] = await bucket.getFiles({ prefix, autoPaginate: true });
        return files.map((f) => ({ key: f.name, size: Number(f.metadata.size ?? 0) }));
      } catch (error) {
        throw remote(url, prefix, error, options.endpoint);
      }
    },
    async readText(key) {
      try {
        const [data] = await bucket.file(key).download();
        return data.toString('utf8');
      } catch (error) {
        throw remote(url, key, error, options.endpoint);
      }
    },
    async downloadTo(key, path, offset, onChunk) {
      try {
        // validation off: a ranged read cannot be checked whole here; the manifest's sha256 is.
        await appendBody(bucket.file(key).createReadStream({ start: offset, validation: false }), path, onChunk);
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw remote(url, key, error, options.endpoint);
      }
    },
    close: () => {},
  };
}
