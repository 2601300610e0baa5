// What a flow tells the consumers and record builders about itself: endpoints in record form, its ids,
// and the times of its first packet.
export interface FlowInfo {
  readonly protocol: number;
  /** Server port (0 for protocols without ports). */
  readonly serverPort: number;
  readonly clientPort: number;
  /** True when the roles came only from who sent first: a consumer that knows better may swap them. */
  readonly rolesGuessed: boolean;
  /** Makes the other side the client (e.g. a DNS consumer that saw the first packet was a response). */
  swapRoles(): void;
  /** 16 hex characters, shared by this flow's flow record and its application records. */
  flowId(): string;
  communityId(): string;
  /** "ip:port", IPv6 as "[ip]:port"; bare address for ICMP. */
  client(): string;
  server(): string;
  network(): string;
}
