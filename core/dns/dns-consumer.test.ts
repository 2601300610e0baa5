import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import type { DnsRecord, TrafficRecord } from '../records/record.js';
import { analyzeBuffer } from '../testing/analyze-buffer.js';
import { pcapFile, type Frame } from '../testing/capture-file.js';
import { tcpFrame, udpFrame, type Endpoint } from '../testing/packet-builder.js';

const client: Endpoint = { ip: '10.2.0.1', port: 41000 };
const server: Endpoint = { ip: '10.2.0.53', port: 53 };

function query(id: number, name: string): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: 'A', class: 'IN' }],
  });
}

function response(id: number, name: string, flags = 0): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id,
    flags,
    questions: [{ name, type: 'A', class: 'IN' }],
    answers: [{ name, type: 'A', ttl: 60, data: '192.0.2.1' }],
  });
}

function framed(message: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(message.length);
  return Buffer.concat([length, message]);
}

function dnsOf(records: TrafficRecord[]): DnsRecord[] {
  return records.filter((r): r is DnsRecord => r.kind === 'dns');
}

function frames(...data: Buffer[]): Frame[] {
  return data.map((d, i) => ({ data: d, time: 10 + i * 0.01 }));
}

describe('DNS records', () => {
  it('should pair queries and responses by id and write an unanswered query too', () => {
    const records = analyzeBuffer(
      pcapFile(
        frames(
          udpFrame(client, server, query(1, 'one.test')),
          udpFrame(client, server, query(2, 'two.test')),
          udpFrame(server, client, response(1, 'one.test')),
        ),
      ),
    );
    const dns = dnsOf(records);
    expect(dns.map((r) => [r.dns.id, r.dns.name, r.dns.rcode ?? null, r.dns.answers.length])).toEqual([
      [1, 'one.test.', 'NOERROR', 1],
      [2, 'two.test.', null, 0],
    ]);
    expect(dns[0]?.duration).toBe(20_000_000);
    expect(dns[1]?.dns.answer).toBeUndefined();
    expect(dns[1]?.dns.question).toContain(';two.test.\tIN\t A');
  });

  it('should reassemble DNS over TCP split across segments and several messages in one segment', () => {
    const q = Buffer.concat([framed(query(7, 'a.test')), framed(query(8, 'b.test'))]);
    const r = Buffer.concat([framed(response(7, 'a.test')), framed(response(8, 'b.test'))]);
    const records = analyzeBuffer(
      pcapFile(
        frames(
          tcpFrame({ from: client, to: server, seq: 100, flags: 'S' }),
          tcpFrame({ from: server, to: client, seq: 900, ack: 101, flags: 'SA' }),
          tcpFrame({ from: client, to: server, seq: 101, ack: 901, flags: 'A' }),
          tcpFrame({ from: client, to: server, seq: 101, ack: 901, flags: 'PA', payload: q }),
          tcpFrame({ from: server, to: client, seq: 901, ack: 101 + q.length, flags: 'PA', payload: r.subarray(0, 5) }),
          tcpFrame({ from: server, to: client, seq: 906, ack: 101 + q.length, flags: 'PA', payload: r.subarray(5) }),
        ),
      ),
    );
    expect(dnsOf(records).map((x) => [x.dns.id, x.dns.name, x.dns.rcode, x.network])).toEqual([
      [7, 'a.test.', 'NOERROR', 'tcp'],
      [8, 'b.test.', 'NOERROR', 'tcp'],
    ]);
  });

  it('should resynchronise DNS over TCP after a gap', () => {
    const first = framed(query(1, 'lost.test'));
    const second = framed(query(2, 'kept.test'));
    const records = analyzeBuffer(
      pcapFile(
        frames(
          tcpFrame({ from: client, to: server, seq: 100, flags: 'S' }),
          tcpFrame({ from: server, to: client, seq: 900, ack: 101, flags: 'SA' }),
          // the first query's segment is missing; the server acknowledged it
          tcpFrame({ from: client, to: server, seq: 101 + first.length, ack: 901, flags: 'PA', payload: second }),
          tcpFrame({
            from: server,
            to: client,
            seq: 901,
            ack: 101 + first.length + second.length,
            flags: 'PA',
            payload: framed(response(2, 'kept.test')),
          }),
        ),
      ),
    );
    expect(dnsOf(records).map((x) => [x.dns.id, x.dns.rcode])).toEqual([[2, 'NOERROR']]);
    expect(records.find((r) => r.kind === 'flow')).toMatchObject({ gaps: { client: first.length, server: 0 } });
  });

  it('should mark a truncated response', () => {
    const records = analyzeBuffer(
      pcapFile(
        frames(
          udpFrame(client, server, query(3, 'tc.test')),
          udpFrame(server, client, response(3, 'tc.test', dnsPacket.TRUNCATED_RESPONSE)),
        ),
      ),
    );
    expect(dnsOf(records)[0]?.dns.truncated).toBe(true);
  });

  it('should record a malformed message as malformed and keep going', () => {
    const records = analyzeBuffer(
      pcapFile(
        frames(
          udpFrame(client, server, query(4, 'x.test').subarray(0, 15)),
          udpFrame(client, server, query(5, 'ok.test')),
        ),
      ),
    );
    const dns = dnsOf(records);
    expect(dns[0]?.dns).toMatchObject({ id: 4, name: '', malformed: expect.stringMatching(/\w/) });
    expect(dns[1]?.dns).toMatchObject({ id: 5, name: 'ok.test.' });
  });

  it('should make the answering side the server when both ports are 53', () => {
    const a: Endpoint = { ip: '10.2.0.1', port: 53 };
    const b: Endpoint = { ip: '10.2.0.2', port: 53 };
    const records = analyzeBuffer(
      pcapFile(frames(udpFrame(b, a, response(6, 'r.test')), udpFrame(a, b, query(9, 'q.test')))),
    );
    expect(dnsOf(records)[0]).toMatchObject({ client: '10.2.0.1:53', server: '10.2.0.2:53' });
  });
});
