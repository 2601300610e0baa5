// JSON Lines out: records are joined into large writes; with -o the file is written under a temporary name
// and renamed when complete, so nothing half-written is ever left at the output path.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import type { TrafficRecord } from '../../core/records/record.js';

const FLUSH_BYTES = 1 << 20;

export class RecordOutput {
  records = 0;
  private parts: string[] = [];
  private pending = 0;
  private readonly fd: number | undefined;
  private readonly temp: string | undefined;

  constructor(private readonly path: string | undefined) {
    if (path) {
      this.temp = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
      this.fd = openSync(this.temp, 'wx', 0o644);
    }
  }

  write = (record: TrafficRecord): void => {
    const line = `${JSON.stringify(record)}\n`;
    this.parts.push(line);
    this.pending += line.length;
    this.records++;
  };

  /** Writes what is buffered once enough has gathered (or always, with force); waits for stdout to drain. */
  async flush(force = false): Promise<void> {
    if (this.pending === 0 || (!force && this.pending < FLUSH_BYTES)) return;
    const text = this.parts.join('');
    this.parts = [];
    this.pending = 0;
    if (this.fd !== undefined) {
      writeSync(this.fd, text);
      return;
    }
    if (!process.stdout.write(text)) {
      await new Promise<void>((resolve, reject) => {
        process.stdout.once('drain', resolve);
        process.stdout.once('error', reject);
      });
    }
  }

  async close(): Promise<void> {
    await this.flush(true);
    if (this.fd === undefined || !this.temp || !this.path) return;
    closeSync(this.fd);
    renameSync(this.temp, this.path);
  }

  abandon(): void {
    if (this.fd === undefined || !this.temp) return;
    closeSync(this.fd);
    rmSync(this.temp, { force: true });
  }
}
