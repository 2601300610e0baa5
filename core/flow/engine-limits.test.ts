import { describe, expect, it } from 'vitest';
import { feedRecordBatch } from '../capture/record-batch.js';
import type { FlowRecord, TrafficRecord } from '../records/record.js';
import { analyzeBuffer } from '../testing/analyze-buffer.js';
import { pcapFile, type Frame } from '../testing/capture-file.js';
import { tcpFrame, udpFrame } from '../testing/packet-builder.js';
import { FlowEngine } from './flow-engine.js';

const flowsOf = (records: TrafficRecord[]): FlowRecord[] => records.filter((r): r is FlowRecord => r.kind === 'flow');
const c = { ip: '10.6.0.1', port: 40000 };
const s = { ip: '10.6.0.2', port: 8080 };

describe('flow engine limits', () => {
  it('should evict the least recently used flow when the table is full and count it', () => {
    const frames: Frame[] = [];
    for (let i = 0; i < 5; i++)
      frames.push({ data: udpFrame({ ...c, port: 41000 + i }, s, Buffer.from('x')), time: 1 + i });
    frames.push({ data: udpFrame({ ...c, port: 41000 }, s, Buffer.from('y')), time: 10 }); // flow 0 again, after eviction
    const records: TrafficRecord[] = [];
    const engine = new FlowEngine({ onRecord: (r) => records.push(r), maxFlows: 3 });
    for (const f of frames) engine.packet(f.data, 0, f.data.length, f.data.length, Math.floor(f.time), 0, 1);
    engine.finish();
    expect(engine.stats.evictions).toBe(3);
    expect(flowsOf(records)).toHaveLength(6);
    // The first records written are the oldest flows, open when evicted.
    expect(
      flowsOf(records)
        .slice(0, 3)
        .map((f) => [f.client, f.end]),
    ).toEqual([
      ['10.6.0.1:41000', 'open'],
      ['10.6.0.1:41001', 'open'],
      ['10.6.0.1:41002', 'open'],
    ]);
  });

  it('should end an idle flow with "timeout" once packet time passes its timeout', () => {
    const records = analyzeBuffer(
      pcapFile([
        { data: udpFrame(c, { ...s, port: 53 }, Buffer.from('not dns')), time: 100 },
        { data: udpFrame({ ...c, port: 2 }, { ...s, port: 9999 }, Buffer.from('later')), time: 200 },
      ]),
      { udpTimeout: 30 },
    );
    const flows = flowsOf(records);
    expect(flows.map((f) => f.end)).toEqual(['timeout', 'open']);
  });

  it('should give up held out-of-order data as a gap when the engine-wide budget is spent', () => {
    const frames: Frame[] = [
      tcpFrame({ from: c, to: s, seq: 0, flags: 'S' }),
      tcpFrame({ from: s, to: c, seq: 0, ack: 1, flags: 'SA' }),
      // 1000 bytes missing at seq 1, then 3 segments of 1000 bytes held out of order
      ...[1001, 2001, 3001].map((seq) =>
        tcpFrame({ from: c, to: s, seq, ack: 1, flags: 'PA', payload: Buffer.alloc(1000, 1) }),
      ),
    ].map((data, i) => ({ data, time: 1 + i * 0.01 }));
    const engine = new FlowEngine({ onRecord: () => undefined, maxBufferedBytes: 1500 });
    for (const f of frames) engine.packet(f.data, 0, f.data.length, f.data.length, 1, 0, 1);
    engine.finish();
    expect(engine.stats.bufferOverflows).toBeGreaterThan(0);
    const records = analyzeBuffer(pcapFile(frames), { maxStreamBufferBytes: 1500 });
    expect(flowsOf(records)[0]).toMatchObject({
      gaps: { client: 1000, server: 0 },
      payload: { client: 3000, server: 0 },
    });
  });

  it("should read the agent's capture batches in place", () => {
    const frame = udpFrame(c, s, Buffer.from('batch'));
    const batch = Buffer.alloc(2 * (16 + frame.length));
    for (let i = 0; i < 2; i++) {
      const at = i * (16 + frame.length);
      batch.writeUInt32LE(1_700_000_000 + i, at);
      batch.writeUInt32LE(123, at + 4);
      batch.writeUInt32LE(frame.length, at + 8);
      batch.writeUInt32LE(frame.length, at + 12);
      frame.copy(batch, at + 16);
    }
    const records: TrafficRecord[] = [];
    const engine = new FlowEngine({ onRecord: (r) => records.push(r) });
    expect(feedRecordBatch(engine, batch, batch.length, 2, 1)).toBe(2);
    engine.finish();
    expect(flowsOf(records)[0]).toMatchObject({
      packets: { client: 2, server: 0 },
      time: '2023-11-14T22:13:20.000000123Z',
    });
  });
});
