import { TestEnvError, TestEnvErrorCode } from './errors.js';
import type { ManagedProcess } from './processes.js';

export interface WaitOptions {
  /** What we wait for, for the error message ("etcd to report healthy"). */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** The process that should become ready: its exit ends the wait early and its log tail goes in errors. */
  process?: ManagedProcess;
}

/** Polls check() until it returns true; throws a TestEnvError with the process's last log lines otherwise. */
export async function waitUntil(check: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (options.process?.hasExited()) {
      const code = await options.process.exited;
      throw new TestEnvError(
        TestEnvErrorCode.ProcessExited,
        `${options.process.name} exited (${code}) while waiting for ${options.what}; ` +
          `log ${options.process.logPath}:\n${await options.process.tail()}`,
      );
    }
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
  const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  const log = options.process ? `; log ${options.process.logPath}:\n${await options.process.tail()}` : '';
  throw new TestEnvError(
    TestEnvErrorCode.NotReady,
    `Timed out after ${options.timeoutMs} ms waiting for ${options.what}${detail}${log}`,
    { cause: lastError },
  );
}

/** GET over plain HTTP; true when the status is 2xx. */
export async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return response.ok;
}
