// The real BuildFilter: include entries + bpf → one pcap-filter expression,
// validated and compiled once by the capture engine (agent/capture/filter.ts).
import { buildFilter } from '../capture/filter.js';
import type { IncludeEntry } from '../session/session-spec.js';
import type { BuildFilter } from './hubble-request.js';

function anyAddress(other: string): string {
  return other.includes(':') ? '::/0' : '0.0.0.0/0';
}

export const captureFilter: BuildFilter = (
  include: readonly IncludeEntry[],
  bpf: string,
  endpointIps: readonly string[] = [],
) =>
  buildFilter({
    include: include.map((entry) => ({
      // tapedeck's API lets an empty CIDR mean "any address" of the other side's family.
      sourceCIDR: entry.sourceCIDR || anyAddress(entry.destinationCIDR),
      destinationCIDR: entry.destinationCIDR || anyAddress(entry.sourceCIDR),
      sourcePort: entry.sourcePort,
      destinationPort: entry.destinationPort,
      // The capture engine picks icmp or icmp6 from the address family.
      protocol: entry.protocol === 'ICMPV6' ? 'ICMP' : entry.protocol,
    })),
    bpf,
    endpointIps,
  });
