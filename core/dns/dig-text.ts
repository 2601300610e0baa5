// A DNS message as dig-style text, byte for byte the format of miekg/dns's Msg.String() (what gost's DNS
// handler records): header line, flags and counts, OPT pseudosection, then the sections.
import { className, opcodeName, rcodeName, typeName } from './dns-names.js';
import type { DnsMessage, DnsOpt, DnsRr } from './dns-message.js';

const FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [0x8000, 'qr'],
  [0x0400, 'aa'],
  [0x0200, 'tc'],
  [0x0100, 'rd'],
  [0x0080, 'ra'],
  [0x0040, 'z'],
  [0x0020, 'ad'],
  [0x0010, 'cd'],
];

export function rrText(rr: DnsRr): string {
  return `${rr.name}\t${rr.ttl}\t${className(rr.klass)}\t${typeName(rr.type)}\t${rr.data}`;
}

function optionText(code: number, data: Buffer): string {
  const hex = data.toString('hex');
  switch (code) {
    case 3: {
      const chars = [...data].map((c) => `(${String.fromCharCode(c)})`).join('');
      return `\n; NSID: ${hex}  ${chars}`;
    }
    case 8: {
      if (data.length < 4) return `\n; SUBNET: `;
      const family = data.readUInt16BE(0);
      const addr = Buffer.alloc(family === 2 ? 16 : 4);
      data.copy(addr, 0, 4);
      const ip = family === 2 ? ipv6Text(addr) : [...addr].join('.');
      return `\n; SUBNET: ${ip}/${data[2] ?? 0}/${data[3] ?? 0}`;
    }
    case 9:
      return `\n; EXPIRE: ${data.length >= 4 ? data.readUInt32BE(0) : ''}`;
    case 10:
      return `\n; COOKIE: ${hex}`;
    case 12:
      return `\n; PADDING: ${hex}`;
    default:
      return `\n; LOCAL OPT: ${code}:0x${hex}`;
  }
}

function ipv6Text(addr: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(addr.readUInt16BE(i).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function optText(opt: DnsOpt): string {
  let s = `\n;; OPT PSEUDOSECTION:\n; EDNS: version ${opt.version}; `;
  s += opt.flags & 0x8000 ? 'flags: do; ' : 'flags:; ';
  if (opt.flags & 0x7fff) s += `MBZ: 0x${(opt.flags & 0x7fff).toString(16).padStart(4, '0')}, `;
  s += `udp: ${opt.udpSize}`;
  for (const o of opt.options) s += optionText(o.code, o.data);
  return s;
}

export function digText(m: DnsMessage): string {
  let s = `;; opcode: ${opcodeName(m.opcode)}, status: ${rcodeName(m.rcode)}, id: ${m.id}\n;; flags:`;
  for (const [bit, name] of FLAG_NAMES) if (m.flags & bit) s += ` ${name}`;
  s += `; QUERY: ${m.questions.length}, ANSWER: ${m.answers.length}, AUTHORITY: ${m.authorities.length}, ADDITIONAL: ${m.additionalCount}\n`;
  if (m.opt) s += `${optText(m.opt)}\n`;
  if (m.questions.length > 0) {
    s += '\n;; QUESTION SECTION:\n';
    for (const q of m.questions) s += `;${q.name}\t${className(q.klass)}\t ${typeName(q.type)}\n`;
  }
  const section = (title: string, list: readonly DnsRr[]): void => {
    if (list.length === 0) return;
    s += `\n;; ${title} SECTION:\n`;
    for (const rr of list) s += `${rrText(rr)}\n`;
  };
  section('ANSWER', m.answers);
  section('AUTHORITY', m.authorities);
  section('ADDITIONAL', m.additionals);
  return s;
}
