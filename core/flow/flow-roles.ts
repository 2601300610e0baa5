// Who is the client when no SYN says so: the side talking to a server port, else the side that sent first.
import { TcpFlag, type PacketView } from '../decode/packet-view.js';
import { IpProtocol } from '../decode/packet-view.js';

// Registered ports above 1023 that are servers far more often than clients.
const SERVER_PORTS = new Set([
  1433, 1521, 2049, 2379, 2380, 3128, 3306, 3389, 5353, 5432, 5672, 6379, 6443, 8000, 8008, 8080, 8081, 8443, 8888,
  9000, 9090, 9092, 9200, 9300, 10250, 11211, 27017,
]);

function serverish(port: number): boolean {
  return port > 0 && (port < 1024 || SERVER_PORTS.has(port));
}

export interface Roles {
  /** True when the packet's sender is the client. */
  senderIsClient: boolean;
  /** Only "who sent first" decided it. */
  guessed: boolean;
}

export function decideRoles(view: PacketView, out: Roles): void {
  out.guessed = false;
  if (view.protocol === IpProtocol.Tcp && view.tcpFlags & TcpFlag.Syn) {
    out.senderIsClient = (view.tcpFlags & TcpFlag.Ack) === 0;
    return;
  }
  if (view.protocol === IpProtocol.Icmp || view.protocol === IpProtocol.Icmpv6) {
    out.senderIsClient = true;
    return;
  }
  const src = serverish(view.srcPort);
  const dst = serverish(view.dstPort);
  if (src !== dst) {
    out.senderIsClient = dst;
    return;
  }
  if (src && dst && view.srcPort !== view.dstPort) {
    out.senderIsClient = view.srcPort > view.dstPort; // both low: the lower port is the service
    return;
  }
  out.senderIsClient = true;
  out.guessed = true;
}
