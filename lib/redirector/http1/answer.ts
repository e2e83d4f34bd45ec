/**
 * The bytes of an answer: status line, header fields and body as one string, written with one call. A header value
 * that could end its line early (CR, LF, any control) is refused before anything is written: a request target
 * copied into a Location must never split a response.
 */
import { STATUS_CODES } from 'node:http';
import { TEXT_TYPE } from '../decide';

/** What an answer is made of; a redirector Decision is one. */
export interface Answer {
  readonly status: number;
  readonly location?: string;
  /** Header fields besides Location, Content-Type and Content-Length, by lower-case name. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: { readonly contentType: string; readonly text: string };
}

/** How the connection goes on after an answer, as the field the answer carries (none: HTTP/1.1's default). */
export type Persistence = 'keep-alive' | 'close' | 'default';

const SENDABLE = /^[\t\x20-\x7e]*$/;

export class UnsendableHeaderError extends Error {
  constructor(name: string) {
    super(`the ${name} header value holds a character that cannot be sent in a header field`);
    this.name = 'UnsendableHeaderError';
  }
}

/** The answer's bytes; `head` leaves the body out (a HEAD request) but keeps its Content-Length. */
export function answerText(answer: Answer, head: boolean, persistence: Persistence, date: string): string {
  let text = statusLine(answer.status);
  if (answer.location !== undefined) text += field('location', answer.location);
  const extra = answer.headers;
  if (extra !== undefined) for (const name in extra) text += field(name, extra[name]!);
  const body = answer.body;
  if (body !== undefined)
    text += `content-type: ${body.contentType}\r\ncontent-length: ${Buffer.byteLength(body.text)}\r\n`;
  else text += 'content-length: 0\r\n';
  text += `date: ${date}\r\n`;
  if (persistence !== 'default') text += `connection: ${persistence}\r\n`;
  text += '\r\n';
  return body === undefined || head ? text : text + body.text;
}

/** The answer to a request whose head was refused, or that took too long to arrive: the connection then closes. */
export function refusalText(status: number, reason: string, head: boolean, date: string): string {
  return answerText({ status, body: { contentType: TEXT_TYPE, text: `${reason}\n` } }, head, 'close', date);
}

const STATUS_LINES = new Map<number, string>();

function statusLine(status: number): string {
  let line = STATUS_LINES.get(status);
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    STATUS_LINES.set(status, line);
  }
  return line;
}

function field(name: string, value: string): string {
  if (!SENDABLE.test(value)) throw new UnsendableHeaderError(name);
  return `${name}: ${value}\r\n`;
}
