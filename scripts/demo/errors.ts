// Errors of `npm run demo`: a stable code, a message meant for the person running it, and a cause.
export const DemoErrorCode = {
  MissingBinaries: 'TD_ERR_DEMO_MISSING_BINARIES',
  ControlPlane: 'TD_ERR_DEMO_CONTROL_PLANE',
  Agent: 'TD_ERR_DEMO_AGENT',
  Operator: 'TD_ERR_DEMO_OPERATOR',
  Recording: 'TD_ERR_DEMO_RECORDING',
  Files: 'TD_ERR_DEMO_FILES',
  Interrupted: 'TD_ERR_DEMO_INTERRUPTED',
} as const;
export type DemoErrorCode = (typeof DemoErrorCode)[keyof typeof DemoErrorCode];

export class DemoError extends Error {
  override readonly name = 'DemoError';
  constructor(
    readonly code: DemoErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Rejects with a DemoError(Interrupted) as soon as `signal` aborts; otherwise settles like `work`. */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(interrupted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(interrupted());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Waits `ms`, or rejects with a DemoError(Interrupted) when `signal` aborts first. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const slept = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return unlessAborted(slept, signal).finally(() => clearTimeout(timer));
}

function interrupted(): DemoError {
  return new DemoError(DemoErrorCode.Interrupted, 'Interrupted');
}
