import { describe, expect, it } from 'vitest';
import { Framing, framingOf, parseHead } from './message-head.js';

describe('parseHead', () => {
  it.each([
    [' v', 'v'],
    ['v', 'v'],
    ['\tv\t', 'v'],
    ['  a b  ', 'a b'],
    ['\xa0v\xa0', 'v'],
    ['\x0bv\x0c', 'v'],
    ['v\r', 'v'],
    ['v\x85', 'v\x85'], // NEL is no whitespace to String.prototype.trim
    ['', ''],
    ['   ', ''],
  ])('should trim the field value %j as String.prototype.trim does', (raw, value) => {
    const head = parseHead(`HTTP/1.1 200 OK\r\nX-A:${raw}\r\nX-B: b\r\n\r\n`, false);
    expect(head?.fields).toEqual({ 'X-A': [value], 'X-B': ['b'] });
  });

  it('should skip lines without a colon or with an empty name, and fold continuation lines', () => {
    const head = parseHead('GET / HTTP/1.1\nno colon here\n: empty\nX-A: 1\n  more\nX-B:2\n\n', true);
    expect(head?.fields).toEqual({ 'X-A': ['1 more'], 'X-B': ['2'] });
  });

  it('should group repeated fields under their first position, fold into the latest value and keep __proto__', () => {
    const text =
      'GET / HTTP/1.1\r\nhost: a\r\n b\r\nx-y: 1\r\n__proto__: p\r\nX-Y: 2\r\nbad name: 3\r\n\t4\r\nHOST: c\r\n\r\n';
    const head = parseHead(text, true);
    expect(Object.keys(head?.fields ?? {})).toEqual(['Host', 'X-Y', '__proto__']);
    expect(head?.fields['X-Y']).toEqual(['1', '2 4']);
    expect(head?.fields.Host).toEqual(['a b', 'c']);
    expect(Object.getOwnPropertyDescriptor(head?.fields, '__proto__')?.value).toEqual(['p']);
    expect(head?.host).toBe('a b');
  });
});

describe('framingOf', () => {
  const response = (field: string): ReturnType<typeof framingOf> | undefined => {
    const head = parseHead(`HTTP/1.1 200 OK\r\n${field}\r\n\r\n`, false);
    return head && framingOf(head);
  };

  it.each([
    ['Transfer-Encoding: chunked', Framing.Chunked],
    ['Transfer-Encoding: CHUNKED', Framing.Chunked],
    ['Transfer-Encoding: gzip, chunked', Framing.Chunked],
    ['Transfer-Encoding: chunked, ,', Framing.Chunked],
    ['Transfer-Encoding: chunked, gzip', Framing.Close],
    ['Transfer-Encoding: , ,', Framing.Close],
    ['Transfer-Encoding:', Framing.Close],
    ['Content-Length: 5', Framing.Fixed],
    ['Content-Length: 5, 5', Framing.Fixed],
    ['Content-Length: 5, 6', Framing.Close],
    ['Content-Length: +5', Framing.Close],
    ['Content-Length: 0', Framing.None],
  ])('should frame a response with %j as %s', (field, framing) => {
    expect(response(field)?.framing).toBe(framing);
  });
});
