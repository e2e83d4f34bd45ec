/**
 * The range index file that npm run build:redirector writes beside the bundle: the tables of range-tables.ts as they
 * lie in memory, so that start-up maps them with a few typed-array views instead of parsing 6 MB of JSON and
 * flattening 40,000 prefixes (archeio compiles its ranges into its binary for the same reason).
 *
 * Layout: 32-bit little-endian words, every section 4-byte aligned.
 *
 *   offset  size        field
 *   0       8           magic "RNGINDEX"
 *   8       u32         format version (FORMAT_VERSION)
 *   12      u32         byte-order mark 0x01020304, read as written only on a machine of the same byte order
 *   16      u32         payload size in bytes
 *   20      u32         checksum: MurmurHash3 (murmur3.ts) of the words from offset 24 to the end (section sizes and
 *                       payload)
 *   24      u32 x 9     section sizes: IPv4 starts, locations, root, nodes (in words), the same for IPv6, metadata
 *                       (in bytes)
 *   60      payload     the sections in that order, then the metadata: UTF-8 JSON of the (cloud, region) of every
 *                       location id, the interval count and the files the index was built from, padded with
 *                       spaces to 4 bytes
 *
 * The checksum finds a damaged file (any changed word changes it); the image's own digest guards against anyone
 * changing it on purpose. Version 1 held a SHA-256: with node:crypto to load for it, a start-up took about 1 ms
 * longer than with this checksum computed here (measured from process start to the decoded index, 12 runs each).
 */
import { RangeFileError } from '../clouds/ranges';
import { murmur3 } from './murmur3';
import type { ClientLocation, FamilyTables, RangeTables } from './range-tables';

/** Where the index came from: a donor's file (path or URL) and its SHA-256, for the start-up log and audits. */
export interface IndexSource {
  readonly cloud: string;
  readonly file: string;
  readonly sha256: string;
}

export interface RangeIndexFile {
  readonly tables: RangeTables;
  readonly sources: readonly IndexSource[];
}

interface Metadata {
  /** [cloud, region] by location id. */
  readonly locations: readonly (readonly [string, string])[];
  readonly intervals: number;
  readonly sources: readonly IndexSource[];
}

export const FORMAT_VERSION = 2;
const MAGIC = 'RNGINDEX';
const BYTE_ORDER_MARK = 0x01020304;
const CHECKSUM_WORD = 5;
const HASHED_FROM = 24;
const HEADER_BYTES = 60;
/** Word offsets in the header. */
const VERSION_WORD = 2;
const BYTE_ORDER_WORD = 3;
const PAYLOAD_WORD = 4;
const SIZES_WORD = HASHED_FROM / 4;

function familySections(family: FamilyTables): Uint32Array[] {
  const { starts, locations, root, nodes } = family;
  return [starts, locations, root, nodes].map((a) => new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/** The checksum of a whole file's bytes (4-byte aligned, of this machine's byte order): see the layout above. */
function checksum(file: Uint8Array): number {
  return murmur3(new Uint32Array(file.buffer, file.byteOffset + HASHED_FROM, (file.length - HASHED_FROM) / 4));
}

/** The file's bytes for these tables. Words are written little-endian whatever the machine. */
export function encodeRangeIndex(tables: RangeTables, sources: readonly IndexSource[]): Buffer {
  const metadata: Metadata = {
    locations: tables.locations.map((l) => [l.cloud, l.region] as const),
    intervals: tables.intervals,
    sources,
  };
  let metaText = JSON.stringify(metadata);
  metaText += ' '.repeat((4 - (Buffer.byteLength(metaText) % 4)) % 4);
  const meta = Buffer.from(metaText, 'utf8');
  const sections = [...familySections(tables.v4), ...familySections(tables.v6)];
  const payloadBytes = sections.reduce((sum, s) => sum + s.length * 4, 0) + meta.length;
  const out = Buffer.alloc(HEADER_BYTES + payloadBytes);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(FORMAT_VERSION, VERSION_WORD * 4);
  out.writeUInt32LE(BYTE_ORDER_MARK, BYTE_ORDER_WORD * 4);
  out.writeUInt32LE(payloadBytes, PAYLOAD_WORD * 4);
  [...sections.map((s) => s.length), meta.length].forEach((size, i) => out.writeUInt32LE(size, (SIZES_WORD + i) * 4));
  let at = HEADER_BYTES;
  for (const section of sections) {
    for (const word of section) at = out.writeUInt32LE(word, at);
  }
  meta.copy(out, at);
  out.writeUInt32LE(checksum(out), CHECKSUM_WORD * 4);
  return out;
}

/**
 * The tables in an index file's bytes, as views over them (nothing is copied unless the bytes are not 4-byte
 * aligned). Throws RangeFileError naming the file when it is not an index, truncated, corrupted or of another
 * format version.
 */
export function decodeRangeIndex(given: Uint8Array, fileName: string): RangeIndexFile {
  const fail = (problem: string) => new RangeFileError(fileName, undefined, problem);
  if (given.length < HEADER_BYTES) {
    throw fail(`truncated: ${given.length} bytes, shorter than the ${HEADER_BYTES}-byte header of a range index`);
  }
  if (Buffer.from(given.buffer, given.byteOffset, MAGIC.length).toString('latin1') !== MAGIC) {
    throw fail(`not a range index (no ${MAGIC} signature); give a donor's published file as cloud=FILE`);
  }
  // Typed-array views need 4-byte alignment; a file read whole is aligned, a slice of a larger buffer may not be.
  const bytes = given.byteOffset % 4 === 0 ? given : new Uint8Array(given);
  const header = new Uint32Array(bytes.buffer, bytes.byteOffset, HEADER_BYTES / 4);
  if (header[BYTE_ORDER_WORD] !== BYTE_ORDER_MARK) {
    throw fail('written with the other byte order than this machine: rebuild it here, or give the plain files');
  }
  if (header[VERSION_WORD] !== FORMAT_VERSION) {
    throw fail(
      `format version ${header[VERSION_WORD]}, this redirector reads version ${FORMAT_VERSION}: rebuild it with npm run build:redirector`,
    );
  }
  const expected = HEADER_BYTES + header[PAYLOAD_WORD]!;
  if (bytes.length !== expected) {
    throw fail(`truncated or padded: ${bytes.length} bytes, the header announces ${expected}`);
  }
  if (header[CHECKSUM_WORD] !== checksum(bytes)) throw fail('checksum mismatch: the file is corrupted');

  let at = bytes.byteOffset + HEADER_BYTES;
  let size = SIZES_WORD;
  const words = <T extends Uint32Array | Int32Array>(make: new (b: ArrayBufferLike, o: number, n: number) => T) => {
    const view = new make(bytes.buffer, at, header[size]!);
    at += header[size++]! * 4;
    return view;
  };
  const family = (): FamilyTables => ({
    starts: words(Uint32Array),
    locations: words(Int32Array),
    root: words(Int32Array),
    nodes: words(Int32Array),
  });
  const v4 = family();
  const v6 = family();
  const metadata = JSON.parse(Buffer.from(bytes.buffer, at, header[size]!).toString('utf8')) as Metadata;
  const locations = metadata.locations.map(([cloud, region]): ClientLocation => Object.freeze({ cloud, region }));
  return { tables: { locations, v4, v6, intervals: metadata.intervals }, sources: metadata.sources };
}
