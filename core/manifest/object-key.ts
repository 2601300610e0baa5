// Where exported objects live. Readable, deterministic, and unique per run of a Recording:
//
//   <prefix>/<namespace>/<recording>/<uid8>/<iteration>/<node>/<file>
//   <prefix>/<namespace>/<recording>/<uid8>/<iteration>/<node>/manifest.json
//
// <uid8> is the first 8 hex digits of the Recording's uid, so a Recording deleted and created again
// under the same name writes beside the old run's objects, never over them. Every segment is
// validated (Kubernetes names, a decimal iteration, the agent's own file names), so no part can
// contain "/" or "..", and the CLI can split a key back into its parts.

export const MANIFEST_NAME = 'manifest.json';

export interface RunLocation {
  /** The destination's prefix, without leading or trailing "/" ("" = bucket root). */
  readonly prefix: string;
  readonly namespace: string;
  readonly recording: string;
  readonly uid: string;
  readonly iteration: number;
  readonly node: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const UID = /^[0-9a-f]{8}(-?[0-9a-f]{4}){3}-?[0-9a-f]{12}$/;
const FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
const PREFIX_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._=-]{0,127}$/;

export class ObjectKeyError extends Error {
  override name = 'ObjectKeyError';
}

function check(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value))
    throw new ObjectKeyError(`${what} ${JSON.stringify(value.slice(0, 80))} cannot be part of an object key`);
  return value;
}

/** Normalises and validates a destination prefix ("a/b/" → "a/b"). */
export function normalisePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  for (const segment of trimmed.split('/')) check(segment, PREFIX_SEGMENT, 'prefix segment');
  return trimmed;
}

export function uidSegment(uid: string): string {
  return check(uid.toLowerCase(), UID, 'uid').replace(/-/g, '').slice(0, 8);
}

/** The key prefix of one node's objects in one iteration, ending in "/". */
export function runKeyPrefix(run: RunLocation): string {
  if (!Number.isInteger(run.iteration) || run.iteration < 1)
    throw new ObjectKeyError(`iteration ${run.iteration} must be a positive integer`);
  const parts = [
    check(run.namespace, DNS_LABEL, 'namespace'),
    check(run.recording, DNS_SUBDOMAIN, 'recording name'),
    uidSegment(run.uid),
    String(run.iteration),
    check(run.node, DNS_SUBDOMAIN, 'node name'),
  ];
  const prefix = normalisePrefix(run.prefix);
  return `${prefix ? `${prefix}/` : ''}${parts.join('/')}/`;
}

export function objectKey(run: RunLocation, fileName: string): string {
  if (fileName === MANIFEST_NAME) throw new ObjectKeyError(`${MANIFEST_NAME} is reserved for the manifest`);
  return runKeyPrefix(run) + check(fileName, FILE, 'file name');
}

export function manifestKey(run: RunLocation): string {
  return runKeyPrefix(run) + MANIFEST_NAME;
}
