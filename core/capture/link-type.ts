// Link-layer header types (https://www.tcpdump.org/linktypes.html) the flow engine decodes.
export const LinkType = {
  Null: 0, // BSD loopback: 4-byte address family in host order
  Ethernet: 1,
  Raw: 101, // bare IPv4 or IPv6
  Loop: 108, // OpenBSD loopback: address family in network order
  LinuxSll: 113, // Linux cooked capture v1 (`any` on older libpcap)
  Ipv4: 228,
  Ipv6: 229,
  LinuxSll2: 276, // Linux cooked capture v2 (`any` on libpcap ≥ 1.10)
} as const;
export type LinkType = (typeof LinkType)[keyof typeof LinkType];

const names = new Map<number, string>(Object.entries(LinkType).map(([name, value]) => [value, name]));

export function isSupportedLinkType(linkType: number): boolean {
  return names.has(linkType);
}

export function linkTypeName(linkType: number): string {
  return names.get(linkType) ?? `link type ${linkType}`;
}

export function supportedLinkTypes(): string {
  return [...names.entries()].map(([value, name]) => `${name} (${value})`).join(', ');
}
