// The chart's default export destination (TAPEDECK_EXPORT_DEFAULTS: JSON in Recording.spec.export's
// shape, {} for none), read once at start; a malformed file stops the operator with its name.
import { readFile } from 'node:fs/promises';

export interface ExportDefaultsFile {
  s3?: {
    bucket: string;
    prefix?: string;
    region?: string;
    endpoint?: string;
    forcePathStyle?: boolean;
    credentialsSecret?: { name: string };
  };
  gcs?: { bucket: string; prefix?: string; endpoint?: string; credentialsSecret?: { name: string } };
}

export class ExportDefaultsError extends Error {
  readonly code = 'TD_ERR_EXPORT_DEFAULTS';
}

export function parseExportDefaults(text: string, source: string): ExportDefaultsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text === '' ? '{}' : text);
  } catch (error) {
    throw new ExportDefaultsError(`${source}: not JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ExportDefaultsError(`${source}: expected an object like spec.export`);
  }
  const value = raw as ExportDefaultsFile;
  for (const kind of ['s3', 'gcs'] as const) {
    const destination = value[kind];
    if (destination === undefined) continue;
    if (typeof destination.bucket !== 'string' || destination.bucket === '') {
      throw new ExportDefaultsError(`${source}: ${kind}.bucket must be a bucket name`);
    }
  }
  if (value.s3 && value.gcs) throw new ExportDefaultsError(`${source}: at most one of s3 and gcs`);
  return value;
}

export async function loadExportDefaults(file: string | undefined): Promise<ExportDefaultsFile> {
  if (file === undefined || file === '') return {};
  return parseExportDefaults(await readFile(file, 'utf8'), file);
}
