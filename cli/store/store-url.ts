// s3://bucket/prefix and gs://bucket/prefix, as the aws and gcloud CLIs spell them.
import { CliError } from '../cli-error.js';

export interface StoreUrl {
  readonly scheme: 's3' | 'gs';
  readonly bucket: string;
  /** Without leading or trailing "/" ("" = the bucket root). */
  readonly prefix: string;
}

const URL_PATTERN = /^(s3|gs):\/\/([a-z0-9][a-z0-9._-]{1,221}[a-z0-9])(?:\/(.*))?$/;

export function parseStoreUrl(text: string): StoreUrl {
  const match = URL_PATTERN.exec(text);
  if (!match) {
    throw new CliError(
      'usage',
      `${JSON.stringify(text)} is not a bucket URL: use s3://BUCKET[/PREFIX] or gs://BUCKET[/PREFIX]`,
    );
  }
  return { scheme: match[1] as 's3' | 'gs', bucket: match[2]!, prefix: (match[3] ?? '').replace(/^\/+|\/+$/g, '') };
}

export function formatStoreUrl(url: StoreUrl, key = ''): string {
  return `${url.scheme}://${url.bucket}/${key}`;
}
