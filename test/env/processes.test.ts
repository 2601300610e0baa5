import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestEnvErrorCode } from './errors.js';
import { startProcess } from './processes.js';
import { waitUntil } from './readiness.js';

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startProcess', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapedeck-processes-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should stop the whole process group, children included', async () => {
    const p = await startProcess({
      name: 'tree',
      command: 'sh',
      args: ['-c', 'sleep 300 & sleep 300 & wait'],
      logDir: dir,
    });
    expect(groupAlive(p.pid)).toBe(true);
    await p.stop();
    expect(p.hasExited()).toBe(true);
    expect(groupAlive(p.pid)).toBe(false);
  });

  it('should keep output in <logDir>/<name>.log', async () => {
    const p = await startProcess({ name: 'echo', command: 'sh', args: ['-c', 'echo one; echo two >&2'], logDir: dir });
    await p.exited;
    expect(p.logPath).toBe(join(dir, 'echo.log'));
    expect(await p.tail()).toBe('one\ntwo');
  });
});

describe('waitUntil', () => {
  it('should fail with the last log lines when the process exits before it is ready', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tapedeck-wait-'));
    try {
      const p = await startProcess({ name: 'dies', command: 'sh', args: ['-c', 'echo boom; exit 3'], logDir: dir });
      const error = await waitUntil(async () => false, { what: 'readiness', timeoutMs: 60_000, process: p }).catch(
        (err: unknown) => err,
      );
      expect(error).toMatchObject({ code: TestEnvErrorCode.ProcessExited });
      expect((error as Error).message).toContain('dies exited (3)');
      expect((error as Error).message).toContain('boom');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('should name what it waited for and the last error on timeout', async () => {
    const error = await waitUntil(
      async () => {
        throw new Error('connection refused');
      },
      { what: 'the moon', timeoutMs: 0 },
    ).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: TestEnvErrorCode.NotReady });
    expect((error as Error).message).toMatch(/waiting for the moon \(last error: connection refused\)/);
  });
});
