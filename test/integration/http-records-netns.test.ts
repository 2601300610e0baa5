// Issue 15's acceptance test: a Node HTTP/1.1 server in node A and a client in node B (keep-alive,
// request bodies, a chunked request and a chunked response, HEAD, 304, 404, 500, 302 and a pipelined
// pair), recorded live by the real agent in node A as pcap + json. The agent's http records must match,
// field by field, what the server received and the client got (both parsed by Node's llhttp), with the
// auth headers, the extra header and the query parameter redacted; `tapedeck analyze` on the agent's
// pcap must give the same records; and tshark must see the same method, host, uri and status per exchange.
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Session__Output } from '../../proto/generated/tapedeck/agent/v1/Session.js';
import type { AgentServiceClient } from '../../proto/generated/tapedeck/agent/v1/AgentService.js';
import type { FlowRecord, HttpRecord, TrafficRecord } from '../../core/records/record.js';
import { assertValidRecord } from '../../core/testing/validate-record.js';
import { createNetworkSet, type NetworkSet } from '../env/netns.js';
import { agentClient, channelCredentials, unary } from './agent-clients.js';
import { clientPem, makePki } from './agent-pki.js';
import { startAgentProcess, type AgentProcess } from './agent-process.js';
import { analyze, execInNetns, inNetns, requireTools, stop, tsharkFields, waitForOutput } from './analyze-tools.js';
import { HTTP_CLIENT, HTTP_PORT, HTTP_SERVER, headerMap, type ClientLog, type ServerLog } from './http-traffic.js';

await requireTools(['tshark']);

const REDACTED_REQUEST = ['Authorization', 'Proxy-Authorization', 'Cookie', 'X-Api-Key'];
const REDACTED_RESPONSE = ['Set-Cookie'];

function withoutAgentFields(record: TrafficRecord): TrafficRecord {
  const { node: _node, recording: _recording, ...rest } = record;
  return rest as TrafficRecord;
}

describe('HTTP records of real traffic between network namespaces', () => {
  let dir = '';
  let network: NetworkSet | undefined;
  let agent: AgentProcess | undefined;
  let api: AgentServiceClient | undefined;
  let session: Session__Output | undefined;
  const records: TrafficRecord[] = [];
  let pcap = '';
  let received: ServerLog[] = [];
  let answered: ClientLog[] = [];

  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('network namespace tests need root (CAP_NET_ADMIN, CAP_NET_RAW)');
    dir = await mkdtemp(path.join(tmpdir(), 'tapedeck-http-records-'));
    network = await createNetworkSet(inject('testEnv').runId, 2);
    const [nodeA, nodeB] = network.members as [NetworkSet['members'][0], NetworkSet['members'][0]];
    const pki = await makePki(dir);
    agent = await startAgentProcess({
      netns: nodeA.netns,
      args: ['--node-name', 'node-a', '--listen', `${nodeA.ip}:0`, '--data-dir', path.join(dir, 'data')].concat([
        '--tls-cert',
        pki.serverCert,
        '--tls-key',
        pki.serverKey,
        '--tls-ca',
        pki.caCert,
      ]),
    });
    api = agentClient(`${nodeA.ip}:${agent.port}`, channelCredentials(await clientPem(pki)));
    const server = inNetns(nodeA.netns, process.execPath, ['--input-type=module', '-e', HTTP_SERVER, nodeA.ip]);
    const serverOut: string[] = [];
    server.stdout?.on('data', (chunk: Buffer) => serverOut.push(chunk.toString()));
    try {
      await waitForOutput(server, 'listening');
      await unary(api.StartSession.bind(api), {
        spec: {
          recording: { namespace: 'shop', name: 'web', uid: 'uid-http', iteration: 1 },
          interfaces: ['eth0'],
          filter: { include: [], bpf: `tcp port ${HTTP_PORT}` },
          output: { formats: ['OUTPUT_FORMAT_PCAP', 'OUTPUT_FORMAT_JSON'] },
          redaction: { headers: ['x-api-key'], queryParameters: ['token'], disabled: false },
        },
      });
      const out = await execInNetns(nodeB.netns, process.execPath, [
        '--input-type=module',
        '-e',
        HTTP_CLIENT,
        nodeA.ip,
      ]);
      answered = JSON.parse(out.trim().split('\n').at(-1) ?? '[]') as ClientLog[];
      await new Promise((r) => setTimeout(r, 500)); // the last ACKs and FINs reach the capture
      session = (await unary(api.StopSession.bind(api), { id: 'uid-http-1' })) as Session__Output;
    } finally {
      await stop(server);
    }
    received = serverOut
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as ServerLog);
    const files = session?.files ?? [];
    const jsonFiles = files.filter((f) => f.format === 'OUTPUT_FORMAT_JSON').map((f) => f.path);
    pcap = files.find((f) => f.format === 'OUTPUT_FORMAT_PCAP')?.path ?? '';
    for (const file of jsonFiles) {
      for (const line of (await readFile(file, 'utf8')).split('\n').filter(Boolean)) {
        const record = JSON.parse(line) as TrafficRecord;
        assertValidRecord(record);
        records.push(record);
      }
    }
  });

  afterAll(async () => {
    api?.close();
    await agent?.stop();
    await network?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('should record every exchange live as the server received it and the client got it, field by field', () => {
    expect(received).toHaveLength(11);
    expect(answered).toHaveLength(11);
    const http = records.filter((r): r is HttpRecord => r.kind === 'http');
    expect(http).toHaveLength(11);
    for (const [i, record] of http.entries()) {
      const request = received[i] as ServerLog;
      const response = answered[i] as ClientLog;
      const host = request.rawHeaders[request.rawHeaders.findIndex((h) => h.toLowerCase() === 'host') + 1];
      expect(record.http, `exchange ${i}`).toEqual({
        method: request.method,
        host,
        uri: request.url.replace('token=secret-token', 'token=[redacted]'),
        proto: 'HTTP/1.1',
        statusCode: response.status,
        request: { contentLength: request.body, header: headerMap(request.rawHeaders, REDACTED_REQUEST) },
        response: { contentLength: response.body, header: headerMap(response.rawHeaders, REDACTED_RESPONSE) },
      });
      expect(record).toMatchObject({ node: 'node-a', recording: 'shop/web', server: expect.stringMatching(/:8080$/) });
    }
    expect(http.map((r) => r.http.statusCode)).toEqual([200, 201, 200, 200, 200, 304, 404, 500, 302, 200, 404]);
    expect(http[2]?.http.response?.header['Transfer-Encoding']).toEqual(['chunked']);
    expect(http[7]?.http.request?.header['Transfer-Encoding']).toEqual(['chunked']);
    const flows = records.filter((r): r is FlowRecord => r.kind === 'flow');
    // Node's agent opens a new connection after the HEAD (its response has no Content-Length).
    expect(flows.length).toBeGreaterThanOrEqual(2);
    expect(new Set(http.map((r) => r.flow))).toEqual(new Set(flows.map((f) => f.flow)));
    expect(JSON.stringify(records)).not.toMatch(/secret-token|Bearer abc|key-1|session=abc|dTpw/);
  });

  it('should report the records, flows and evictions in the session status', () => {
    const flows = records.filter((r) => r.kind === 'flow').length;
    expect(session?.records).toMatchObject({ flows, evictions: 0 });
    expect(Number(session?.records?.records)).toBe(records.length);
  });

  it('should give the same records from tapedeck analyze on the agent pcap', async () => {
    const result = await analyze([pcap], ['--redact-header', 'X-Api-Key', '--redact-query', 'token']);
    expect(result.code).toBe(0);
    const key = (r: TrafficRecord): string => `${r.time} ${r.kind} ${JSON.stringify(r)}`;
    const sorted = (list: TrafficRecord[]): TrafficRecord[] => [...list].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted(result.records)).toEqual(sorted(records.map(withoutAgentFields)));
  });

  it('should see the same method, host, uri and status per exchange as tshark', async () => {
    const plain = await analyze([pcap], ['--no-redact']);
    const ours = plain.records
      .filter((r): r is HttpRecord => r.kind === 'http')
      .map((r) => [r.http.method, r.http.host, r.http.uri, String(r.http.statusCode)]);
    const requests = await tsharkFields(pcap, 'http.request', [
      'tcp.stream',
      'frame.number',
      'http.request.method',
      'http.host',
      'http.request.uri',
    ]);
    const responses = await tsharkFields(pcap, 'http.response', [
      'tcp.stream',
      'http.request_in',
      'http.response.code',
    ]);
    // Pipelined requests share a frame: tshark lists their fields comma-separated, in order. Responses
    // answer a connection's requests in order (tshark 4.0 leaves request_in empty for the second of a
    // pipelined pair; where it gives one, it must be the request paired here).
    const exchanges: { stream: string; frame: string; fields: string[]; status?: string }[] = [];
    for (const [stream = '', frame = '', methods = '', hosts = '', uris = ''] of requests) {
      const [m, h, u] = [methods.split(','), hosts.split(','), uris.split(',')];
      for (const [k, method] of m.entries())
        exchanges.push({ stream, frame, fields: [method, h[k] ?? '', u[k] ?? ''] });
    }
    for (const [stream = '', inFrames = '', codes = ''] of responses) {
      const frames = inFrames.split(',');
      for (const [k, code] of codes.split(',').entries()) {
        const exchange = exchanges.find((e) => e.stream === stream && e.status === undefined);
        expect(exchange, `request of the response in stream ${stream}`).toBeDefined();
        if (!exchange) continue;
        if (frames[k]) expect(frames[k]).toBe(exchange.frame);
        exchange.status = code;
      }
    }
    const theirs = exchanges.map((e) => [...e.fields, e.status ?? '']);
    expect(theirs).toHaveLength(11);
    expect(ours).toEqual(theirs);
  });
});
