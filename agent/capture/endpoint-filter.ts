// The endpoint list of a filter (e.g. the pod IPs of a podSelector) as one
// pcap-filter term: `((ip and (host a or host b …)) or (ip6 and (host x …)))`.
// Grouping by family lets libpcap test the EtherType once per family, so an
// IPv4 address costs about 3 BPF instructions: 1024 addresses fit the kernel's
// 4096-instruction limit.
import { isIPv4, isIPv6 } from 'node:net';
import { FilterError } from './capture-error.js';

export const MAX_ENDPOINT_IPS = 1024;
const MAX_ADDRESS_LENGTH = 45;

/** Validates every address (plain IPv4 or IPv6, no prefix, no zone); "" for an empty list. */
export function endpointExpression(ips: readonly string[]): string {
  if (!Array.isArray(ips)) throw new FilterError('endpointIps', 'must be a list');
  if (ips.length > MAX_ENDPOINT_IPS) {
    throw new FilterError('endpointIps', `has ${ips.length} addresses, at most ${MAX_ENDPOINT_IPS} are allowed`);
  }
  const v4 = new Set<string>();
  const v6 = new Set<string>();
  for (const [i, ip] of ips.entries()) {
    const text = typeof ip === 'string' ? ip : '';
    if (text.length <= MAX_ADDRESS_LENGTH && isIPv4(text)) v4.add(text);
    else if (text.length <= MAX_ADDRESS_LENGTH && isIPv6(text) && !text.includes('%')) v6.add(text.toLowerCase());
    else {
      throw new FilterError(
        `endpointIps[${i}]`,
        `${JSON.stringify(String(ip).slice(0, 64))} is not an IPv4 or IPv6 address`,
      );
    }
  }
  const groups = [
    v4.size > 0 ? `(ip and (${[...v4].map((a) => `host ${a}`).join(' or ')}))` : '',
    v6.size > 0 ? `(ip6 and (${[...v6].map((a) => `host ${a}`).join(' or ')}))` : '',
  ].filter((g) => g !== '');
  return groups.length === 0 ? '' : `(${groups.join(' or ')})`;
}
