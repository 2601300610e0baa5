// Output file names, built from validated parts only (Hubble's scheme plus a
// rotation index):
//
//   <prefix>_<unixtime>_<random>_<node>_<index>.<ext>
//   hubble_1700000000_3fa9c2d1_node-a_000000.pcap
//
// unixtime is when the file was opened (10 digits until 2286), random is per
// writer (8 hex digits), index counts the writer's files from 0 (6 digits,
// wider past 999999). Names of one writer therefore sort by opening time and
// then by index; no part can contain "_", so the name splits unambiguously.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { OutputError, OutputErrorCode } from './output-error.js';

export const DEFAULT_FILE_PREFIX = 'hubble';
export const FILE_PREFIX_PATTERN = /^[a-z][a-z0-9]{0,19}$/;
/** RFC 1123 DNS subdomain, as Kubernetes validates node names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_SUBDOMAIN_MAX = 253;
/** Longest node part kept verbatim; longer names are shortened so a file name stays under NAME_MAX (255). */
export const MAX_NODE_LABEL = 180;
const RANDOM_PATTERN = /^[0-9a-f]{8}$/;
const EXTENSION_PATTERN = /^[a-z][a-z0-9]{0,9}$/;

export function validateFilePrefix(prefix: string): string {
  const value = prefix === '' ? DEFAULT_FILE_PREFIX : prefix;
  if (!FILE_PREFIX_PATTERN.test(value)) {
    throw new OutputError(
      OutputErrorCode.InvalidName,
      `file prefix ${JSON.stringify(prefix.slice(0, 64))} must match ${FILE_PREFIX_PATTERN.source}`,
    );
  }
  return value;
}

export function validateNodeName(node: string): string {
  if (node.length > DNS_SUBDOMAIN_MAX || !DNS_SUBDOMAIN.test(node)) {
    throw new OutputError(
      OutputErrorCode.InvalidName,
      `node name ${JSON.stringify(node.slice(0, 64))} must be a DNS subdomain (RFC 1123, at most ${DNS_SUBDOMAIN_MAX} characters)`,
    );
  }
  return node;
}

/** The node part of a file name: the node name, or for very long names a prefix of it plus a hash. */
export function nodeLabel(node: string): string {
  if (node.length <= MAX_NODE_LABEL) return node;
  const digest = createHash('sha256').update(node).digest('hex').slice(0, 8);
  return `${node.slice(0, MAX_NODE_LABEL - 9)}-${digest}`;
}

export interface FileNameParts {
  readonly prefix: string;
  readonly openedAtMs: number;
  readonly random: string;
  readonly node: string;
  readonly index: number;
  readonly extension: string;
}

export function outputFileName(parts: FileNameParts): string {
  const prefix = validateFilePrefix(parts.prefix);
  const node = nodeLabel(validateNodeName(parts.node));
  if (!RANDOM_PATTERN.test(parts.random)) {
    throw new OutputError(OutputErrorCode.InvalidName, 'random part must be 8 lowercase hex digits');
  }
  if (!EXTENSION_PATTERN.test(parts.extension)) {
    throw new OutputError(OutputErrorCode.InvalidName, `invalid extension ${JSON.stringify(parts.extension)}`);
  }
  if (!Number.isSafeInteger(parts.index) || parts.index < 0) {
    throw new OutputError(OutputErrorCode.InvalidName, `invalid rotation index ${parts.index}`);
  }
  const seconds = Math.floor(parts.openedAtMs / 1000);
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw new OutputError(OutputErrorCode.InvalidName, `invalid opening time ${parts.openedAtMs}`);
  }
  const index = String(parts.index).padStart(6, '0');
  return `${prefix}_${seconds}_${parts.random}_${node}_${index}.${parts.extension}`;
}

/** Joins `name` to `directory` and proves the result stays inside it. */
export function resolveInside(directory: string, name: string): string {
  const root = path.resolve(directory);
  const full = path.resolve(root, name);
  const relative = path.relative(root, full);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative) || relative.includes(path.sep)) {
    throw new OutputError(
      OutputErrorCode.InvalidName,
      `file name ${JSON.stringify(name.slice(0, 64))} leaves the output directory`,
    );
  }
  return full;
}
