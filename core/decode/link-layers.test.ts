import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { analyzeBuffer } from '../testing/analyze-buffer.js';
import { pcapFile, pcapngFile } from '../testing/capture-file.js';
import { ethernet, ipPacket, linuxSll, linuxSll2, udpDatagram } from '../testing/packet-builder.js';
import type { DnsRecord, FlowRecord } from '../records/record.js';

const query = dnsPacket.encode({
  type: 'query',
  id: 99,
  questions: [{ name: 'a.example.test', type: 'A', class: 'IN' }],
});
const response = dnsPacket.encode({
  type: 'response',
  id: 99,
  questions: [{ name: 'a.example.test', type: 'A', class: 'IN' }],
  answers: [{ name: 'a.example.test', type: 'A', ttl: 30, data: '192.0.2.7' }],
});

function exchange(client: string, server: string): [Buffer, Buffer] {
  return [
    ipPacket(client, server, 17, udpDatagram({ ip: client, port: 5555 }, { ip: server, port: 53 }, query)),
    ipPacket(server, client, 17, udpDatagram({ ip: server, port: 53 }, { ip: client, port: 5555 }, response)),
  ];
}

const v4 = exchange('10.1.0.1', '10.1.0.2');
const v6 = exchange('2001:db8::1', '2001:db8::53');

function nullHeader(ip: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32LE((ip[0] ?? 0) >> 4 === 6 ? 10 : 2);
  return Buffer.concat([h, ip]);
}

describe('link layers and IP versions', () => {
  it.each([
    ['Ethernet', 1, ethernet],
    ['Ethernet with a VLAN tag', 1, (ip: Buffer) => ethernet(ip, 42)],
    ['Linux cooked v1', 113, linuxSll],
    ['Linux cooked v2', 276, linuxSll2],
    ['raw IP', 101, (ip: Buffer) => ip],
    ['BSD loopback', 0, nullHeader],
  ] as const)('should decode DNS over IPv4 and IPv6 on %s', (_name, linkType, frame) => {
    for (const [packets, client, server] of [
      [v4, '10.1.0.1:5555', '10.1.0.2:53'],
      [v6, '[2001:db8::1]:5555', '[2001:db8::53]:53'],
    ] as const) {
      const records = analyzeBuffer(
        pcapFile(
          packets.map((p, i) => ({ data: frame(p), time: 100 + i * 0.5 })),
          { linkType },
        ),
      );
      const dns = records.find((r): r is DnsRecord => r.kind === 'dns');
      const flow = records.find((r): r is FlowRecord => r.kind === 'flow');
      expect(dns).toMatchObject({
        client,
        server,
        network: 'udp',
        duration: 500_000_000,
        time: '1970-01-01T00:01:40.000000000Z',
      });
      expect(dns?.dns).toMatchObject({ id: 99, name: 'a.example.test.', type: 'A', rcode: 'NOERROR' });
      expect(dns?.dns.answers).toEqual([{ name: 'a.example.test.', type: 'A', ttl: 30, data: '192.0.2.7' }]);
      expect(flow?.flow).toBe(dns?.flow);
      expect(flow?.communityId).toBe(dns?.communityId);
      expect(flow?.packets).toEqual({ client: 1, server: 1 });
      expect(flow?.bytes).toEqual({ client: frame(packets[0]).length, server: frame(packets[1]).length });
    }
  });

  it('should reassemble a fragmented IPv4 datagram before decoding it', () => {
    const big = dnsPacket.encode({
      type: 'response',
      id: 5,
      questions: [{ name: 'big.example.test', type: 'TXT', class: 'IN' }],
      answers: [{ name: 'big.example.test', type: 'TXT', ttl: 1, data: 'x'.repeat(200) }],
    });
    const udp = udpDatagram({ ip: '10.1.0.2', port: 53 }, { ip: '10.1.0.1', port: 5555 }, big);
    const frames = [
      ethernet(ipPacket('10.1.0.2', '10.1.0.1', 17, udp.subarray(96), { id: 7, fragmentOffset: 96 })),
      ethernet(ipPacket('10.1.0.2', '10.1.0.1', 17, udp.subarray(0, 96), { id: 7, moreFragments: true })),
    ];
    const records = analyzeBuffer(pcapFile(frames.map((data, i) => ({ data, time: 1 + i }))));
    const dns = records.find((r): r is DnsRecord => r.kind === 'dns');
    expect(dns?.dns.answers[0]?.data).toBe(`"${'x'.repeat(200)}"`);
    const flow = records.find((r): r is FlowRecord => r.kind === 'flow');
    expect(flow?.packets).toEqual({ client: 0, server: 2 }); // both fragments came from the server
    expect(flow?.server).toBe('10.1.0.2:53');
  });

  it('should give ICMP echo request and reply one flow with bare addresses', () => {
    const echo = (type: number): Buffer => Buffer.from([type, 0, 0, 0, 0, 1, 0, 1]);
    const records = analyzeBuffer(
      pcapngFile([
        {
          frames: [
            { data: ethernet(ipPacket('10.1.0.1', '10.1.0.2', 1, echo(8))), time: 1 },
            { data: ethernet(ipPacket('10.1.0.2', '10.1.0.1', 1, echo(0))), time: 1.001 },
          ],
        },
      ]),
    );
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      network: 'icmp',
      client: '10.1.0.1',
      server: '10.1.0.2',
      packets: { client: 1, server: 1 },
    });
  });

  it('should name an unknown IP protocol by its number and print bare addresses', () => {
    const records = analyzeBuffer(
      pcapFile([{ data: ethernet(ipPacket('10.1.0.1', '10.1.0.2', 47, Buffer.alloc(8))), time: 1 }]),
    );
    expect(records[0]).toMatchObject({ network: '47', client: '10.1.0.1', server: '10.1.0.2' });
  });
});
