/**
 * The bytes the public edge writes (lib/redirector/http1/answer.ts), exactly: one string per answer, and no header
 * value that could end its line early ever gets into one.
 */
import { answerText, refusalText, UnsendableHeaderError } from '../../../lib/redirector/http1/answer';

const DATE = 'Tue, 01 Dec 2026 00:00:00 GMT';
const TEXT = 'text/plain; charset=utf-8';

describe('answerText', () => {
  it('writes a redirect with its location and an empty body', () => {
    expect(answerText({ status: 307, location: 'https://mirror.example/v2/a?b=c' }, false, 'default', DATE)).toBe(
      'HTTP/1.1 307 Temporary Redirect\r\n' +
        'location: https://mirror.example/v2/a?b=c\r\n' +
        'content-length: 0\r\n' +
        `date: ${DATE}\r\n` +
        '\r\n',
    );
  });

  const withBody = {
    status: 200,
    headers: { allow: 'GET, HEAD', 'docker-distribution-api-version': 'registry/2.0' },
    body: { contentType: TEXT, text: 'ok\n' },
  };
  const withBodyHead =
    'HTTP/1.1 200 OK\r\n' +
    'allow: GET, HEAD\r\n' +
    'docker-distribution-api-version: registry/2.0\r\n' +
    `content-type: ${TEXT}\r\n` +
    'content-length: 3\r\n' +
    `date: ${DATE}\r\n` +
    '\r\n';

  it('writes extra headers in their order, then the body with its type and length', () => {
    expect(answerText(withBody, false, 'default', DATE)).toBe(`${withBodyHead}ok\n`);
  });

  it('leaves the body out for HEAD but keeps its length', () => {
    expect(answerText(withBody, true, 'default', DATE)).toBe(withBodyHead);
  });

  it("counts a UTF-8 body's bytes, not its characters", () => {
    // é is 2 bytes, € 3 and the LF 1.
    const text = answerText({ status: 200, body: { contentType: TEXT, text: 'é€\n' } }, false, 'default', DATE);
    expect(text).toContain('\r\ncontent-length: 6\r\n');
    expect(text.endsWith('\r\n\r\né€\n')).toBe(true);
  });

  it.each([
    ['default', ''],
    ['keep-alive', 'connection: keep-alive\r\n'],
    ['close', 'connection: close\r\n'],
  ] as const)('persistence %s', (persistence, field) => {
    expect(answerText({ status: 404 }, false, persistence, DATE)).toBe(
      `HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\ndate: ${DATE}\r\n${field}\r\n`,
    );
  });

  it("names an unknown status 'Unknown', every time", () => {
    const expected = `HTTP/1.1 599 Unknown\r\ncontent-length: 0\r\ndate: ${DATE}\r\n\r\n`;
    expect(answerText({ status: 599 }, false, 'default', DATE)).toBe(expected);
    // The second time the status line comes from the cache.
    expect(answerText({ status: 599 }, false, 'default', DATE)).toBe(expected);
  });

  it('sends a HTAB and every visible ASCII character in a value', () => {
    let visible = '';
    for (let code = 0x20; code <= 0x7e; code++) visible += String.fromCharCode(code);
    expect(answerText({ status: 307, location: `\t${visible}` }, false, 'default', DATE)).toContain(
      `\r\nlocation: \t${visible}\r\n`,
    );
  });

  it.each([
    ['CR', '/a\rb'],
    ['LF', '/a\nb'],
    ['CRLF', '/a\r\nSet-Cookie: x=y'],
    ['NUL', '/a\x00b'],
    ['DEL', '/a\x7fb'],
    ['a non-ASCII character', '/caf\xe9'],
    ['a character beyond latin1', '/\u2028'],
  ])('refuses a Location holding %s, by throwing', (_name, location) => {
    let thrown: unknown;
    let returned: string | undefined;
    try {
      returned = answerText({ status: 307, location }, false, 'close', DATE);
    } catch (error) {
      thrown = error;
    }
    expect(returned).toBeUndefined();
    expect(thrown).toBeInstanceOf(UnsendableHeaderError);
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).name).toBe('UnsendableHeaderError');
    expect((thrown as Error).message).toBe(
      'the location header value holds a character that cannot be sent in a header field',
    );
  });

  it('names the extra header that cannot be sent', () => {
    expect(() => answerText({ status: 200, headers: { allow: 'GET\r\nX: y' } }, false, 'default', DATE)).toThrow(
      new UnsendableHeaderError('allow'),
    );
    expect(new UnsendableHeaderError('allow').message).toBe(
      'the allow header value holds a character that cannot be sent in a header field',
    );
  });
});

describe('refusalText', () => {
  it('answers with the reason as the body and closes', () => {
    expect(refusalText(400, 'the method is not a token', false, DATE)).toBe(
      'HTTP/1.1 400 Bad Request\r\n' +
        `content-type: ${TEXT}\r\n` +
        'content-length: 26\r\n' +
        `date: ${DATE}\r\n` +
        'connection: close\r\n' +
        '\r\n' +
        'the method is not a token\n',
    );
  });

  it('leaves the reason out for a HEAD request but keeps its length', () => {
    expect(refusalText(408, 'the request head took too long to arrive', true, DATE)).toBe(
      'HTTP/1.1 408 Request Timeout\r\n' +
        `content-type: ${TEXT}\r\n` +
        'content-length: 41\r\n' +
        `date: ${DATE}\r\n` +
        'connection: close\r\n' +
        '\r\n',
    );
  });
});
