// A DNS message decoded by dns-packet (compression, EDNS), normalised to what the records need: numeric
// header fields (the rcode extended by EDNS), questions, resource records with dig-style data text.
// dns-packet throws on truncated or looping messages; decodeDnsMessage turns that into a malformed result.
import dnsPacket from 'dns-packet';
import { classNumber, typeNumber } from './dns-names.js';
import { rdataText, type RawAnswer } from './dns-rdata.js';

export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  readonly klass: number;
}

export interface DnsRr {
  readonly name: string;
  readonly type: number;
  readonly klass: number;
  readonly ttl: number;
  readonly data: string;
}

export interface EdnsOption {
  readonly code: number;
  readonly data: Buffer;
}

export interface DnsOpt {
  readonly udpSize: number;
  readonly version: number;
  readonly flags: number;
  readonly options: readonly EdnsOption[];
}

export interface DnsMessage {
  readonly id: number;
  readonly response: boolean;
  /** The 16-bit flags word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode). */
  readonly flags: number;
  readonly opcode: number;
  /** With the EDNS extended bits. */
  readonly rcode: number;
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRr[];
  readonly authorities: readonly DnsRr[];
  /** Without the OPT record. */
  readonly additionals: readonly DnsRr[];
  readonly opt: DnsOpt | undefined;
  /** Additional-section count including the OPT record, as the header has it. */
  readonly additionalCount: number;
}

export type DecodeResult = { ok: true; message: DnsMessage } | { ok: false; id: number; error: string };

interface RawOpt {
  type: 'OPT';
  udpPayloadSize: number;
  extendedRcode: number;
  ednsVersion: number;
  flags: number;
  options: { code: number; data: Buffer }[];
}

interface RawPacket {
  questions?: { name: string; type: string; class: string }[];
  answers?: (RawAnswer | RawOpt)[];
  authorities?: (RawAnswer | RawOpt)[];
  additionals?: (RawAnswer | RawOpt)[];
}

function fqdn(name: string): string {
  return name === '.' || name === '' ? '.' : `${name}.`;
}

function rr(answer: RawAnswer): DnsRr {
  return {
    name: fqdn(answer.name),
    type: typeNumber(answer.type),
    klass: classNumber(answer.class ?? 'IN'),
    ttl: answer.ttl ?? 0,
    data: rdataText(answer),
  };
}

function isOpt(a: RawAnswer | RawOpt): a is RawOpt {
  return a.type === 'OPT';
}

export function decodeDnsMessage(buf: Buffer): DecodeResult {
  const id = buf.length >= 2 ? buf.readUInt16BE(0) : 0;
  if (buf.length < 12) return { ok: false, id, error: `message of ${buf.length} bytes is shorter than a header` };
  let raw: RawPacket;
  try {
    raw = dnsPacket.decode(buf) as unknown as RawPacket;
  } catch (err) {
    return { ok: false, id, error: (err as Error).message };
  }
  const flags = buf.readUInt16BE(2);
  try {
    const extra = raw.additionals ?? [];
    const optRaw = extra.find(isOpt);
    const opt: DnsOpt | undefined = optRaw && {
      udpSize: optRaw.udpPayloadSize,
      version: optRaw.ednsVersion,
      flags: optRaw.flags,
      options: optRaw.options.map((o) => ({ code: o.code, data: o.data })),
    };
    const plain = (list: (RawAnswer | RawOpt)[] | undefined): DnsRr[] =>
      (list ?? []).filter((a): a is RawAnswer => !isOpt(a)).map(rr);
    return {
      ok: true,
      message: {
        id,
        response: (flags & 0x8000) !== 0,
        flags,
        opcode: (flags >> 11) & 15,
        rcode: ((optRaw?.extendedRcode ?? 0) << 4) | (flags & 15),
        questions: (raw.questions ?? []).map((q) => ({
          name: fqdn(q.name),
          type: typeNumber(q.type),
          klass: classNumber(q.class),
        })),
        answers: plain(raw.answers),
        authorities: plain(raw.authorities),
        additionals: plain(extra),
        opt,
        additionalCount: extra.length,
      },
    };
  } catch (err) {
    return { ok: false, id, error: (err as Error).message };
  }
}
