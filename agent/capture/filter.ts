// Builds the pcap-filter expression of a recording from Hubble-style include
// entries (a packet matching ANY entry is kept) ANDed with an optional user
// expression. Every field is validated first, then the result is compiled once
// with libpcap so that an accepted filter is known to load into the kernel.
import { FilterError } from './capture-error.js';
import { parseCidr } from './cidr.js';
import type { Cidr } from './cidr.js';
import { compileFilter, LinkType, MAX_BPF_INSTRUCTIONS, MAX_FILTER_EXPRESSION_LENGTH } from './compile-filter.js';
import { endpointExpression } from './endpoint-filter.js';

export const Protocol = { Any: 'ANY', Tcp: 'TCP', Udp: 'UDP', Sctp: 'SCTP', Icmp: 'ICMP' } as const;
export type Protocol = (typeof Protocol)[keyof typeof Protocol];

export interface IncludeEntry {
  readonly sourceCIDR: string;
  /** 0 or absent = any port. */
  readonly sourcePort?: number;
  readonly destinationCIDR: string;
  readonly destinationPort?: number;
  /** Absent or "" = ANY. Typed as string because it arrives from the network. */
  readonly protocol?: string;
}

export interface FilterSpec {
  readonly include?: readonly IncludeEntry[];
  /** Optional pcap-filter expression, ANDed with the include entries. */
  readonly bpf?: string;
  /** Optional: only packets to or from one of these addresses, ANDed with the rest. */
  readonly endpointIps?: readonly string[];
}

export interface CompileTarget {
  readonly linkType: number;
  readonly snaplen: number;
}

export const FILTER_LIMITS = {
  maxIncludeEntries: 256,
  maxBpfLength: 4096,
  maxCidrLength: 64,
} as const;

const PROTOCOLS: ReadonlySet<string> = new Set(Object.values(Protocol));
// Control characters other than tab, newline and carriage return.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

function cidr(field: string, value: unknown): Cidr {
  if (typeof value !== 'string' || value === '')
    throw new FilterError(field, 'is required (use 0.0.0.0/0 or ::/0 for any)');
  const parsed = value.length <= FILTER_LIMITS.maxCidrLength ? parseCidr(value) : undefined;
  if (parsed === undefined) throw new FilterError(field, `${JSON.stringify(value.slice(0, 80))} is not a valid CIDR`);
  return parsed;
}

function port(field: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new FilterError(field, `${String(value)} is not a port (0-65535, 0 = any)`);
  }
  return value;
}

function protocol(field: string, value: unknown): Protocol {
  if (value === undefined || value === '') return Protocol.Any;
  if (typeof value !== 'string' || !PROTOCOLS.has(value)) {
    throw new FilterError(field, `unknown protocol ${JSON.stringify(value)} (one of ${[...PROTOCOLS].join(', ')})`);
  }
  return value as Protocol;
}

function address(direction: 'src' | 'dst', c: Cidr): string | undefined {
  return c.prefix === 0 ? undefined : `${direction} net ${c.network}/${c.prefix}`;
}

/** ANY adds no term: pcap's bare "port" already means a TCP, UDP or SCTP port. */
function protocolTerm(p: Protocol, family: 4 | 6): string | undefined {
  switch (p) {
    case Protocol.Tcp:
      return 'tcp';
    case Protocol.Udp:
      return 'udp';
    case Protocol.Sctp:
      return 'sctp';
    case Protocol.Icmp:
      return family === 4 ? 'icmp' : 'icmp6';
    case Protocol.Any:
      return undefined;
  }
}

/** Validates one include entry and returns its expression, parenthesised. */
export function includeExpression(entry: IncludeEntry, index: number): string {
  const at = `include[${index}]`;
  if (typeof entry !== 'object' || entry === null) throw new FilterError(at, 'must be an object');
  const src = cidr(`${at}.sourceCIDR`, entry.sourceCIDR);
  const dst = cidr(`${at}.destinationCIDR`, entry.destinationCIDR);
  const sport = port(`${at}.sourcePort`, entry.sourcePort);
  const dport = port(`${at}.destinationPort`, entry.destinationPort);
  const proto = protocol(`${at}.protocol`, entry.protocol);
  if (src.family !== dst.family) {
    throw new FilterError(`${at}.destinationCIDR`, 'must be of the same IP family as sourceCIDR');
  }
  if (proto === Protocol.Icmp && (sport !== 0 || dport !== 0)) {
    throw new FilterError(`${at}.protocol`, 'ICMP has no ports: sourcePort and destinationPort must be 0');
  }
  const terms = [
    src.family === 4 ? 'ip' : 'ip6',
    address('src', src),
    address('dst', dst),
    protocolTerm(proto, src.family),
    sport !== 0 ? `src port ${sport}` : undefined,
    dport !== 0 ? `dst port ${dport}` : undefined,
  ].filter((t): t is string => t !== undefined);
  return `(${terms.join(' and ')})`;
}

function userExpression(bpf: unknown): string {
  if (bpf === undefined || bpf === '') return '';
  if (typeof bpf !== 'string') throw new FilterError('bpf', 'must be a string');
  if (bpf.length > FILTER_LIMITS.maxBpfLength) {
    throw new FilterError('bpf', `is longer than ${FILTER_LIMITS.maxBpfLength} characters`);
  }
  if (bpf.trimStart().startsWith('-')) throw new FilterError('bpf', 'must not start with "-"');
  if (CONTROL.test(bpf)) throw new FilterError('bpf', 'must not contain control characters');
  return bpf.trim();
}

/**
 * Returns the pcap-filter expression for `spec` ("" = capture everything),
 * after validating every field and compiling the result for `target`.
 * Throws FilterError naming the offending field.
 */
export function buildFilter(
  spec: FilterSpec,
  target: CompileTarget = { linkType: LinkType.Ethernet, snaplen: 262_144 },
): string {
  const include = spec.include ?? [];
  if (!Array.isArray(include)) throw new FilterError('include', 'must be a list');
  if (include.length > FILTER_LIMITS.maxIncludeEntries) {
    throw new FilterError('include', `has more than ${FILTER_LIMITS.maxIncludeEntries} entries`);
  }
  const entries = include.map((entry, i) => includeExpression(entry, i));
  const bpf = userExpression(spec.bpf);
  if (bpf !== '') compileFilter(bpf, target.linkType, target.snaplen, 'bpf');
  const endpoints = endpointExpression(spec.endpointIps ?? []);
  const parts = [entries.length > 0 ? `(${entries.join(' or ')})` : '', endpoints, bpf !== '' ? `(${bpf})` : ''];
  const expression = parts.filter((p) => p !== '').join(' and ');
  const field = endpoints === '' ? 'include' : 'endpointIps';
  if (expression.length > MAX_FILTER_EXPRESSION_LENGTH) {
    throw new FilterError(field, `the resulting expression is longer than ${MAX_FILTER_EXPRESSION_LENGTH} characters`);
  }
  const instructions = compileFilter(expression, target.linkType, target.snaplen, 'filter');
  if (instructions > MAX_BPF_INSTRUCTIONS) {
    throw new FilterError(
      field,
      `the filter compiles to ${instructions} BPF instructions, more than the kernel's ${MAX_BPF_INSTRUCTIONS}`,
    );
  }
  return expression;
}
