import { readFileSync } from 'node:fs';
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { digText } from './dig-text.js';
import { decodeDnsMessage, type DnsMessage } from './dns-message.js';

// gost's DNS handler record from seed 000, verbatim: its question/answer are miekg/dns's Msg.String().
const golden = JSON.parse(readFileSync(new URL('./testdata/gost-dns-record.json', import.meta.url), 'utf8')) as {
  dns: { id: number; question: string; answer: string };
};

function decoded(packet: dnsPacket.Packet): DnsMessage {
  const result = decodeDnsMessage(dnsPacket.encode(packet));
  if (!result.ok) throw new Error(result.error);
  return result.message;
}

describe('digText', () => {
  it("should print a query with EDNS and a cookie exactly like gost's sample", () => {
    const query = decoded({
      type: 'query',
      id: 58727,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA,
      questions: [{ name: 'www.google.com', type: 'A', class: 'IN' }],
      additionals: [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: 1232,
          options: [{ code: 10, data: Buffer.from('e9fde848447e55b9', 'hex') }],
        } as unknown as dnsPacket.Answer,
      ],
    });
    expect(digText(query)).toBe(golden.dns.question);
  });

  it("should print a response exactly like gost's sample", () => {
    const response = decoded({
      type: 'response',
      id: 58727,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
      questions: [{ name: 'www.google.com', type: 'A', class: 'IN' }],
      answers: [{ name: 'www.google.com', type: 'A', class: 'IN', ttl: 227, data: '157.240.17.35' }],
    });
    expect(digText(response)).toBe(golden.dns.answer);
  });

  it('should print authority records, NXDOMAIN and the DO flag', () => {
    const response = decoded({
      type: 'response',
      id: 7,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (3 as number),
      questions: [{ name: 'nope.example.test', type: 'AAAA', class: 'IN' }],
      authorities: [
        {
          name: 'example.test',
          type: 'SOA',
          ttl: 60,
          data: {
            mname: 'ns.example.test',
            rname: 'admin.example.test',
            serial: 1,
            refresh: 2,
            retry: 3,
            expire: 4,
            minimum: 5,
          },
        },
      ],
      additionals: [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: 4096,
          flags: dnsPacket.DNSSEC_OK,
          options: [],
        } as unknown as dnsPacket.Answer,
      ],
    });
    expect(digText(response)).toBe(
      ';; opcode: QUERY, status: NXDOMAIN, id: 7\n;; flags: qr aa; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1\n\n' +
        ';; OPT PSEUDOSECTION:\n; EDNS: version 0; flags: do; udp: 4096\n\n' +
        ';; QUESTION SECTION:\n;nope.example.test.\tIN\t AAAA\n\n' +
        ';; AUTHORITY SECTION:\nexample.test.\t60\tIN\tSOA\tns.example.test. admin.example.test. 1 2 3 4 5\n',
    );
  });

  it.each([
    ['MX', { preference: 10, exchange: 'mail.example.test' }, '10 mail.example.test.'],
    ['TXT', [Buffer.from('v=spf1 -all'), Buffer.from('say "hi"')], '"v=spf1 -all" "say \\"hi\\""'],
    ['SRV', { priority: 1, weight: 2, port: 53, target: 'ns.example.test' }, '1 2 53 ns.example.test.'],
    ['CNAME', 'alias.example.test', 'alias.example.test.'],
    ['AAAA', '2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ] as const)('should print %s data as dig does', (type, data, text) => {
    const response = decoded({
      type: 'response',
      id: 1,
      answers: [{ name: 'x.example.test', type, ttl: 1, data } as dnsPacket.Answer],
    });
    expect(response.answers[0]?.data).toBe(text);
  });

  it('should print a type it has no printer for in RFC 3597 form', () => {
    const response = decoded({
      type: 'response',
      id: 1,
      answers: [{ name: 'x.test', type: 'NULL', ttl: 1, data: Buffer.from('abc') } as dnsPacket.Answer],
    });
    expect(response.answers[0]?.data).toBe('\\# 3 616263');
  });
});
