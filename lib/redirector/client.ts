/**
 * Who the client is: its address from X-Forwarded-For (behind trusted proxies) or the socket, then its
 * (cloud, region) from the range index. Allocation-free on the success path: the entry is located by scanning for
 * commas from the end, and the Client values are built once per location.
 */
import { UNLISTED_CLIENT, type Client } from './decide';
import { NO_MATCH, type RangeIndex } from './range-index';
import { shareBucket } from './share';

function invalid(message: string): Client {
  return { kind: 'invalid', message };
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9;
}

/**
 * The X-Forwarded-For value from node's raw header list (repeated headers joined with ", ", as node would), or
 * undefined. Reading `req.headers` instead would build the whole header object for every request.
 */
export function forwardedForHeader(rawHeaders: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    // The length test only spares a toLowerCase() per header.
    // Stryker disable next-line ConditionalExpression: equivalent, the comparison alone decides
    if (name.length === 15 && name.toLowerCase() === 'x-forwarded-for') {
      value = value === undefined ? rawHeaders[i + 1]! : `${value}, ${rawHeaders[i + 1]!}`;
    }
  }
  return value;
}

export class ClientResolver {
  private readonly located: readonly Client[];
  /** By location id: whether its clients need a share bucket. */
  private readonly bucketed: readonly boolean[];

  /**
   * @param trustedProxyHops how many X-Forwarded-For entries at the end were appended by our own proxies after the
   *   client's address. The Google load balancer appends `<client-ip>,<lb-ip>`: 1 (the client is second-to-last).
   * @param bucketedClouds the clouds whose clients get their share bucket (share.ts's partialShareClouds): only
   *   they pay for the hash and a Client of their own.
   */
  constructor(
    private readonly index: RangeIndex,
    private readonly trustedProxyHops: number,
    bucketedClouds: ReadonlySet<string> = new Set(),
  ) {
    this.located = index.locations.map((location) => ({ kind: 'located', location }));
    this.bucketed = index.locations.map((location) => bucketedClouds.has(location.cloud));
  }

  /** `forwardedFor` is the X-Forwarded-For header (node joins repeated headers with ", "), undefined if absent. */
  resolve(forwardedFor: string | undefined, socketAddress: string | undefined): Client {
    if (forwardedFor === undefined) {
      return socketAddress === undefined
        ? UNLISTED_CLIENT
        : this.byAddress(socketAddress, 0, socketAddress.length, 'client address');
    }
    let end = forwardedFor.length;
    for (let hop = 0; hop < this.trustedProxyHops; hop++) {
      const comma = end > 0 ? forwardedFor.lastIndexOf(',', end - 1) : -1;
      if (comma < 0) return this.tooShort(forwardedFor);
      end = comma;
    }
    // With end at 0 this finds no comma, or one at 0 (start 1): the entry is empty either way.
    let start = forwardedFor.lastIndexOf(',', end - 1) + 1;
    // The character at `end` is a comma or past the text, and an entry of spaces only is empty however far the
    // second loop goes: the bounds are there for clarity, a mutant of them changes nothing.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent (see above)
    while (start < end && isSpace(forwardedFor.charCodeAt(start))) start++;
    // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent (see above)
    while (end > start && isSpace(forwardedFor.charCodeAt(end - 1))) end--;
    return this.byAddress(forwardedFor, start, end, 'X-Forwarded-For client entry');
  }

  /** `what` names the address in an error: `client address` (the socket's) or `X-Forwarded-For client entry`. */
  private byAddress(text: string, from: number, to: number, what: string): Client {
    const id = this.index.lookup(text, from, to);
    if (id >= 0) {
      return this.bucketed[id]
        ? { kind: 'located', location: this.index.locations[id]!, bucket: shareBucket(text, from, to) }
        : this.located[id]!;
    }
    if (id === NO_MATCH) return UNLISTED_CLIENT;
    return invalid(`${what} ${JSON.stringify(text.slice(from, to).slice(0, 64))} is not an IP address`);
  }

  private tooShort(forwardedFor: string): Client {
    const entries = forwardedFor.split(',').length;
    return invalid(
      `X-Forwarded-For has ${entries} entr${entries === 1 ? 'y' : 'ies'}; expected the client address followed by ` +
        `${this.trustedProxyHops} trusted proxy entr${this.trustedProxyHops === 1 ? 'y' : 'ies'}`,
    );
  }
}
