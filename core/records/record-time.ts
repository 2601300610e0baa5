// RFC 3339 UTC with nine fractional digits, e.g. 2024-09-14T01:56:58.997252296Z.
export function formatTime(sec: number, nsec: number): string {
  const iso = new Date(sec * 1000).toISOString(); // 2024-09-14T01:56:58.000Z
  return `${iso.slice(0, 19)}.${String(nsec).padStart(9, '0')}Z`;
}

/** Integer nanoseconds from (sec, nsec) a to b. */
export function durationNs(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return Math.max(0, (bSec - aSec) * 1e9 + (bNsec - aNsec));
}
