// 32-bit TCP sequence arithmetic (RFC 793/1982): differences wrap, so a - b is read as a signed 32-bit number.
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
