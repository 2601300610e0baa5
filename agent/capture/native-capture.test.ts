// Captures on the loopback device (the tests run as root) with the real
// native engine: a filter built from include entries keeps exactly the
// matching packets, with their original length and nanosecond timestamps.
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { promisify } from 'node:util';
import type { SocketType } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { CaptureError, FilterError } from './capture-error.js';
import { compileFilter, LinkType } from './compile-filter.js';
import { buildFilter } from './filter.js';
import { listInterfaces } from './list-interfaces.js';
import { openNativeCapture } from './native-capture.js';
import type { PacketBatch } from './packet-batch.js';
import { RECORD_HEADER_BYTES } from './packet-batch.js';

interface Captured {
  family: 4 | 6;
  destinationPort: number;
  tsSec: number;
  tsNsec: number;
  capturedLength: number;
  originalLength: number;
}

/** Decodes the records of a batch captured on "lo" (DLT_EN10MB with a zeroed Ethernet header). */
function decode(batch: PacketBatch): Captured[] {
  const out: Captured[] = [];
  const d = batch.data;
  for (let off = 0, n = 0; n < batch.packets; n++) {
    const [tsSec, tsNsec, capturedLength, originalLength] = [0, 4, 8, 12].map((i) => d.readUInt32LE(off + i));
    const frame = off + RECORD_HEADER_BYTES;
    const v4 = d.readUInt16BE(frame + 12) === 0x0800;
    const l4 = v4 ? frame + 14 + (d[frame + 14]! & 0x0f) * 4 : frame + 14 + 40;
    out.push({
      family: v4 ? 4 : 6,
      destinationPort: d.readUInt16BE(l4 + 2),
      tsSec: tsSec!,
      tsNsec: tsNsec!,
      capturedLength: capturedLength!,
      originalLength: originalLength!,
    });
    off = frame + capturedLength!;
  }
  return out;
}

async function send(type: SocketType, host: string, port: number, count: number, bytes = 64): Promise<void> {
  const socket = createSocket(type);
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve, reject) =>
      socket.send(Buffer.alloc(bytes, i), port, host, (err) => (err ? reject(err) : resolve())),
    );
  }
  socket.close();
}

const base = 41000 + Math.floor(Math.random() * 20000);
const [portA, portB, portC] = [base, base + 1, base + 2];

describe('openNativeCapture', () => {
  it('should keep exactly the packets matching an include entry', async () => {
    const filter = buildFilter({
      include: [
        { sourceCIDR: '127.0.0.1/32', destinationCIDR: '127.0.0.0/8', destinationPort: portA, protocol: 'UDP' },
        { sourceCIDR: '::1/128', destinationCIDR: '::/0', destinationPort: portB, protocol: 'UDP' },
      ],
    });
    const handle = openNativeCapture({ interface: 'lo', filter, snaplen: 0 });
    const seen: Captured[] = [];
    handle.onBatch((batch) => {
      seen.push(...decode(batch));
      batch.release();
    });
    await send('udp4', '127.0.0.1', portA, 50); // kept
    await send('udp4', '127.0.0.1', portC, 40); // wrong port
    await send('udp6', '::1', portB, 30); // kept
    await send('udp6', '::1', portA, 20); // IPv6 to the IPv4 entry's port
    const stats = await handle.close();

    expect(handle.linkType).toBe(LinkType.Ethernet);
    expect(seen.filter((p) => p.family === 4 && p.destinationPort === portA)).toHaveLength(50);
    expect(seen.filter((p) => p.family === 6 && p.destinationPort === portB)).toHaveLength(30);
    expect(seen).toHaveLength(80);
    expect(stats).toMatchObject({ packetsReceived: 80, kernelDropped: 0, agentDropped: 0, agentDroppedBytes: 0 });
    for (const p of seen) {
      expect(p.tsNsec).toBeLessThan(1e9);
      expect(p.capturedLength).toBe(p.originalLength);
    }
  });

  it('should hand over a partial batch while the capture stays open', async () => {
    const handle = openNativeCapture({ interface: 'lo', filter: `udp and dst port ${portC}`, snaplen: 0 });
    let packets = 0;
    const allThree = new Promise<void>((resolve) =>
      handle.onBatch((batch) => {
        packets += batch.packets;
        batch.release();
        if (packets >= 3) resolve();
      }),
    );
    await send('udp4', '127.0.0.1', portC, 3);
    await allThree; // no close() yet: the block and batch timeouts must flush them
    await handle.close();
    expect(packets).toBe(3);
  });

  it('should cut packets at snaplen and keep their original length', async () => {
    const handle = openNativeCapture({ interface: 'lo', filter: `udp and dst port ${portC}`, snaplen: 60 });
    const seen: Captured[] = [];
    const lastRecordOffsets: [number | undefined, number][] = [];
    handle.onBatch((batch) => {
      seen.push(...decode(batch));
      // Where the last record begins: records before it are whole, and it ends the batch.
      lastRecordOffsets.push([batch.lastRecordOffset, batch.length - RECORD_HEADER_BYTES - 60]);
      batch.release();
    });
    await send('udp4', '127.0.0.1', portC, 5, 1000);
    await handle.close();
    expect(seen.map((p) => [p.capturedLength, p.originalLength])).toEqual(Array(5).fill([60, 14 + 20 + 8 + 1000]));
    expect(lastRecordOffsets.length).toBeGreaterThan(0);
    for (const [reported, expected] of lastRecordOffsets) expect(reported).toBe(expected);
  });

  it('should deliver batches queued before the listener and survive a close from inside the listener', async () => {
    const handle = openNativeCapture({ interface: 'lo', filter: `udp and dst port ${portA}`, snaplen: 0 });
    await send('udp4', '127.0.0.1', portA, 10);
    let packets = 0;
    let closing: Promise<unknown> | undefined;
    handle.onBatch((batch) => {
      packets += batch.packets;
      closing ??= handle.close();
      batch.release();
      batch.release(); // idempotent
    });
    await handle.close();
    await closing;
    expect(packets).toBe(10);
    expect(handle.stats().packetsReceived).toBe(10);
  });

  it('should end the capture with the error of a throwing batch listener instead of swallowing it', async () => {
    const handle = openNativeCapture({
      interface: 'lo',
      filter: `udp and dst port ${portA}`,
      snaplen: 0,
      timeoutMs: 5,
    });
    const errors: Error[] = [];
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => void uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const ended = new Promise<void>((resolve) =>
        handle.onError((error) => {
          errors.push(error);
          resolve();
        }),
      );
      handle.onBatch(() => {
        throw new Error('disk on fire');
      });
      await send('udp4', '127.0.0.1', portA, 3);
      await ended;
      await handle.close();
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(errors.map((e) => e.message)).toEqual(['batch listener: disk on fire']);
    expect(uncaught).toEqual([]);
  });

  it('should make the capture thread wait for a held batch instead of dropping packets', async () => {
    // Two 64 KiB batches, each held for 300 ms: the pool is exhausted most of the time.
    const handle = openNativeCapture({
      interface: 'lo',
      filter: `udp and dst port ${portB}`,
      snaplen: 256,
      timeoutMs: 5,
      batchCount: 2,
      batchBytes: 64 * 1024,
    });
    let packets = 0;
    handle.onBatch((batch) => {
      packets += batch.packets;
      setTimeout(() => batch.release(), 300);
    });
    await send('udp4', '127.0.0.1', portB, 3000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await handle.close();
    const raw = handle.rawStats();
    expect(raw.poolWaits).toBeGreaterThan(0);
    expect(raw.agentDropped).toBe(0);
    expect(raw.kernelDropped).toBe(0);
    expect(raw.delivered).toBe(3000);
    expect(packets).toBe(3000);
  });

  it('should let the process exit cleanly while batches are being delivered', async () => {
    const child = `
      import { createSocket } from 'node:dgram';
      import { openNativeCapture } from './agent/capture/native-capture.ts';
      const handle = openNativeCapture({ interface: 'lo', filter: 'udp and dst port ${portB}', snaplen: 0 });
      let packets = 0;
      handle.onBatch((batch) => { packets += batch.packets; batch.release(); });
      const socket = createSocket('udp4');
      const send = () => { for (let i = 0; i < 200; i++) socket.send(Buffer.alloc(64), ${portB}, '127.0.0.1'); };
      setInterval(send, 1);
      setTimeout(() => { console.log(packets > 0 ? 'delivered' : 'nothing'); process.exit(0); }, 500);
    `;
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      child,
    ]);
    expect(stdout.trim()).toBe('delivered');
  });

  it('should fail with a typed error on an unknown interface', () => {
    expect(() => openNativeCapture({ interface: 'tapedeck-none0', filter: '', snaplen: 0 })).toThrow(CaptureError);
    expect(() => openNativeCapture({ interface: 'tapedeck-none0', filter: '', snaplen: 0 })).toThrow(
      /tapedeck-none0.*No such device/,
    );
  });

  it('should refuse a filter that does not compile', () => {
    expect(() => openNativeCapture({ interface: 'lo', filter: 'udp and', snaplen: 0 })).toThrow(FilterError);
  });

  it.each([{ snaplen: -1 }, { snaplen: 262_145 }, { snaplen: 0, bufferBytes: 1 }, { snaplen: 0, batchCount: 0 }])(
    'should reject out-of-range options %j',
    (options) => {
      expect(() => openNativeCapture({ interface: 'lo', filter: '', ...options })).toThrow(
        expect.objectContaining({ code: 'TD_ERR_CAPTURE_OPTIONS' }),
      );
    },
  );
});

describe('compileFilter', () => {
  it('should return the BPF program length for a valid expression', () => {
    expect(compileFilter('udp and port 53', LinkType.Ethernet)).toBeGreaterThan(0);
    expect(compileFilter('tcp', LinkType.LinuxSll)).toBeGreaterThan(0);
  });

  it("should throw pcap's message", () => {
    expect(() => compileFilter('port 99999')).toThrow(expect.objectContaining({ code: 'TD_ERR_CAPTURE_FILTER' }));
    expect(() => compileFilter('port 99999')).toThrow(/illegal port number 99999 > 65535/);
  });
});

describe('listInterfaces', () => {
  it('should list the loopback device', () => {
    expect(listInterfaces()).toContainEqual(expect.objectContaining({ name: 'lo', loopback: true }));
  });
});
