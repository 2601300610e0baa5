import { describe, expect, it } from 'vitest';
import type { HttpRecord, TrafficRecord } from '../records/record.js';
import { analyzeBuffer } from '../testing/analyze-buffer.js';
import { scriptCapture, type ScriptStep } from '../testing/tcp-script.js';
import type { RedactionOptions } from './redaction.js';

function http(steps: readonly ScriptStep[], redaction?: RedactionOptions, close = true): HttpRecord[] {
  const records: TrafficRecord[] = analyzeBuffer(scriptCapture(steps, { close }), redaction ? { redaction } : {});
  return records.filter((r): r is HttpRecord => r.kind === 'http');
}

function summary(records: HttpRecord[]): unknown[] {
  return records.map((r) => [
    r.http.method,
    r.http.uri,
    r.http.statusCode ?? null,
    r.http.request?.contentLength ?? null,
    r.http.response?.contentLength ?? null,
    r.http.partial ?? false,
  ]);
}

const ok = (body: string, extra = ''): string =>
  `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

describe('HTTP/1.x records', () => {
  it('should record keep-alive exchanges with gost field names, canonical header names and auth redacted', () => {
    const records = http([
      {
        c: 'GET /a?x=1 HTTP/1.1\r\nHost: shop.test\r\nauthorization: Bearer secret\r\nCookie: s=1\r\nX-Multi: 1\r\nx-multi: 2\r\n\r\n',
      },
      { s: ok('hello', 'Set-Cookie: s=2\r\nETag: "v1"\r\n') },
      { c: 'POST /b HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 4\r\n\r\nbody' },
      { s: 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n' },
    ]);
    expect(summary(records)).toEqual([
      ['GET', '/a?x=1', 200, 0, 5, false],
      ['POST', '/b', 404, 4, 0, false],
    ]);
    const [first] = records;
    expect(first?.http).toMatchObject({ host: 'shop.test', proto: 'HTTP/1.1' });
    expect(first?.http.request?.header).toEqual({
      Host: ['shop.test'],
      Authorization: ['[redacted]'],
      Cookie: ['[redacted]'],
      'X-Multi': ['1', '2'],
    });
    expect(first?.http.response?.header).toEqual({
      'Content-Length': ['5'],
      'Set-Cookie': ['[redacted]'],
      Etag: ['"v1"'],
    });
    expect(first?.duration).toBe(1_000_000); // request packet to response packet, 1 ms apart
    expect(first?.client).toBe('10.9.0.1:43210');
  });

  it('should pair pipelined requests with their responses in order', () => {
    const records = http([
      { c: 'GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\nHEAD /3 HTTP/1.1\r\nHost: h\r\n\r\n' },
      { s: ok('one') + 'HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nto' },
      { s: 'HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n' },
    ]);
    expect(summary(records)).toEqual([
      ['GET', '/1', 200, 0, 3, false],
      ['GET', '/2', 201, 0, 2, false],
      ['HEAD', '/3', 200, 0, 0, false],
    ]);
  });

  it('should decode chunked bodies split at any byte, with extensions and trailers', () => {
    const body = '5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n';
    const response = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`;
    const pieces: ScriptStep[] = [];
    for (let i = 0; i < response.length; i += 7) pieces.push({ s: response.slice(i, i + 7) });
    const records = http([
      { c: 'GET /c HTTP/1.1\r\nHost: h\r\n\r\n' },
      ...pieces,
      { c: 'GET /d HTTP/1.1\r\n\r\n' },
      { s: ok('') },
    ]);
    expect(summary(records)).toEqual([
      ['GET', '/c', 200, 0, 31, false],
      ['GET', '/d', 200, 0, 0, false],
    ]);
  });

  it('should skip interim 1xx responses and give 204 and 304 no body', () => {
    const records = http([
      { c: 'PUT /u HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n' },
      { s: 'HTTP/1.1 100 Continue\r\n\r\n' },
      { c: 'abc' },
      { s: 'HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n' },
      { c: 'GET /e HTTP/1.1\r\nIf-None-Match: "v"\r\n\r\n' },
      { s: 'HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n' },
      { c: 'GET /f HTTP/1.1\r\n\r\n' },
      { s: ok('f') },
    ]);
    expect(summary(records)).toEqual([
      ['PUT', '/u', 204, 3, 0, false],
      ['GET', '/e', 304, 0, 0, false],
      ['GET', '/f', 200, 0, 1, false],
    ]);
  });

  it('should read a body delimited by the connection closing', () => {
    const records = http([
      { c: 'GET /old HTTP/1.0\r\nConnection: close\r\n\r\n' },
      { s: 'HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nfirst part ' },
      { s: 'GET / HTTP/1.1 is body text here' },
    ]);
    expect(summary(records)).toEqual([['GET', '/old', 200, 0, 43, false]]);
    expect(records[0]?.http.proto).toBe('HTTP/1.0');
  });

  it('should stop parsing after a 101 Switching Protocols', () => {
    const records = http([
      { c: 'GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n' },
      { s: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello' },
      { c: 'GET /not-http HTTP/1.1\r\n\r\n' },
      { s: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' },
    ]);
    expect(summary(records)).toEqual([['GET', '/ws', 101, 0, 0, false]]);
  });

  it('should parse plaintext HTTP inside a CONNECT tunnel and leave TLS inside one opaque', () => {
    const tunnel = http([
      {
        c: 'CONNECT inner.test:80 HTTP/1.1\r\nHost: inner.test:80\r\n\r\nGET /in HTTP/1.1\r\nHost: inner.test\r\n\r\n',
      },
      { s: 'HTTP/1.1 200 Connection established\r\n\r\n' },
      { s: ok('inside') },
    ]);
    expect(summary(tunnel)).toEqual([
      ['CONNECT', 'inner.test:80', 200, 0, 0, false],
      ['GET', '/in', 200, 0, 6, false],
    ]);
    expect(tunnel[1]?.http.host).toBe('inner.test');
    const tls = http([
      { c: 'CONNECT secure.test:443 HTTP/1.1\r\nHost: secure.test:443\r\n\r\n' },
      { s: 'HTTP/1.1 200 OK\r\n\r\n' },
      { c: Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]), Buffer.alloc(20_000, 1)]) },
      { s: Buffer.from([0x16, 0x03, 0x03, 0x00, 0x40]) },
    ]);
    expect(summary(tls)).toEqual([['CONNECT', 'secure.test:443', 200, 0, 0, false]]);
  });

  it('should go on parsing after a refused CONNECT', () => {
    const records = http([
      { c: 'CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n' },
      { c: 'GET /after HTTP/1.1\r\nHost: h\r\n\r\n' },
      { s: 'HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n' },
      { s: ok('a') },
    ]);
    expect(summary(records)).toEqual([
      ['CONNECT', 'x:443', 407, 0, 0, false],
      ['GET', '/after', 200, 0, 1, false],
    ]);
  });

  it('should skip a gap inside a body of known length, flag that exchange partial and record the next', () => {
    const records = http([
      { c: 'POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 3000\r\n\r\n' + 'a'.repeat(1000) },
      { lost: 1000, from: 'c' },
      { c: 'a'.repeat(1000) },
      { s: 'HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n' + 'b'.repeat(500) },
      { lost: 1000, from: 's' },
      { s: 'b'.repeat(500) },
      { c: 'GET /next HTTP/1.1\r\nHost: h\r\n\r\n' },
      { s: ok('n') },
    ]);
    expect(summary(records)).toEqual([
      ['POST', '/upload', 200, 3000, 2000, true],
      ['GET', '/next', 200, 0, 1, false],
    ]);
  });

  it('should flag an exchange whose request headers were cut by a gap and resynchronise on the next request', () => {
    const records = http([
      { c: 'GET /damaged HTTP/1.1\r\nHost: h\r\nX-Long: ' },
      { lost: 300, from: 'c' },
      { c: 'tail-of-header\r\nAccept: */*\r\n\r\n' },
      { s: ok('d') },
      { c: 'GET /fine HTTP/1.1\r\nHost: h\r\n\r\n' },
      { s: ok('ok') },
    ]);
    expect(summary(records)).toEqual([
      ['GET', '/damaged', 200, 0, 1, true],
      ['GET', '/fine', 200, 0, 2, false],
    ]);
    expect(records[0]?.http.request?.header).toEqual({ Host: ['h'] });
  });

  it('should resynchronise on the next status line after a gap in response headers or chunk framing', () => {
    const records = http([
      { c: 'GET /1 HTTP/1.1\r\nHost: h\r\n\r\n' },
      { s: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel' },
      { lost: 20, from: 's' },
      { s: '\r\n0\r\n\r\n' },
      { c: 'GET /2 HTTP/1.1\r\nHost: h\r\n\r\n' },
      { s: 'HTTP/1.1 500 Internal Server Error\r\nConte' },
      { lost: 40, from: 's' },
      { s: 'junk\r\n\r\nbody' },
      { c: 'GET /3 HTTP/1.1\r\nHost: h\r\n\r\n' },
      { s: ok('three') },
    ]);
    expect(summary(records)).toEqual([
      ['GET', '/1', 200, 0, 3, true],
      ['GET', '/2', 500, 0, 0, true],
      ['GET', '/3', 200, 0, 5, false],
    ]);
  });

  it('should record a response whose whole request was lost, and requests never answered', () => {
    const records = http(
      [{ lost: 40, from: 'c' }, { s: ok('orphan') }, { c: 'GET /waiting HTTP/1.1\r\nHost: h\r\n\r\n' }],
      undefined,
      false,
    );
    expect(summary(records)).toEqual([
      ['', '', 200, null, 6, true],
      ['GET', '/waiting', null, 0, null, false],
    ]);
  });

  it('should drop requests whose responses a gap swallowed, so later responses pair with their own request', () => {
    const records = http([
      { c: 'GET /1 HTTP/1.1\r\n\r\n' },
      { lost: 50, from: 's' },
      { c: 'GET /2 HTTP/1.1\r\n\r\n' },
      { s: ok('2') },
    ]);
    expect(summary(records)).toEqual([
      ['GET', '/1', null, 0, null, false],
      ['GET', '/2', 200, 0, 1, false],
    ]);
  });

  it('should keep a header named __proto__ as a header, not a prototype', () => {
    const [record] = http([{ c: 'GET / HTTP/1.1\r\n__proto__: x\r\nconstructor: y\r\n\r\n' }, { s: ok('') }]);
    const header = record?.http.request?.header ?? {};
    expect(Object.keys(header)).toEqual(['__proto__', 'Constructor']);
    expect(Object.getPrototypeOf(header)).toBe(Object.prototype);
    expect(JSON.stringify(header)).toBe('{"__proto__":["x"],"Constructor":["y"]}');
  });

  it('should recognise TLS at its first record header and parse nothing after it', () => {
    const clientHello = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x40]), Buffer.alloc(64, 7)]);
    const records = http([{ c: clientHello }, { c: 'GET / HTTP/1.1\r\n\r\n' }, { s: ok('') }]);
    expect(records).toEqual([]);
  });

  it('should ignore connections that are not HTTP', () => {
    const records = http([{ c: Buffer.alloc(20_000, 0x16) }, { s: 'HTTP/1.1 200 OK\r\n\r\n' }]);
    expect(records).toEqual([]);
  });

  it.each<[string, RedactionOptions, Record<string, string[]>, string]>([
    [
      'extended',
      { headers: ['x-api-key'], queryParameters: ['token'] },
      { Authorization: ['[redacted]'], 'X-Api-Key': ['[redacted]'], Accept: ['*/*'] },
      '/p?token=[redacted]&page=2',
    ],
    [
      'disabled',
      { disabled: true, headers: ['x-api-key'], queryParameters: ['token'] },
      { Authorization: ['Basic dTpw'], 'X-Api-Key': ['k'], Accept: ['*/*'] },
      '/p?token=t0p&page=2',
    ],
  ])('should apply %s redaction to headers and query parameters', (_name, redaction, header, uri) => {
    const [record] = http(
      [
        { c: 'GET /p?token=t0p&page=2 HTTP/1.1\r\nAuthorization: Basic dTpw\r\nX-Api-Key: k\r\nAccept: */*\r\n\r\n' },
        { s: ok('') },
      ],
      redaction,
    );
    expect(record?.http.request?.header).toEqual(header);
    expect(record?.http.uri).toBe(uri);
  });
});
