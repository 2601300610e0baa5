import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { pcapFile } from '../core/testing/capture-file.js';
import { udpFrame } from '../core/testing/packet-builder.js';
import { scriptCapture } from '../core/testing/tcp-script.js';
import { assertValidRecord } from '../core/testing/validate-record.js';

const main = resolve(import.meta.dirname, 'main.ts');

function tapedeck(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', main, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'tapedeck-cli-'));
const capture = join(dir, 'dns.pcap');
const c = { ip: '10.5.0.1', port: 5000 };
const s = { ip: '10.5.0.2', port: 53 };
writeFileSync(
  capture,
  pcapFile([
    {
      time: 1,
      data: udpFrame(
        c,
        s,
        dnsPacket.encode({ type: 'query', id: 3, questions: [{ name: 'cli.test', type: 'A', class: 'IN' }] }),
      ),
    },
  ]),
);

describe('tapedeck', () => {
  it('should show an example and the exit codes in analyze --help', async () => {
    const { code, stdout } = await tapedeck('analyze', '--help');
    expect(code).toBe(0);
    expect(stdout).toContain('tapedeck analyze --format json capture.pcap');
    expect(stdout).toMatch(/Exit codes:\n\s+0\s+success/);
  });

  it.each([
    ['an unknown option', ['analyze', '--bogus', capture]],
    ['no file', ['analyze']],
    ['an unknown format', ['analyze', '--format', 'xml', capture]],
    ['an unknown command', ['analyse', capture]],
    ['a redacted header that is no header name', ['analyze', '--redact-header', 'X Api', capture]],
  ])('should exit 1 with a short error for %s', async (_what, args) => {
    const { code, stderr } = await tapedeck(...args);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: /);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('should write JSON Lines to stdout', async () => {
    const { code, stdout, stderr } = await tapedeck('analyze', '--format', 'json', capture);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const records = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    records.forEach(assertValidRecord);
    expect(records).toHaveLength(2); // the unanswered query and its flow
  });

  it('should write -o through a temporary name and leave only the finished file', async () => {
    const out = join(mkdtempSync(join(dir, 'out-')), 'records.jsonl');
    const { code } = await tapedeck('analyze', capture, '-o', out);
    expect(code).toBe(0);
    expect(readdirSync(join(out, '..'))).toEqual(['records.jsonl']);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it.each<[string, string[], string[], string]>([
    ['the defaults', [], ['[redacted]', 'k'], '/p?token=t'],
    [
      '--redact-header and --redact-query',
      ['--redact-header', 'x-api-key', '--redact-query', 'token'],
      ['[redacted]', '[redacted]'],
      '/p?token=[redacted]',
    ],
    ['--no-redact', ['--no-redact', '--redact-header', 'x-api-key'], ['Basic dTpw', 'k'], '/p?token=t'],
  ])('should redact HTTP records with %s', async (_what, flags, [authorization, apiKey], uri) => {
    const web = join(dir, 'web.pcap');
    writeFileSync(
      web,
      scriptCapture([
        { c: 'GET /p?token=t HTTP/1.1\r\nHost: web.test\r\nAuthorization: Basic dTpw\r\nX-Api-Key: k\r\n\r\n' },
        { s: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' },
      ]),
    );
    const { code, stdout } = await tapedeck('analyze', ...flags, web);
    expect(code).toBe(0);
    const http = stdout
      .trim()
      .split('\n')
      .map(
        (l) => JSON.parse(l) as { kind: string; http?: { uri: string; request: { header: Record<string, string[]> } } },
      )
      .filter((r) => r.kind === 'http');
    expect(http).toHaveLength(1);
    expect(http[0]?.http?.uri).toBe(uri);
    expect(http[0]?.http?.request.header).toMatchObject({ Authorization: [authorization], 'X-Api-Key': [apiKey] });
  });

  it('should refuse to write into a directory that does not exist, in one line', async () => {
    const { code, stderr } = await tapedeck('analyze', capture, '-o', join(dir, 'missing', 'x.jsonl'));
    expect(code).toBe(4);
    expect(stderr.trim()).toMatch(/^tapedeck: cannot write .*x\.jsonl: ENOENT$/);
  });

  it.each(['fetch', 'ls', 'status', 'completion'])(
    'should show an example and the exit codes in %s --help',
    async (command) => {
      const { code, stdout } = await tapedeck(command, '--help');
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`Examples:\\n  (source <\\()?tapedeck ${command}`));
      expect(stdout).toMatch(/Exit codes:\n\s+0\s+success/);
    },
  );

  it('should call itself `kubectl tapedeck` when run as the kubectl plugin kubectl-tapedeck', async () => {
    const plugin = join(mkdtempSync(join(dir, 'plugin-')), 'kubectl-tapedeck.ts');
    symlinkSync(main, plugin);
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((done) =>
      execFile(process.execPath, ['--import', 'tsx', plugin, 'status', '--help'], { timeout: 30_000 }, (err, out) =>
        done({ code: err ? Number(err.code) : 0, stdout: out }),
      ),
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: kubectl tapedeck status \[options\] <namespace\/name>/);
  });
});
