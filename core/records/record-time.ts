// RFC 3339 UTC with nine fractional digits, e.g. 2024-09-14T01:56:58.997252296Z. Damaged timestamps
// (a fraction of a second past 10^9, a year beyond 9999) are normalised and clamped rather than thrown on.
const MAX_SECONDS = 253_402_300_799; // 9999-12-31T23:59:59Z

export function formatTime(sec: number, nsec: number): string {
  let s = Math.trunc(sec) + Math.floor(nsec / 1e9);
  let n = Math.floor(nsec % 1e9);
  if (!Number.isFinite(s) || s < 0) [s, n] = [0, 0];
  if (s > MAX_SECONDS) [s, n] = [MAX_SECONDS, 999_999_999];
  if (s !== lastSecond) {
    lastSecond = s;
    lastPrefix = new Date(s * 1000).toISOString().slice(0, 19); // 2024-09-14T01:56:58
  }
  return `${lastPrefix}.${String(n).padStart(9, '0')}Z`;
}

// Records come in time order, many per second: the date part is formatted once per second.
let lastSecond = -1;
let lastPrefix = '';

/** Integer nanoseconds from (sec, nsec) a to b. */
export function durationNs(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  const d = Math.round((bSec - aSec) * 1e9 + (bNsec - aNsec));
  return Number.isFinite(d) && d > 0 ? d : 0;
}
