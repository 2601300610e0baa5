// Go-style duration strings ("90s", "1h30m", "1.5h", "250ms"), as used by the
// Recording spec. Returned in milliseconds; sub-millisecond units are rounded.

const unitMs = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
} as const;

type Unit = keyof typeof unitMs;

const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

export const DurationErrorCode = { Invalid: 'TD_ERR_DURATION_INVALID' } as const;

export class DurationError extends Error {
  readonly code = DurationErrorCode.Invalid;
  constructor(readonly input: string) {
    super(`invalid duration ${JSON.stringify(input)}: want a Go duration such as "90s", "5m" or "1h30m"`);
    this.name = 'DurationError';
  }
}

/** Parses a non-negative Go duration; "0" and "" are zero. Throws DurationError. */
export function parseDuration(input: string): number {
  if (input === '' || input === '0') return 0;
  let total = 0;
  part.lastIndex = 0;
  while (part.lastIndex < input.length) {
    const at = part.lastIndex;
    const match = part.exec(input);
    if (match === null || match.index !== at) throw new DurationError(input);
    const [, value, unit] = match;
    total += Number(value) * unitMs[unit as Unit];
  }
  return Math.round(total);
}

/** Formats milliseconds the way Go prints durations (e.g. "1h30m0s", "500ms"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1_000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1_000;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}
