// A session's export target whose client can be replaced between requests (new credentials), and the
// node-wide limit on files uploading at once that every session's target shares.
import type { OpenTarget } from './destination-target.js';
import type { ExportTarget, UploadJob } from './export-target.js';

/** A replaced client is closed this long after its replacement, when its requests have ended. */
const RETIRE_CLIENT_MS = 120_000;

/** The target of a session whose client can be replaced (new credentials) between requests. */
export class SwappableTarget implements ExportTarget {
  private retired: ReturnType<typeof setTimeout>[] = [];

  constructor(
    private current: OpenTarget,
    private readonly slots: Slots,
  ) {}

  get url(): string {
    return this.current.target.url;
  }

  get prefix(): string {
    return this.current.target.prefix;
  }

  async upload(job: UploadJob): ReturnType<ExportTarget['upload']> {
    return this.slots.run(() => this.current.target.upload(job));
  }

  putSmall(key: string, body: string, contentType: string): Promise<void> {
    return this.current.target.putSmall(key, body, contentType);
  }

  replace(next: OpenTarget): void {
    const old = this.current;
    this.current = next;
    const timer = setTimeout(() => old.close(), RETIRE_CLIENT_MS);
    timer.unref();
    this.retired.push(timer);
  }

  close(): void {
    for (const timer of this.retired) clearTimeout(timer);
    this.current.close();
  }
}

/** A counting semaphore: at most `limit` uploads run at once. */
export class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    // A released slot is handed to the next waiter directly, so a newcomer cannot take it meanwhile.
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
