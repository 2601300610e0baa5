// Merges the nodes' JSON record files (one record per line, core/records/record.schema.json) into one
// .jsonl in the order records were written: by end time (`time` + `duration`). Each file is already
// in that order, so a k-way merge over line readers keeps memory at one line per file whatever the
// sizes. A record without `node` gets the node it came from; other lines pass through unchanged.
import { createReadStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { CliError } from '../cli-error.js';
import type { NodeFile } from './merge-files.js';

export interface RecordMergeResult {
  readonly records: number;
}

interface Head {
  readonly input: number;
  readonly end: bigint;
  readonly line: string;
}

/** Nanoseconds since the epoch of an RFC 3339 UTC time with up to nine fractional digits. */
export function timeNs(time: string): bigint | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(time);
  if (!match) return undefined;
  const ms = Date.parse(`${match[1]}Z`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

function parseRecord(text: string, node: string, where: string): { end: bigint; line: string } {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new CliError('input', `${where}: not a JSON record: ${(error as Error).message}`, { cause: error });
  }
  const start = typeof record['time'] === 'string' ? timeNs(record['time']) : undefined;
  const duration = record['duration'];
  if (start === undefined || !Number.isSafeInteger(duration) || (duration as number) < 0)
    throw new CliError('input', `${where}: a record needs an RFC 3339 "time" and a nanosecond "duration"`);
  const line = record['node'] === undefined ? JSON.stringify({ ...record, node }) : text;
  return { end: start + BigInt(duration as number), line };
}

const before = (a: Head, b: Head): boolean => (a.end !== b.end ? a.end < b.end : a.input < b.input);

/** A min-heap on (end, input): ties keep the inputs' order, so a merge is deterministic. */
class Heap {
  private readonly a: Head[] = [];
  get size(): number {
    return this.a.length;
  }
  push(item: Head): void {
    const a = this.a;
    a.push(item);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): Head {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

const BATCH_BYTES = 1 << 20;

/** `temp`: where the output is written before the rename (same file system as `output`). */
export async function mergeRecordFiles(
  files: readonly NodeFile[],
  output: string,
  temp = `${output}.tmp-${process.pid}`,
): Promise<RecordMergeResult> {
  const readers = files.map((f) =>
    createInterface({ input: createReadStream(f.path), crlfDelay: Infinity })[Symbol.asyncIterator](),
  );
  const lineNumbers = files.map(() => 0);
  const next = async (input: number): Promise<Head | undefined> => {
    for (;;) {
      const step = await readers[input]!.next();
      if (step.done) return undefined;
      lineNumbers[input]!++;
      if (step.value.trim() === '') continue;
      const f = files[input]!;
      return { input, ...parseRecord(step.value, f.node, `${f.file.key} line ${lineNumbers[input]}`) };
    }
  };
  let out: FileHandle | undefined;
  try {
    out = await open(temp, 'w', 0o600);
    const heap = new Heap();
    for (let i = 0; i < files.length; i++) {
      const head = await next(i);
      if (head) heap.push(head);
    }
    let records = 0;
    let batch: string[] = [];
    let batchBytes = 0;
    while (heap.size > 0) {
      const head = heap.pop();
      batch.push(head.line, '\n');
      batchBytes += head.line.length + 1;
      records++;
      if (batchBytes >= BATCH_BYTES) {
        await out.write(batch.join(''));
        batch = [];
        batchBytes = 0;
      }
      const following = await next(head.input);
      if (following) heap.push(following);
    }
    await out.write(batch.join(''));
    await out.sync();
    await out.close();
    out = undefined;
    await rename(temp, output);
    return { records };
  } catch (error) {
    await out?.close().catch(() => {});
    await rm(temp, { force: true });
    if (error instanceof CliError) throw error;
    throw new CliError('output', `Writing ${output} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    for (const r of readers) await r.return?.();
  }
}
