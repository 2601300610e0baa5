// Mnemonics as miekg/dns prints them (dig's too): types, classes, rcodes, opcodes.
const TYPES: ReadonlyArray<readonly [number, string]> = [
  [1, 'A'],
  [2, 'NS'],
  [5, 'CNAME'],
  [6, 'SOA'],
  [10, 'NULL'],
  [12, 'PTR'],
  [13, 'HINFO'],
  [15, 'MX'],
  [16, 'TXT'],
  [17, 'RP'],
  [18, 'AFSDB'],
  [24, 'SIG'],
  [25, 'KEY'],
  [28, 'AAAA'],
  [29, 'LOC'],
  [33, 'SRV'],
  [35, 'NAPTR'],
  [36, 'KX'],
  [37, 'CERT'],
  [39, 'DNAME'],
  [41, 'OPT'],
  [42, 'APL'],
  [43, 'DS'],
  [44, 'SSHFP'],
  [45, 'IPSECKEY'],
  [46, 'RRSIG'],
  [47, 'NSEC'],
  [48, 'DNSKEY'],
  [49, 'DHCID'],
  [50, 'NSEC3'],
  [51, 'NSEC3PARAM'],
  [52, 'TLSA'],
  [55, 'HIP'],
  [59, 'CDS'],
  [60, 'CDNSKEY'],
  [64, 'SVCB'],
  [65, 'HTTPS'],
  [99, 'SPF'],
  [249, 'TKEY'],
  [250, 'TSIG'],
  [251, 'IXFR'],
  [252, 'AXFR'],
  [255, 'ANY'],
  [257, 'CAA'],
  [32768, 'TA'],
  [32769, 'DLV'],
];
const TYPE_NAMES = new Map(TYPES);
const TYPE_NUMBERS = new Map(TYPES.map(([n, s]) => [s, n]));

const CLASS_NAMES = new Map([
  [1, 'IN'],
  [3, 'CH'],
  [4, 'HS'],
  [254, 'NONE'],
  [255, 'ANY'],
]);

const RCODE_NAMES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
  '',
  '',
  '',
  '',
  '',
  'BADSIG',
  'BADKEY',
  'BADTIME',
  'BADMODE',
  'BADNAME',
  'BADALG',
  'BADTRUNC',
  'BADCOOKIE',
];

const OPCODE_NAMES = ['QUERY', 'IQUERY', 'STATUS', '', 'NOTIFY', 'UPDATE'];

export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

/** dns-packet's type string ('A', 'UNKNOWN_65') to its number. */
export function typeNumber(name: string): number {
  if (name.startsWith('UNKNOWN_')) return Number(name.slice(8));
  return TYPE_NUMBERS.get(name) ?? 0;
}

export function className(klass: number): string {
  return CLASS_NAMES.get(klass) ?? `CLASS${klass}`;
}

/** dns-packet's class string ('IN', 'UNKNOWN_7') to its number. */
export function classNumber(name: string): number {
  if (name.startsWith('UNKNOWN_')) return Number(name.slice(8));
  for (const [n, s] of CLASS_NAMES) if (s === name) return n;
  return name === 'CS' ? 2 : 0;
}

export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] || `RCODE${rcode}`;
}

export function opcodeName(opcode: number): string {
  return OPCODE_NAMES[opcode] || `OPCODE${opcode}`;
}
