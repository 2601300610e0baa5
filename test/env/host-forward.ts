import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder in the root namespace: listens on `listenHost:port` (the nodes' gateway address, same
 * port number as the target) and pipes every connection to 127.0.0.1:port. Lets processes inside simulated
 * nodes reach loopback-only services (MinIO, fake-gcs-server, a test gRPC server) at http://<gatewayIp>:<port>
 * without exposing those services beyond this machine's test bridges.
 */
export interface HostForward {
  /** <listenHost>:<port> */
  address: string;
  close(): Promise<void>;
}

export async function forwardToLoopback(listenHost: string, port: number): Promise<HostForward> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = connect(port, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, listenHost, () => resolve());
  });
  server.unref();
  return {
    address: `${listenHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
