// HTTP/1.1 keep-alive traffic (wrk against a Node HTTP server) between two simulated nodes, captured with
// tcpdump: every TCP flow's packets and bytes must equal tshark's per-conversation counts, its payload the
// bytes tcpflow reassembles per direction, and its end and history the orderly close wrk does.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FlowRecord, HttpRecord } from '../../core/records/record.js';
import { createNetworkSet, type NetworkSet } from '../env/netns.js';
import {
  analyze,
  execInNetns,
  inNetns,
  requireTools,
  startTcpdump,
  stop,
  stopTcpdump,
  tcpflowSizes,
  tsharkFields,
  waitForOutput,
} from './analyze-tools.js';

await requireTools(['wrk', 'tcpdump', 'tshark', 'tcpflow']);

const SERVER = `
import { createServer } from 'node:http';
let n = 0;
createServer((req, res) => { res.end(Buffer.alloc(100 + (n++ % 7) * 300, 'y')); })
  .listen(8080, process.argv[1], () => console.log('listening'));
`;

describe('tapedeck analyze on HTTP traffic between network namespaces', () => {
  let dir = '';
  let network: NetworkSet | undefined;
  let file = '';
  let flows: FlowRecord[] = [];
  let exchanges: HttpRecord[] = [];
  let wrkRequests = 0;
  let dropped = -1;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-http-'));
    network = await createNetworkSet(inject('testEnv').runId, 2);
    const [server, client] = network.members as [NetworkSet['members'][0], NetworkSet['members'][0]];
    file = path.join(dir, 'http.pcap');
    const http = inNetns(server.netns, process.execPath, ['--input-type=module', '-e', SERVER, server.ip]);
    try {
      await waitForOutput(http, 'listening');
      const tcpdump = await startTcpdump(server.netns, file);
      const report = await execInNetns(client.netns, 'wrk', [
        '-t',
        '1',
        '-c',
        '4',
        '-d',
        '1s',
        `http://${server.ip}:8080/`,
      ]);
      wrkRequests = Number(/(\d+) requests in/.exec(report)?.[1] ?? 0);
      await new Promise((r) => setTimeout(r, 300));
      dropped = await stopTcpdump(tcpdump);
    } finally {
      await stop(http);
    }
    const result = await analyze([file]);
    expect(result.code).toBe(0);
    flows = result.records.filter((r): r is FlowRecord => r.kind === 'flow' && r.network === 'tcp');
    exchanges = result.records.filter((r): r is HttpRecord => r.kind === 'http');
  });

  afterAll(async () => {
    await network?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("should count every connection's packets and bytes per direction as tshark does", async () => {
    const rows = await tsharkFields(file, 'tcp', ['tcp.stream', 'ip.src', 'tcp.srcport', 'frame.len']);
    const perStream = new Map<string, Map<string, { packets: number; bytes: number }>>();
    for (const [stream = '', ip = '', port = '', len = ''] of rows) {
      const dirs = perStream.get(stream) ?? new Map<string, { packets: number; bytes: number }>();
      perStream.set(stream, dirs);
      const sender = dirs.get(`${ip}:${port}`) ?? { packets: 0, bytes: 0 };
      dirs.set(`${ip}:${port}`, sender);
      sender.packets++;
      sender.bytes += Number(len);
    }
    expect(perStream.size).toBeGreaterThanOrEqual(4);
    expect(flows).toHaveLength(perStream.size);
    for (const flow of flows) {
      const match = [...perStream.values()].find((d) => d.has(flow.client) && d.has(flow.server));
      expect(match, `tshark stream for ${flow.client}`).toBeDefined();
      expect(flow.packets).toEqual({
        client: match?.get(flow.client)?.packets,
        server: match?.get(flow.server)?.packets,
      });
      expect(flow.bytes).toEqual({ client: match?.get(flow.client)?.bytes, server: match?.get(flow.server)?.bytes });
    }
    const total = flows.reduce((sum, f) => sum + f.packets.client + f.packets.server, 0);
    expect(total).toBe(rows.length);
  });

  it('should count the payload tcpflow reassembles per direction', async () => {
    const sizes = await tcpflowSizes(file, await mkdtemp(path.join(dir, 'tcpflow-')));
    // tcpflow writes no file for a direction without payload (wrk's connect-only probe connection). A
    // direction with a gap (tcpdump dropped its packets on a loaded machine) is smaller than tcpflow's file,
    // which keeps the hole as bytes: exact where the capture is complete, smaller where it is not.
    for (const flow of flows) {
      for (const [side, from, to] of [
        ['client', flow.client, flow.server],
        ['server', flow.server, flow.client],
      ] as const) {
        const tcpflow = sizes.get(`${from}-${to}`) ?? 0;
        if (flow.gaps[side] === 0) expect(flow.payload[side], `${from} -> ${to}`).toBe(tcpflow);
        else expect(flow.payload[side], `${from} -> ${to} (${flow.gaps[side]} gaps)`).toBeLessThan(tcpflow);
      }
    }
    if (dropped === 0) expect(flows.every((f) => f.gaps.client === 0 && f.gaps.server === 0)).toBe(true);
    expect(flows.filter((f) => f.payload.server > 100_000).length).toBeGreaterThanOrEqual(4);
  });

  it('should see each connection open with a handshake and close with a FIN or a client RST, with no gaps when tcpdump dropped nothing', () => {
    for (const flow of flows) {
      // wrk closes with a FIN, or with a RST when a response is still unread when its time is up.
      expect(flow.end).toMatch(/^(client-hup|server-hup|client-reset)$/);
      if (flow.end === 'client-reset') expect(flow.history).toMatch(/^ShAD.*R/);
      else expect(flow.history).toMatch(flow.payload.client > 0 ? /^ShAD.*[Ff].*[Ff]/ : /^ShA[Ff]/);
      if (dropped === 0) expect(flow.gaps).toEqual({ client: 0, server: 0 });
      expect(flow.conflicts).toBe(0);
      expect(flow.server).toMatch(/:8080$/);
    }
  });

  it("should write an http record for every request wrk completed, with the server's response sizes", () => {
    expect(wrkRequests).toBeGreaterThan(1000);
    const answered = exchanges.filter((r) => r.http.statusCode === 200);
    // wrk counts the responses it read; requests still unanswered when it stopped have records too. Where
    // tcpdump dropped packets (a gap), the exchanges inside it cannot have records: count only then.
    const gapped = flows.some((f) => f.gaps.client + f.gaps.server > 0);
    if (!gapped) expect(answered.length).toBeGreaterThanOrEqual(wrkRequests);
    else expect(answered.length).toBeGreaterThan(wrkRequests * 0.9);
    // At most one in flight per connection (a gap can cost a response too).
    if (!gapped) expect(exchanges.length - answered.length).toBeLessThanOrEqual(4);
    for (const r of answered) {
      // An exchange a gap damaged is flagged partial (its request may be lost: no method); the others are whole.
      if (gapped && r.http.partial === true) continue;
      expect(r.http).toMatchObject({ method: 'GET', uri: '/', proto: 'HTTP/1.1' });
      expect((r.http.response?.contentLength ?? 0) % 300).toBe(100);
      if (!gapped) expect(r.http.partial).toBeUndefined();
    }
    expect(new Set(exchanges.map((r) => r.flow))).toEqual(
      new Set(flows.filter((f) => f.payload.client > 0).map((f) => f.flow)),
    );
  });
});
