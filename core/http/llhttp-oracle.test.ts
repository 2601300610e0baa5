// Random keep-alive and pipelined HTTP/1.1 conversations, cut into random segments, parsed by core/http
// and by llhttp (Node's own parser, reached through node:_http_common as a test oracle only): method,
// uri, status, every header and every body length must agree.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { HttpRecord } from '../records/record.js';
import { analyzeBuffer } from '../testing/analyze-buffer.js';
import { scriptCapture, type ScriptStep } from '../testing/tcp-script.js';
import { canonicalHeaderKey } from './header-key.js';

interface Parsed {
  method: string;
  uri: string;
  statusCode: number;
  headers: string[];
  body: number;
}

interface LlhttpParser {
  initialize(kind: number, resource: object): void;
  execute(data: Buffer): unknown;
  finish(): unknown;
  [key: number]: unknown;
}
interface LlhttpModule {
  HTTPParser: { new (): LlhttpParser; REQUEST: number; RESPONSE: number } & Record<string, number>;
  methods: string[];
}

const { HTTPParser, methods } = createRequire(import.meta.url)('_http_common') as LlhttpModule;

/** llhttp's view of one direction; `heads` tells it which responses answer a HEAD (no body). */
function llhttp(kind: 'request' | 'response', data: Buffer, heads: readonly boolean[] = []): Parsed[] {
  const parser = new HTTPParser();
  parser.initialize(kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {});
  const out: Parsed[] = [];
  let finals = 0;
  // Node's binding hands over headers early (kOnHeaders) in some cases; after the head, they are trailers.
  let early: string[] = [];
  let earlyUrl = '';
  let inBody = false;
  parser[HTTPParser.kOnHeadersComplete as number] = (
    _major: number,
    _minor: number,
    headers: string[],
    method: number,
    url: string,
    statusCode: number,
  ): number => {
    out.push({
      method: methods[method] ?? '',
      uri: earlyUrl + (url ?? ''),
      statusCode: statusCode ?? 0,
      headers: [...early, ...(headers ?? [])],
      body: 0,
    });
    early = [];
    earlyUrl = '';
    inBody = true;
    if (kind === 'request' || statusCode < 200) return 0;
    return heads[finals++] ? 1 : 0; // 1 = this response has no body (what Node's client does for HEAD)
  };
  parser[HTTPParser.kOnBody as number] = (chunk: Buffer): void => {
    const last = out[out.length - 1];
    if (last) last.body += chunk.length;
  };
  parser[HTTPParser.kOnMessageComplete as number] = (): void => {
    inBody = false;
  };
  parser[HTTPParser.kOnHeaders as number] = (headers: string[], url: string): void => {
    if (inBody) return;
    early.push(...headers);
    earlyUrl += url ?? '';
  };
  const result = parser.execute(data);
  if (result instanceof Error) throw result;
  parser.finish();
  return out;
}

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

const NAMES = ['x-trace-id', 'Accept', 'USER-AGENT', 'x-Custom-Thing', 'Cache-Control', 'Vary', 'ETag'];

interface Conversation {
  client: string;
  server: string;
  heads: boolean[];
  steps: ScriptStep[];
  /** Per exchange: the index of the first step of its group (its requests, then their responses). */
  groupStart: number[];
}

function conversation(rand: () => number): Conversation {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const body = (n: number): string => 'b'.repeat(n);
  const chunked = (text: string): string => {
    let out = '';
    for (let at = 0; at < text.length;) {
      const n = Math.min(text.length - at, 1 + Math.floor(rand() * 300));
      out += `${n.toString(16)}${rand() < 0.2 ? ';ext=v' : ''}\r\n${text.slice(at, at + n)}\r\n`;
      at += n;
    }
    return `${out}0\r\n${rand() < 0.3 ? 'X-Trailer: t\r\n' : ''}\r\n`;
  };
  const headers = (): string =>
    Array.from({ length: Math.floor(rand() * 5) }, () => `${pick(NAMES)}: v${Math.floor(rand() * 1000)}\r\n`).join('');
  const exchanges = 1 + Math.floor(rand() * 6);
  const requests: string[] = [];
  const responses: string[] = [];
  const heads: boolean[] = [];
  for (let i = 0; i < exchanges; i++) {
    const method = pick(['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'PATCH']);
    const size = method === 'POST' || method === 'PUT' || method === 'PATCH' ? Math.floor(rand() * 4000) : 0;
    const useChunked = size > 0 && rand() < 0.4;
    const reqBody = size === 0 ? '' : useChunked ? chunked(body(size)) : body(size);
    const framing = size === 0 ? '' : useChunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${size}\r\n`;
    requests.push(
      `${method} /r/${i}?q=${Math.floor(rand() * 99)} HTTP/1.1\r\nHost: h${i}.test\r\n${headers()}${framing}\r\n${reqBody}`,
    );
    heads.push(method === 'HEAD');
    const status = pick([200, 201, 204, 304, 404, 500, 302]);
    const interim = rand() < 0.1 ? 'HTTP/1.1 100 Continue\r\n\r\n' : '';
    const length = status === 204 || status === 304 ? 0 : Math.floor(rand() * 5000);
    const respChunked = length > 0 && rand() < 0.5;
    const respFraming = respChunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${length}\r\n`;
    const respBody = method === 'HEAD' || length === 0 ? '' : respChunked ? chunked(body(length)) : body(length);
    const framingHeader = status === 204 || status === 304 ? '' : respFraming;
    responses.push(`${interim}HTTP/1.1 ${status} S\r\n${headers()}${framingHeader}\r\n${respBody}`);
  }
  // Segments: each side's bytes cut at random points; a run of requests may go out before its responses.
  const cut = (text: string, from: 'c' | 's'): ScriptStep[] => {
    const steps: ScriptStep[] = [];
    for (let at = 0; at < text.length;) {
      const n = 1 + Math.floor(rand() * 1400);
      steps.push(from === 'c' ? { c: text.slice(at, at + n) } : { s: text.slice(at, at + n) });
      at += n;
    }
    return steps;
  };
  const steps: ScriptStep[] = [];
  const groupStart: number[] = [];
  for (let i = 0; i < exchanges;) {
    const group = Math.min(exchanges - i, 1 + Math.floor(rand() * 3)); // pipelined when > 1
    for (let k = 0; k < group; k++) groupStart.push(steps.length);
    steps.push(...cut(requests.slice(i, i + group).join(''), 'c'));
    steps.push(...cut(responses.slice(i, i + group).join(''), 's'));
    i += group;
  }
  return { client: requests.join(''), server: responses.join(''), heads, steps, groupStart };
}

function grouped(raw: readonly string[]): Record<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = canonicalHeaderKey(raw[i] ?? '');
    out.set(name, [...(out.get(name) ?? []), raw[i + 1] ?? '']);
  }
  return Object.fromEntries(out);
}

function expected(requests: Parsed[], responses: Parsed[]): HttpRecord['http'][] {
  return requests.map((q, i) => ({
    method: q.method,
    host: grouped(q.headers).Host?.[0] ?? '',
    uri: q.uri,
    proto: 'HTTP/1.1',
    statusCode: responses[i]?.statusCode,
    request: { contentLength: q.body, header: grouped(q.headers) },
    response: { contentLength: responses[i]?.body ?? 0, header: grouped(responses[i]?.headers ?? []) },
  }));
}

function oracle(c: Conversation): HttpRecord['http'][] {
  const requests = llhttp('request', Buffer.from(c.client, 'latin1'));
  const responses = llhttp('response', Buffer.from(c.server, 'latin1'), c.heads).filter((r) => r.statusCode >= 200);
  return expected(requests, responses);
}

const SEEDS = Array.from({ length: 500 }, (_, i) => i + 1);

describe('core/http against llhttp', () => {
  it.each(SEEDS)('should agree on random conversation %i', (seed) => {
    const c = conversation(random(seed * 7919));
    const records = analyzeBuffer(scriptCapture(c.steps)).filter((r): r is HttpRecord => r.kind === 'http');
    expect(records.map((r) => r.http)).toEqual(oracle(c));
  });

  it.each(SEEDS)('should record every exchange after a lost segment exactly, conversation %i', (seed) => {
    const rand = random(seed * 104_729);
    const c = conversation(rand);
    const lost = Math.floor(rand() * c.steps.length);
    const step = c.steps[lost] as { c?: string; s?: string };
    const text = step.c ?? step.s ?? '';
    const steps: ScriptStep[] = c.steps.map((s, i) =>
      i === lost ? { lost: text.length, from: step.c ? 'c' : 's' } : s,
    );
    const records = analyzeBuffer(scriptCapture(steps)).filter((r): r is HttpRecord => r.kind === 'http');
    const want = oracle(c);
    const after = want.filter((_, i) => (c.groupStart[i] ?? 0) > lost);
    const got = records.map((r) => r.http).filter((h) => after.some((w) => w.uri === h.uri));
    expect(got).toEqual(after);
    expect(records.filter((r) => r.http.partial).length).toBeLessThanOrEqual(want.length + 3);
  });
});

describe('core/http on damaged conversations', () => {
  const NOISE = [
    '\r\n',
    '\n',
    'HTTP/1.1 ',
    'GET / HTTP/1.1\r\n',
    '0\r\n',
    'ffffffff\r\n',
    ':',
    ' ',
    '\x00',
    'Content-Length: 99\r\n',
  ];
  it.each(SEEDS.slice(0, 300))('should never throw and write only valid records, conversation %i', (seed) => {
    const rand = random(seed * 15_485_863);
    const c = conversation(rand);
    const steps: ScriptStep[] = c.steps.map((step) => {
      const roll = rand();
      const text = 'c' in step ? step.c : 's' in step ? step.s : '';
      const from = 'c' in step ? 'c' : 's';
      if (typeof text !== 'string') return step;
      if (roll < 0.1) return { lost: text.length, from };
      if (roll < 0.3) {
        const at = Math.floor(rand() * text.length);
        const noise = NOISE[Math.floor(rand() * NOISE.length)] ?? '';
        const damaged = text.slice(0, at) + noise + text.slice(at + Math.floor(rand() * 4));
        return from === 'c' ? { c: damaged } : { s: damaged };
      }
      return step;
    });
    expect(() => analyzeBuffer(scriptCapture(steps))).not.toThrow();
  });
});
