import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { decodeDnsMessage } from './dns-message.js';

const query = dnsPacket.encode({
  type: 'query',
  id: 4242,
  questions: [{ name: 'a.example.test', type: 'A', class: 'IN' }],
});

describe('decodeDnsMessage', () => {
  it('should follow compression pointers', () => {
    const response = dnsPacket.encode({
      type: 'response',
      id: 1,
      questions: [{ name: 'a.example.test', type: 'A', class: 'IN' }],
      answers: [{ name: 'a.example.test', type: 'A', ttl: 5, data: '192.0.2.1' }],
    });
    // dns-packet does not compress: point the answer's name at the question's (offset 12) by hand.
    const nameLength = 'a.example.test'.length + 2;
    const answerAt = 12 + nameLength + 4;
    const compressed = Buffer.concat([
      response.subarray(0, answerAt),
      Buffer.from([0xc0, 12]),
      response.subarray(answerAt + nameLength),
    ]);
    const result = decodeDnsMessage(compressed);
    expect(result.ok && result.message.answers[0]).toEqual({
      name: 'a.example.test.',
      type: 1,
      klass: 1,
      ttl: 5,
      data: '192.0.2.1',
    });
  });

  it('should combine the EDNS extended rcode with the header rcode', () => {
    const response = dnsPacket.encode({
      type: 'response',
      id: 1,
      additionals: [
        { type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 1, options: [] } as unknown as dnsPacket.Answer,
      ],
    });
    const result = decodeDnsMessage(response);
    expect(result.ok && result.message.rcode).toBe(16); // BADSIG/BADVERS
  });

  it.each([
    ['a header cut short', query.subarray(0, 7)],
    ['a question cut short', query.subarray(0, query.length - 3)],
    ['a pointer loop', Buffer.concat([query.subarray(0, 12), Buffer.from([0xc0, 12, 0, 1, 0, 1])])],
    ['a label running past the end', Buffer.concat([query.subarray(0, 12), Buffer.from([63, 1, 2])])],
  ])('should report %s as malformed instead of throwing', (_what, bytes) => {
    const result = decodeDnsMessage(bytes);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/\w/);
  });
});
