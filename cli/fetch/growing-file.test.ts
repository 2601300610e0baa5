import { appendFile, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GrowingFile } from './growing-file.js';

describe('GrowingFile', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'growing-file-'));
    path = join(dir, 'file.partial');
    await writeFile(path, '');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const settledYet = async (promise: Promise<unknown>): Promise<boolean> => {
    let settled = false;
    void promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    return settled;
  };

  it('should wait for written bytes, read them as they come, and end only once verified', async () => {
    const file = new GrowingFile(6);
    const into = Buffer.alloc(16);
    const first = file.read(into, 0, 16);
    expect(await settledYet(first)).toBe(false); // not opened yet
    file.opened(await open(path, 'r'), 0);
    await appendFile(path, 'abc');
    file.grew(3);
    // Asked for 16, the file has 6: it waits for all six rather than handing out slivers.
    expect(await settledYet(first)).toBe(false);
    await appendFile(path, 'def');
    file.grew(3);
    expect(await first).toBe(6);
    expect(into.subarray(0, 6).toString()).toBe('abcdef');
    const end = file.read(into, 0, 16);
    expect(await settledYet(end)).toBe(false); // all bytes there, not yet verified
    file.verify();
    expect(await end).toBe(0);
    await file.close();
  });

  it('should hand out what is there when the caller asks for less than has arrived', async () => {
    const file = new GrowingFile(10);
    await appendFile(path, '0123456789');
    file.opened(await open(path, 'r'), 4);
    const into = Buffer.alloc(3);
    expect(await file.read(into, 0, 3)).toBe(3);
    expect(into.toString()).toBe('012');
    file.grew(6);
    file.verify();
    const rest = Buffer.alloc(16);
    expect(await file.read(rest, 0, 16)).toBe(7);
    expect(rest.subarray(0, 7).toString()).toBe('3456789');
    expect(await file.read(rest, 0, 16)).toBe(0);
    await file.close();
  });

  it("should fail a waiting read and every later one with the download's error", async () => {
    const file = new GrowingFile(8);
    file.opened(await open(path, 'r'), 0);
    const waiting = file.read(Buffer.alloc(8), 0, 8);
    const mismatch = new Error('sha256 mismatch');
    file.fail(mismatch);
    await expect(waiting).rejects.toBe(mismatch);
    await expect(file.read(Buffer.alloc(8), 0, 8)).rejects.toBe(mismatch);
    expect(file.settled).toBe(true);
    await file.close();
  });

  it('should end an empty file once it is verified', async () => {
    const file = new GrowingFile(0);
    file.opened(await open(path, 'r'), 0);
    const end = file.read(Buffer.alloc(8), 0, 8);
    expect(await settledYet(end)).toBe(false);
    file.verify();
    expect(await end).toBe(0);
    await file.close();
  });
});
