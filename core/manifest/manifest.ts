// The export manifest (schema: manifest.schema.json beside this file): what a node exported in one
// iteration, so any client can find, verify (sha256) and merge the files without the cluster.
// parseManifest is for reading one back from a bucket: a clear error naming the field, never a
// half-trusted object.

export const MANIFEST_SCHEMA_VERSION = 1;
export const MANIFEST_FORMATS = ['pcap', 'pcapng', 'json', 'dnstap', 'streams'] as const;
export type ManifestFormat = (typeof MANIFEST_FORMATS)[number];

export interface ManifestFile {
  readonly key: string;
  readonly format: ManifestFormat;
  readonly bytes: number;
  readonly packets: number;
  readonly firstPacketTime?: string;
  readonly lastPacketTime?: string;
  readonly interfaces: readonly string[];
  readonly linkType: number;
  readonly sha256: string;
}

export interface Manifest {
  readonly schemaVersion: typeof MANIFEST_SCHEMA_VERSION;
  readonly recording: { readonly namespace: string; readonly name: string; readonly uid: string };
  readonly iteration: number;
  readonly node: string;
  /** true once the node's run ended and every file it wrote is listed. */
  readonly complete: boolean;
  readonly updated: string;
  readonly files: readonly ManifestFile[];
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

type Json = Record<string, unknown>;

function field<T>(object: Json, name: string, path: string, ok: (v: unknown) => v is T, want: string): T {
  const value = object[name];
  if (!ok(value))
    throw new ManifestError(`${path}${name}: expected ${want}, got ${JSON.stringify(value)?.slice(0, 60)}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTime = (v: unknown): v is string => isString(v) && !Number.isNaN(Date.parse(v));
const isSha = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const isFormat = (v: unknown): v is ManifestFormat => MANIFEST_FORMATS.includes(v as ManifestFormat);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

function parseFile(value: unknown, path: string): ManifestFile {
  if (!isObject(value)) throw new ManifestError(`${path}: expected an object`);
  const optionalTime = (name: string): string | undefined =>
    value[name] === undefined ? undefined : field(value, name, `${path}.`, isTime, 'an RFC 3339 time');
  return {
    key: field(value, 'key', `${path}.`, isString, 'an object key'),
    format: field(value, 'format', `${path}.`, isFormat, MANIFEST_FORMATS.join(' | ')),
    bytes: field(value, 'bytes', `${path}.`, isCount, 'a byte count'),
    packets: field(value, 'packets', `${path}.`, isCount, 'a packet count'),
    firstPacketTime: optionalTime('firstPacketTime'),
    lastPacketTime: optionalTime('lastPacketTime'),
    interfaces: field(value, 'interfaces', `${path}.`, isStrings, 'a list of interface names'),
    linkType: field(value, 'linkType', `${path}.`, isCount, 'a link type number'),
    sha256: field(value, 'sha256', `${path}.`, isSha, '64 hex digits'),
  };
}

/** Parses and checks a manifest read back from a store; `source` names it in errors. */
export function parseManifest(text: string, source: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${source}: not JSON: ${(error as Error).message}`);
  }
  try {
    if (!isObject(raw)) throw new ManifestError('expected an object');
    if (raw['schemaVersion'] !== MANIFEST_SCHEMA_VERSION) {
      throw new ManifestError(
        `schemaVersion ${JSON.stringify(raw['schemaVersion'])} is not ${MANIFEST_SCHEMA_VERSION}; upgrade tapedeck`,
      );
    }
    const recording = field(raw, 'recording', '', isObject, 'an object');
    const files = field(raw, 'files', '', Array.isArray, 'a list');
    return {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      recording: {
        namespace: field(recording, 'namespace', 'recording.', isString, 'a namespace'),
        name: field(recording, 'name', 'recording.', isString, 'a name'),
        uid: field(recording, 'uid', 'recording.', isString, 'a uid'),
      },
      iteration: field(raw, 'iteration', '', (v): v is number => isCount(v) && v >= 1, 'an iteration ≥ 1'),
      node: field(raw, 'node', '', isString, 'a node name'),
      complete: field(raw, 'complete', '', isBool, 'true or false'),
      updated: field(raw, 'updated', '', isTime, 'an RFC 3339 time'),
      files: files.map((f, i) => parseFile(f, `files[${i}]`)),
    };
  } catch (error) {
    if (error instanceof ManifestError) throw new ManifestError(`${source}: ${error.message}`);
    throw error;
  }
}

export function serializeManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
