/**
 * The head of an HTTP/1.1 request, read strictly (RFC 9112). The redirector answers GET and HEAD without a body, so
 * the public edge parses a request line and header fields and nothing else: no body is ever read, no chunked
 * coding decoded. Anything a lenient parser would have to interpret (a bare CR or LF, whitespace before a colon, a
 * folded line, two Host or Content-Length fields, a control character) is refused with 400 instead, so no
 * proxy in front of us can read one request where we read another.
 */

/** A request head that passed every rule. */
export interface RequestHead {
  readonly method: string;
  /** The request-target: as sent, except that an absolute-form http(s) target is reduced to its path and query. */
  readonly target: string;
  readonly version: 'HTTP/1.1' | 'HTTP/1.0';
  /** Names and values alternately, as sent (values without their surrounding blanks), like node's `rawHeaders`. */
  readonly rawHeaders: string[];
  /**
   * The connection may carry another request after this one: HTTP/1.1 without `Connection: close`, HTTP/1.0 with
   * `Connection: keep-alive`, and in both cases no body announced (a body is never read, so its bytes must not be
   * read as the next request).
   */
  readonly keepAlive: boolean;
}

/** Why a head was refused (answered 400, then the connection is closed), for the client. */
export interface HeadRejection {
  readonly reason: string;
}

export function isRejection(head: RequestHead | HeadRejection): head is HeadRejection {
  return 'reason' in head;
}

/** Characters no head may hold: controls other than HTAB, CR and LF; DEL; a CR not before LF; an LF not after CR. */
// eslint-disable-next-line no-control-regex -- finding control characters is this expression's purpose
const FORBIDDEN = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;
/** `tchar` of RFC 9110 5.6.2, by character code. */
const TOKEN = tokenTable();
/** Request-target characters: visible ASCII (the line was split on spaces already). */
const TARGET_OUTSIDE = /[^!-~]/;
const HTTP_VERSION = /^HTTP\/\d\.\d$/;
/** An absolute-form target's scheme and authority (RFC 9112 3.2.2). */
const ABSOLUTE_HTTP = /^https?:\/\/[^/?#]*/i;
const CONTENT_LENGTH = /^\d+$/;
const REQUEST_LINE = 'the request line is not "METHOD TARGET HTTP/1.1"';

/**
 * Reads `head`: from the request line to the CRLF ending the last field line (the empty line not included), as
 * latin1 text, one character per byte.
 */
export function parseRequestHead(head: string): RequestHead | HeadRejection {
  const forbidden = forbiddenIn(head);
  if (forbidden) return forbidden;
  const lineEnd = head.indexOf('\r\n');
  const line = head.slice(0, lineEnd);
  const methodEnd = line.indexOf(' ');
  const targetEnd = line.indexOf(' ', methodEnd + 1);
  // No method, no second space, or an empty target. A third space, or anything after the version, leaves a version
  // that is not one: refused below, with the same reason.
  if (methodEnd <= 0 || targetEnd <= methodEnd + 1) return refuse(REQUEST_LINE);
  const method = line.slice(0, methodEnd);
  // Stryker disable next-line ConditionalExpression,LogicalOperator,StringLiteral: equivalent, a fast path (both are tokens)
  if (method !== 'GET' && method !== 'HEAD' && !isToken(method)) return refuse('the method is not a token');
  const sent = line.slice(methodEnd + 1, targetEnd);
  if (TARGET_OUTSIDE.test(sent)) return refuse('the request target holds a character outside visible ASCII');
  const target = originForm(sent);
  const version = line.slice(targetEnd + 1);
  if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') {
    // Not 505 for another version: a 5xx reads as our failure, to clients and to the load balancer alike.
    return refuse(HTTP_VERSION.test(version) ? `${version} is not supported: HTTP/1.1 only` : REQUEST_LINE);
  }
  return readFields(head, lineEnd + 2, method, target, version);
}

/**
 * An absolute-form http(s) target as its path and query (RFC 9112 3.2.2: a server must accept it, and the host in it
 * replaces Host, which the redirector does not read); any other target as sent.
 */
function originForm(target: string): string {
  // Stryker disable next-line ConditionalExpression: equivalent, a fast path (ABSOLUTE_HTTP matches no target from "/")
  if (target.charCodeAt(0) === 0x2f) return target;
  const authority = ABSOLUTE_HTTP.exec(target);
  if (!authority) return target;
  const rest = target.slice(authority[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/**
 * A refusal for a head still arriving, when what came so far already breaks a rule that no later byte can mend (a
 * forbidden character; a CR at its very end may still be followed by LF), else undefined.
 */
export function refusalOfPartialHead(partial: string): HeadRejection | undefined {
  return forbiddenIn(partial.endsWith('\r') ? partial.slice(0, -1) : partial);
}

function forbiddenIn(text: string): HeadRejection | undefined {
  const forbidden = FORBIDDEN.exec(text);
  return forbidden
    ? refuse(`character 0x${hex(forbidden[0])} at byte ${forbidden.index} of the request head`)
    : undefined;
}

/** The field lines from `start` on, and what they say about the connection. */
function readFields(
  head: string,
  start: number,
  method: string,
  target: string,
  version: 'HTTP/1.1' | 'HTTP/1.0',
): RequestHead | HeadRejection {
  const http11 = version === 'HTTP/1.1';
  const rawHeaders: string[] = [];
  let hosts = 0;
  let contentLength: string | undefined;
  let closeAsked = false;
  let keepAliveAsked = false;
  /** The last transfer coding named, lower-cased; undefined without Transfer-Encoding. */
  let lastCoding: string | undefined;
  for (let at = start; at < head.length;) {
    const end = head.indexOf('\r\n', at);
    const colon = head.indexOf(':', at);
    // Stryker disable next-line EqualityOperator: equivalent, a colon is never at 0 (the request line comes first) nor at a CR
    if (colon < 0 || colon > end) return refuse(`field line ${rawHeaders.length / 2 + 1} has no colon`);
    const name = head.slice(at, colon);
    if (!isToken(name)) {
      return refuse(`field line ${rawHeaders.length / 2 + 1} does not start with a field name and a colon`);
    }
    const value = trimBlanks(head, colon + 1, end);
    rawHeaders.push(name, value);
    at = end + 2;
    // Only four fields matter to the connection; their names are told apart by length before any lower-casing.
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') hosts++;
        break;
      case 10:
        if (name.toLowerCase() !== 'connection') break;
        for (const option of listElements(value)) {
          if (option === 'close') closeAsked = true;
          else if (option === 'keep-alive') keepAliveAsked = true;
        }
        break;
      case 14:
        if (name.toLowerCase() !== 'content-length') break;
        if (!CONTENT_LENGTH.test(value)) return refuse('Content-Length is not a number');
        if (contentLength !== undefined) return refuse('more than one Content-Length');
        contentLength = value;
        break;
      case 17:
        // Stryker disable next-line StringLiteral: equivalent, any stand-in for "no coding" is not chunked
        if (name.toLowerCase() === 'transfer-encoding') lastCoding = listElements(value).pop() ?? '';
        break;
    }
  }
  if (hosts > 1) return refuse('more than one Host field');
  if (hosts === 0 && http11) return refuse('an HTTP/1.1 request without a Host field');
  // RFC 9112 6.3: a request's body is only ever framed by a final chunked coding; anything else must be refused.
  if (lastCoding !== undefined && lastCoding !== 'chunked') return refuse('Transfer-Encoding does not end in chunked');
  const body = lastCoding !== undefined || (contentLength !== undefined && !/^0+$/.test(contentLength));
  const close = closeAsked || (!http11 && !keepAliveAsked);
  return { method, target, version, rawHeaders, keepAlive: !close && !body };
}

/** A comma-separated field value's elements, trimmed and lower-cased, empty ones left out (RFC 9110 5.6.1). */
function listElements(value: string): string[] {
  // Stryker disable next-line ArrayDeclaration: equivalent, a stray first element is neither close, keep-alive nor last
  const elements: string[] = [];
  for (const element of value.split(',')) {
    const trimmed = element.trim();
    if (trimmed !== '') elements.push(trimmed.toLowerCase());
  }
  return elements;
}

/** `text` from `start` to `end` without blanks at either side; a CR follows `end`, and a colon precedes `start`. */
function trimBlanks(text: string, start: number, end: number): string {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, the CR at `end` stops the loop
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, an end below start slices to ''
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function isToken(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (TOKEN[text.charCodeAt(i)] !== 1) return false;
  return true;
}

function tokenTable(): Uint8Array {
  const table = new Uint8Array(256);
  for (const char of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
    table[char.charCodeAt(0)] = 1;
  }
  return table;
}

function refuse(reason: string): HeadRejection {
  return { reason };
}

function hex(char: string): string {
  return char.charCodeAt(0).toString(16).padStart(2, '0');
}
