// The HTTP/1.1 traffic of the http-records test: a Node server that logs every request it received as
// llhttp parsed it (method, url, raw headers, body bytes), and a client that sends a fixed plan over one
// keep-alive connection, then a pipelined pair on a second one, and logs every response it received.
export const HTTP_PORT = 8080;

export const HTTP_SERVER = `
import { createServer } from 'node:http';
const server = createServer((req, res) => {
  let body = 0;
  req.on('data', (chunk) => (body += chunk.length));
  req.on('end', () => {
    console.log(JSON.stringify({ method: req.method, url: req.url, rawHeaders: req.rawHeaders, body }));
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/ok') {
      res.setHeader('Set-Cookie', 'session=abc; HttpOnly');
      res.end('hello world');
    } else if (path === '/echo') {
      res.statusCode = 201;
      res.end('got ' + body);
    } else if (path === '/chunked') {
      res.write('first chunk,');
      setTimeout(() => { res.write('second,'); res.end('last'); }, 20);
    } else if (path === '/cached') {
      res.setHeader('ETag', '"v1"');
      if (req.headers['if-none-match'] === '"v1"') { res.statusCode = 304; res.end(); } else res.end('fresh');
    } else if (path === '/missing') {
      res.statusCode = 404;
      res.end('not found');
    } else if (path === '/error') {
      res.statusCode = 500;
      res.end();
    } else if (path === '/redirect') {
      res.statusCode = 302;
      res.setHeader('Location', '/ok');
      res.end();
    } else {
      res.statusCode = 400;
      res.end();
    }
  });
});
server.keepAliveTimeout = 30000;
server.listen(${HTTP_PORT}, process.argv[1], () => console.log('listening'));
`;

export const HTTP_CLIENT = `
import http from 'node:http';
import net from 'node:net';
const host = process.argv[1];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const plan = [
  { method: 'GET', path: '/ok?token=secret-token&page=1', headers: { Authorization: 'Bearer abc', Cookie: 'a=1', 'X-Api-Key': 'key-1' } },
  { method: 'POST', path: '/echo', headers: { 'Content-Type': 'text/plain', 'Content-Length': 3000 }, body: ['x'.repeat(3000)] },
  { method: 'GET', path: '/chunked' },
  { method: 'HEAD', path: '/ok' },
  { method: 'GET', path: '/cached' },
  { method: 'GET', path: '/cached', headers: { 'If-None-Match': '"v1"' } },
  { method: 'GET', path: '/missing', headers: { 'Proxy-Authorization': 'Basic dTpw' } },
  { method: 'PUT', path: '/error', body: ['part one,', 'part two'] },
  { method: 'GET', path: '/redirect' },
];
const responses = [];
for (const step of plan) {
  await new Promise((resolve, reject) => {
    const req = http.request({ host, port: ${HTTP_PORT}, method: step.method, path: step.path, headers: step.headers, agent }, (res) => {
      let body = 0;
      res.on('data', (chunk) => (body += chunk.length));
      res.on('end', () => { responses.push({ status: res.statusCode, rawHeaders: res.rawHeaders, body }); resolve(); });
    });
    req.on('error', reject);
    for (const part of step.body ?? []) req.write(part);
    req.end();
  });
}
agent.destroy();
// Two requests in one write; the second asks the server to close.
const raw = await new Promise((resolve, reject) => {
  const chunks = [];
  const s = net.connect(${HTTP_PORT}, host, () =>
    s.write('GET /ok HTTP/1.1\\r\\nHost: pipelined.test\\r\\n\\r\\nGET /missing HTTP/1.1\\r\\nHost: pipelined.test\\r\\nConnection: close\\r\\n\\r\\n'),
  );
  s.on('data', (c) => chunks.push(c));
  s.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
  s.on('error', reject);
});
// The server frames both with Content-Length.
for (let at = 0; at < raw.length; ) {
  const end = raw.indexOf('\\r\\n\\r\\n', at);
  const lines = raw.slice(at, end).split('\\r\\n');
  const rawHeaders = lines.slice(1).flatMap((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]);
  const length = Number(rawHeaders[rawHeaders.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === 'content-length') + 1]);
  responses.push({ status: Number(lines[0].split(' ')[1]), rawHeaders, body: length });
  at = end + 4 + length;
}
console.log(JSON.stringify(responses));
`;

export interface ServerLog {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly body: number;
}

export interface ClientLog {
  readonly status: number;
  readonly rawHeaders: string[];
  readonly body: number;
}

/** Go's canonical header names, values grouped in order, `redacted` names' values replaced. */
export function headerMap(rawHeaders: readonly string[], redacted: readonly string[]): Record<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '')
      .toLowerCase()
      .replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
    const values = out.get(name) ?? [];
    values.push(redacted.includes(name) ? '[redacted]' : (rawHeaders[i + 1] ?? ''));
    out.set(name, values);
  }
  return Object.fromEntries(out);
}
