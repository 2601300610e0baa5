// Loopback traffic for the demo: a UDP receiver on 127.0.0.1:<port> (so the kernel answers with no
// ICMP port-unreachable) and a sender of small numbered datagrams at a steady rate.
import { createSocket } from 'node:dgram';

const BURST = 10;
const EVERY_MS = 50;

export interface Traffic {
  /** Datagrams sent so far. */
  readonly sent: () => number;
  /** Idempotent. */
  stop(): Promise<void>;
}

export async function startUdpTraffic(port: number): Promise<Traffic> {
  const receiver = createSocket('udp4');
  const bound = await new Promise<boolean>((resolve) => {
    receiver.once('error', () => resolve(false));
    receiver.bind(port, '127.0.0.1', () => resolve(true));
  });
  receiver.on('error', () => undefined);
  const sender = createSocket('udp4');
  sender.on('error', () => undefined);
  let sent = 0;
  let stopped: Promise<void> | undefined;
  const timer = setInterval(() => {
    for (let i = 0; i < BURST; i++) sender.send(`tapedeck demo datagram ${sent++}`, port, '127.0.0.1');
  }, EVERY_MS);
  return {
    sent: () => sent,
    stop() {
      stopped ??= (async () => {
        clearInterval(timer);
        await new Promise<void>((resolve) => sender.close(() => resolve()));
        if (bound) await new Promise<void>((resolve) => receiver.close(() => resolve()));
      })();
      return stopped;
    },
  };
}
