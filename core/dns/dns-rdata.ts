// Resource data as text, the way miekg/dns (and dig) print it; types without a printer here come out in
// RFC 3597 form (\# length hex), re-encoded with dns-packet.
import dnsPacket from 'dns-packet';

// dns-packet exports record(type) (the rdata codec of a type); its typings leave it out.
const codecs = dnsPacket as unknown as { record(type: string): { encode(data: unknown): Buffer } };

export interface RawAnswer {
  name: string;
  type: string;
  class?: string;
  ttl?: number;
  data?: unknown;
}

interface Fields {
  [key: string]: unknown;
}

function fqdn(name: unknown): string {
  const s = String(name ?? '');
  return s === '.' || s === '' ? '.' : `${s}.`;
}

function quoted(b: unknown): string {
  const bytes = Buffer.isBuffer(b) ? b : Buffer.from(String(b));
  let out = '"';
  for (const c of bytes) {
    if (c === 0x22 || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
    else if (c < 0x20 || c > 0x7e) out += `\\${String(c).padStart(3, '0')}`;
    else out += String.fromCharCode(c);
  }
  return `${out}"`;
}

function aaaa(text: string): string {
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  if (!mapped) return text;
  const hi = parseInt(mapped[1] ?? '0', 16);
  const lo = parseInt(mapped[2] ?? '0', 16);
  return `::ffff:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

function generic(answer: RawAnswer): string {
  let bytes: Buffer;
  if (Buffer.isBuffer(answer.data)) bytes = answer.data;
  else {
    try {
      const enc = codecs.record(answer.type).encode(answer.data);
      bytes = enc.subarray(2); // drop the rdlength
    } catch {
      bytes = Buffer.alloc(0);
    }
  }
  return `\\# ${bytes.length} ${bytes.toString('hex')}`.trimEnd();
}

export function rdataText(answer: RawAnswer): string {
  const d = answer.data;
  const f = (d ?? {}) as Fields;
  switch (answer.type) {
    case 'A':
      return String(d);
    case 'AAAA':
      return aaaa(String(d));
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return fqdn(d);
    case 'MX':
      return `${String(f.preference)} ${fqdn(f.exchange)}`;
    case 'TXT':
    case 'SPF':
      return (Array.isArray(d) ? d : [d]).map(quoted).join(' ');
    case 'SOA':
      return [fqdn(f.mname), fqdn(f.rname), f.serial, f.refresh, f.retry, f.expire, f.minimum].join(' ');
    case 'SRV':
      return `${String(f.priority)} ${String(f.weight)} ${String(f.port)} ${fqdn(f.target)}`;
    case 'CAA':
      return `${String(f.flags)} ${String(f.tag)} ${quoted(f.value)}`;
    case 'HINFO':
      return `${quoted(f.cpu)} ${quoted(f.os)}`;
    default:
      return generic(answer);
  }
}
