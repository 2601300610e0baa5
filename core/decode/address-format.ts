// Text forms of addresses held as 32-bit words: dotted quad, RFC 5952 IPv6 (as Go's net.IP prints it).
export function formatIpv4(word: number): string {
  return `${word >>> 24}.${(word >>> 16) & 255}.${(word >>> 8) & 255}.${word & 255}`;
}

export function formatIpv6(words: ArrayLike<number>): string {
  const groups: number[] = [];
  for (let i = 0; i < 4; i++) {
    const w = words[i] ?? 0;
    groups.push(w >>> 16, w & 0xffff);
  }
  // IPv4-mapped addresses print as ::ffff:a.b.c.d
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIpv4(words[3] ?? 0)}`;
  }
  let bestStart = -1;
  let bestLength = 1; // a single zero group is not compressed
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

export function formatIp(family: number, words: ArrayLike<number>): string {
  return family === 4 ? formatIpv4(words[0] ?? 0) : formatIpv6(words);
}

/** "ip:port" or "[ip]:port". */
export function formatEndpoint(family: number, words: ArrayLike<number>, port: number): string {
  return family === 4 ? `${formatIpv4(words[0] ?? 0)}:${port}` : `[${formatIpv6(words)}]:${port}`;
}

/** The address bytes, for hashing (4 or 16 bytes, network order). */
export function addressBytes(family: number, words: ArrayLike<number>): Buffer {
  const out = Buffer.alloc(family === 4 ? 4 : 16);
  for (let i = 0; i < out.length / 4; i++) out.writeUInt32BE(words[i] ?? 0, i * 4);
  return out;
}
