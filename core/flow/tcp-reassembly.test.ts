import { describe, expect, it } from 'vitest';
import { HANDSHAKE, runConversation, type Step } from '../testing/tcp-conversation.js';

// Client data "hello world" as two segments: "hello " at relative seq 1, "world" at 7.
const HELLO: Step = { dir: 'c', seq: 1, ack: 1, flags: 'PA', payload: 'hello ' };
const WORLD: Step = { dir: 'c', seq: 7, ack: 1, flags: 'PA', payload: 'world' };
const SERVER_ACK: Step = { dir: 's', seq: 1, ack: 12, flags: 'A' };
const REPLY: Step = { dir: 's', seq: 1, ack: 12, flags: 'PA', payload: 'ok' };
const CLIENT_CLOSE: Step[] = [
  { dir: 'c', seq: 12, ack: 3, flags: 'FA' },
  { dir: 's', seq: 3, ack: 13, flags: 'FA' },
  { dir: 'c', seq: 13, ack: 4, flags: 'A' },
];

describe('TCP reassembly', () => {
  it('should deliver an orderly connection and record Zeek history ShADadFf', () => {
    const { flow, streams } = runConversation([...HANDSHAKE, HELLO, WORLD, SERVER_ACK, REPLY, ...CLIENT_CLOSE]);
    expect(streams).toEqual({ client: 'hello world', server: 'ok' });
    expect(flow).toMatchObject({
      end: 'client-hup',
      history: 'ShADadFf',
      payload: { client: 11, server: 2 },
      packets: { client: 6, server: 4 },
      gaps: { client: 0, server: 0 },
      conflicts: 0,
      client: '10.0.0.1:40000',
      server: '10.0.0.2:80',
      network: 'tcp',
    });
  });

  it('should reorder segments that arrive out of order', () => {
    const { flow, streams } = runConversation([...HANDSHAKE, WORLD, HELLO, SERVER_ACK]);
    expect(streams.client).toBe('hello world');
    expect(flow.payload.client).toBe(11);
    expect(flow.history).not.toMatch(/T/);
    expect(flow.end).toBe('open');
  });

  it('should deliver a retransmitted segment once and mark the retransmission', () => {
    const { flow, streams } = runConversation([...HANDSHAKE, HELLO, HELLO, WORLD, SERVER_ACK]);
    expect(streams.client).toBe('hello world');
    expect(flow.payload.client).toBe(11);
    expect(flow.history).toContain('T');
    expect(flow.conflicts).toBe(0);
  });

  it('should keep the first copy and count a conflict when a retransmission differs', () => {
    const changed: Step = { ...HELLO, payload: 'HELLO ' };
    const { flow, streams } = runConversation([...HANDSHAKE, HELLO, changed, WORLD]);
    expect(streams.client).toBe('hello world');
    expect(flow.conflicts).toBe(1);
  });

  it('should keep the first buffered copy when overlapping out-of-order copies differ', () => {
    const first: Step = { dir: 'c', seq: 7, ack: 1, flags: 'PA', payload: 'wor' };
    const overlapping: Step = { dir: 'c', seq: 8, ack: 1, flags: 'PA', payload: 'XRLD' };
    const { flow, streams } = runConversation([...HANDSHAKE, first, overlapping, HELLO]);
    expect(streams.client).toBe('hello worLD');
    expect(flow.conflicts).toBe(1);
  });

  it('should count a missing segment as a gap once the peer acknowledges past it', () => {
    const { flow, streams } = runConversation([...HANDSHAKE, WORLD, SERVER_ACK, REPLY]);
    expect(streams.client).toBe('[gap 6]world');
    expect(flow.gaps).toEqual({ client: 6, server: 0 });
    expect(flow.payload.client).toBe(5);
    expect(flow.history).toContain('G');
  });

  it('should turn a hole that is never filled into a gap when the capture ends', () => {
    const { flow, streams } = runConversation([...HANDSHAKE, WORLD]);
    expect(streams.client).toBe('[gap 6]world');
    expect(flow.gaps.client).toBe(6);
  });

  it('should pick up a connection mid-stream and take the client from the server port', () => {
    const { flow, streams } = runConversation([
      { dir: 's', seq: 100, ack: 200, flags: 'PA', payload: 'tail of a response' },
      { dir: 'c', seq: 200, ack: 118, flags: 'PA', payload: 'GET / HTTP/1.1\r\n\r\n' },
      { dir: 's', seq: 118, ack: 218, flags: 'A' },
    ]);
    expect(flow.client).toBe('10.0.0.1:40000');
    expect(streams).toEqual({ client: 'GET / HTTP/1.1\r\n\r\n', server: 'tail of a response' });
    expect(flow.history).toBe('^dDa');
    expect(flow.end).toBe('open');
    expect(flow.gaps).toEqual({ client: 0, server: 0 });
  });

  it.each([
    ['client', 'c', 'client-reset'],
    ['server', 's', 'server-reset'],
  ] as const)('should end with a reset from the %s', (_who, dir, end) => {
    const rst: Step = { dir, seq: dir === 'c' ? 12 : 1, ack: dir === 'c' ? 1 : 12, flags: 'RA' };
    const { flow } = runConversation([...HANDSHAKE, HELLO, WORLD, SERVER_ACK, rst]);
    expect(flow.end).toBe(end);
    expect(flow.history).toContain(dir === 'c' ? 'R' : 'r');
  });

  it('should end with server-hup when the server closes first', () => {
    const { flow } = runConversation([
      ...HANDSHAKE,
      HELLO,
      WORLD,
      REPLY,
      { dir: 's', seq: 3, ack: 12, flags: 'FA' },
      { dir: 'c', seq: 12, ack: 4, flags: 'FA' },
      { dir: 's', seq: 4, ack: 13, flags: 'A' },
    ]);
    expect(flow.end).toBe('server-hup');
    expect(flow.history).toBe('ShADdfFa');
  });

  it('should reassemble across the 32-bit sequence wrap', () => {
    const { streams, flow } = runConversation([...HANDSHAKE, HELLO, WORLD, SERVER_ACK], {
      c: 0xfffffffa,
      s: 0xfffffff0,
    });
    expect(streams.client).toBe('hello world');
    expect(flow.gaps.client).toBe(0);
  });

  it('should write one flow per connection when a port pair is reused after a close', () => {
    const { records } = runConversation([
      ...HANDSHAKE,
      HELLO,
      ...CLIENT_CLOSE.map((s) => ({ ...s, seq: s.seq - 5 })),
      ...HANDSHAKE,
    ]);
    expect(records.filter((r) => r.kind === 'flow')).toHaveLength(2);
  });
});
