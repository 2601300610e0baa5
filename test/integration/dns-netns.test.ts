// Real DNS between two simulated nodes: dnsmasq on node 0 (bound to its address only, names from an
// addn-hosts file), dig on node 1 asking over UDP and TCP, tcpdump on node 0. `tapedeck analyze` must
// report what dig asked and was answered, agree with tshark field by field, print dig-style text in
// miekg/dns's format, and count packets and bytes as tshark's conversation statistics do.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rcodeName, typeName } from '../../core/dns/dns-names.js';
import type { DnsRecord, FlowRecord, TrafficRecord } from '../../core/records/record.js';
import { createNetworkSet, type NetworkSet } from '../env/netns.js';
import {
  analyze,
  execInNetns,
  inNetns,
  requireTools,
  startTcpdump,
  stop,
  tcpflowSizes,
  tsharkConversations,
  tsharkFields,
  waitForOutput,
} from './analyze-tools.js';

const TOOLS = ['dnsmasq', 'dig', 'tcpdump', 'tshark', 'tcpflow'];
await requireTools(TOOLS);

interface Asked {
  name: string;
  type: 'A' | 'AAAA';
  tcp: boolean;
}

const ASKED: Asked[] = [
  { name: 'www.example.test', type: 'A', tcp: false },
  { name: 'www.example.test', type: 'AAAA', tcp: false },
  { name: 'missing.example.test', type: 'A', tcp: false },
  { name: 'www.example.test', type: 'A', tcp: true },
  { name: 'missing.example.test', type: 'AAAA', tcp: true },
];

interface DigAnswer {
  id: number;
  status: string;
  answerLines: string[];
}

function parseDig(text: string): DigAnswer {
  const header = /->>HEADER<<- opcode: QUERY, status: (\w+), id: (\d+)/.exec(text);
  if (!header) throw new Error(`no header in dig output:\n${text}`);
  const section = /;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(text);
  return {
    id: Number(header[2]),
    status: header[1] ?? '',
    answerLines: section ? (section[1] ?? '').split('\n').filter(Boolean) : [],
  };
}

describe('tapedeck analyze on real DNS between network namespaces', () => {
  let dir = '';
  let network: NetworkSet | undefined;
  const digs: DigAnswer[] = [];
  let records: TrafficRecord[] = [];
  let file = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-dns-'));
    network = await createNetworkSet(inject('testEnv').runId, 2);
    const [server, client] = network.members as [NetworkSet['members'][0], NetworkSet['members'][0]];
    const hosts = path.join(dir, 'hosts');
    await writeFile(hosts, `192.0.2.10 www.example.test\n2001:db8::10 www.example.test\n`);
    file = path.join(dir, 'dns.pcap');
    const tcpdump = await startTcpdump(server.netns, file);
    const dnsmasq = inNetns(server.netns, 'dnsmasq', [
      '--no-daemon',
      '--no-resolv',
      '--no-hosts',
      `--addn-hosts=${hosts}`,
      `--listen-address=${server.ip}`,
      '--bind-interfaces',
      '--local=/test/',
      '--local-ttl=300',
      '--pid-file=',
      '--log-queries',
    ]);
    try {
      await waitForOutput(dnsmasq, 'read ');
      for (const q of ASKED) {
        const args = [`@${server.ip}`, '+tries=1', '+time=3', q.name, q.type, ...(q.tcp ? ['+tcp'] : [])];
        digs.push(parseDig(await execInNetns(client.netns, 'dig', args)));
      }
    } finally {
      await stop(dnsmasq);
      await new Promise((r) => setTimeout(r, 200));
      await stop(tcpdump, 'SIGINT');
    }
    const result = await analyze([file]);
    expect(result.code).toBe(0);
    records = result.records;
  });

  afterAll(async () => {
    await network?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const dnsRecords = (): DnsRecord[] => records.filter((r): r is DnsRecord => r.kind === 'dns');

  it('should write one DNS record per query with what dig asked and was answered', () => {
    expect(dnsRecords()).toHaveLength(ASKED.length);
    ASKED.forEach((q, i) => {
      const dig = digs[i] as DigAnswer;
      const record = dnsRecords().find((r) => r.dns.id === dig.id && r.dns.name === `${q.name}.`);
      expect(record, `record for ${q.name} ${q.type}`).toBeDefined();
      expect(record?.network).toBe(q.tcp ? 'tcp' : 'udp');
      expect(record?.server).toMatch(/:53$/);
      expect(record?.dns).toMatchObject({ class: 'IN', type: q.type, rcode: dig.status });
      // dig prints answers as miekg/dns does: name, TTL, class, type, data separated by tabs.
      const ours = (record?.dns.answers ?? []).map((a) => `${a.name}\t${a.ttl}\tIN\t${a.type}\t${a.data}`);
      expect(ours.map((l) => l.split(/\s+/))).toEqual(dig.answerLines.map((l) => l.split(/\s+/)));
      expect(record?.duration).toBeGreaterThan(0);
    });
    expect(digs.map((d) => d.status)).toEqual(['NOERROR', 'NOERROR', 'NXDOMAIN', 'NOERROR', 'NXDOMAIN']);
  });

  it('should print dig-style text in the format of the seed sample', () => {
    for (const r of dnsRecords()) {
      expect(r.dns.question).toMatch(
        new RegExp(
          `^;; opcode: QUERY, status: NOERROR, id: ${r.dns.id}\\n;; flags: rd( ad)?; QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1\\n\\n;; OPT PSEUDOSECTION:\\n; EDNS: version 0; flags:; udp: 1232\\n; COOKIE: [0-9a-f]{16}\\n\\n;; QUESTION SECTION:\\n;${r.dns.name.replace(/\./g, '\\.')}\\tIN\\t ${r.dns.type}\\n$`,
        ),
      );
      expect(r.dns.answer).toContain(`;; opcode: QUERY, status: ${r.dns.rcode}, id: ${r.dns.id}\n;; flags: qr`);
      for (const a of r.dns.answers)
        expect(r.dns.answer).toContain(`\n${a.name}\t${a.ttl}\tIN\t${a.type}\t${a.data}\n`);
    }
  });

  it("should agree with tshark's DNS id, name, type, rcode and answers", async () => {
    const rows = await tsharkFields(file, 'dns.flags.response == 1', [
      'dns.id',
      'dns.qry.name',
      'dns.qry.type',
      'dns.flags.rcode',
      'dns.a',
      'dns.aaaa',
    ]);
    expect(rows).toHaveLength(ASKED.length);
    const fromTshark = rows.map(([id = '', name, type = '', rcode = '', a = '', aaaa = '']) => ({
      id: Number(id),
      name: `${name}.`,
      type: typeName(Number(type)),
      rcode: rcodeName(Number(rcode)),
      answers: [...a.split(','), ...aaaa.split(',')].filter(Boolean),
    }));
    const ours = dnsRecords().map((r) => ({
      id: r.dns.id,
      name: r.dns.name,
      type: r.dns.type,
      rcode: r.dns.rcode,
      answers: r.dns.answers.map((x) => x.data),
    }));
    const byId = (x: { id: number }, y: { id: number }): number => x.id - y.id;
    expect(ours.sort(byId)).toEqual(fromTshark.sort(byId));
  });

  it.each(['udp', 'tcp'] as const)(
    "should count %s packets and bytes as tshark's conversation statistics do",
    async (proto) => {
      const conversations = await tsharkConversations(file, proto);
      const flows = records.filter((r): r is FlowRecord => r.kind === 'flow' && r.network === proto);
      expect(conversations.length).toBeGreaterThan(0);
      expect(flows).toHaveLength(conversations.length);
      for (const c of conversations) {
        const flow = flows.find(
          (f) => (f.client === c.a && f.server === c.b) || (f.client === c.b && f.server === c.a),
        );
        expect(flow, `flow ${c.a} <-> ${c.b}`).toBeDefined();
        const aIsClient = flow?.client === c.a;
        expect(flow?.packets).toEqual(
          aIsClient ? { client: c.toB.frames, server: c.toA.frames } : { client: c.toA.frames, server: c.toB.frames },
        );
        expect(flow?.bytes).toEqual(
          aIsClient ? { client: c.toB.bytes, server: c.toA.bytes } : { client: c.toA.bytes, server: c.toB.bytes },
        );
      }
    },
  );

  it('should count the TCP payload that tcpflow reassembles per direction', async () => {
    const sizes = await tcpflowSizes(file, await mkdtemp(path.join(dir, 'tcpflow-')));
    const flows = records.filter((r): r is FlowRecord => r.kind === 'flow' && r.network === 'tcp');
    expect(flows).toHaveLength(2);
    for (const f of flows) {
      expect(f.payload.client).toBe(sizes.get(`${f.client}-${f.server}`));
      expect(f.payload.server).toBe(sizes.get(`${f.server}-${f.client}`));
      expect(f.end).toMatch(/hup$/);
      expect(f.history).toMatch(/^ShAD/);
    }
  });
});
