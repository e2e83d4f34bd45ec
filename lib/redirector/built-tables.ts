/**
 * The embedded default topology's routing tables, one per redirector region, as npm run build:redirector writes them
 * beside the bundle (IMAGE_FILES.routingTables), with the range index. An instance started without a topology file
 * and without ROUTING_TABLE takes its table from here: deriving it would first build every donor's topology schema
 * and validate the default topology, a quarter of a cold start (docs/benchmarks.md). The same build writes the file
 * and the bundle, from the same topology code; test/redirector/build.test.ts holds the file to routingTableFor.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isJsonObject } from '../config/json';
import type { RoutingTable } from '../topology/routing-table';
import { IMAGE_FILES } from './image-files';

/** Raised when the file's layout changes: a file of another format is refused. */
export const BUILT_TABLES_FORMAT = 1;

/** What the file holds (its JSON). */
export interface BuiltTablesContent {
  readonly format: typeof BUILT_TABLES_FORMAT;
  /** The default topology's canonical region: the table served when no region is given (if it runs a redirector). */
  readonly canonicalRegion: string;
  /** By redirector region. */
  readonly tables: Readonly<Record<string, RoutingTable>>;
}

export interface BuiltTables extends BuiltTablesContent {
  /** The file they were read from, for messages and the start-up log. */
  readonly file: string;
}

export class BuiltTablesError extends Error {
  constructor(
    readonly fileName: string,
    problem: string,
  ) {
    super(`invalid routing tables file ${fileName}: ${problem}`);
    this.name = 'BuiltTablesError';
  }
}

export function encodeBuiltTables(content: BuiltTablesContent): string {
  return `${JSON.stringify(content)}\n`;
}

/**
 * The file's text, checked for its format and shape; the tables' fields are the build's (not validated again here:
 * that would build the schemas this file exists to spare).
 */
export function decodeBuiltTables(text: string, file: string): BuiltTables {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BuiltTablesError(file, `not valid JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(raw) || raw.format !== BUILT_TABLES_FORMAT) {
    const found = isJsonObject(raw) ? JSON.stringify(raw.format) : 'none';
    throw new BuiltTablesError(
      file,
      `format ${found}, expected ${BUILT_TABLES_FORMAT}: rebuild it with npm run build:redirector`,
    );
  }
  const { canonicalRegion, tables } = raw;
  if (typeof canonicalRegion !== 'string') throw new BuiltTablesError(file, 'canonicalRegion is not a string');
  if (!isJsonObject(tables) || Object.keys(tables).length === 0) {
    throw new BuiltTablesError(file, 'tables is not an object of tables by region');
  }
  for (const [region, table] of Object.entries(tables)) {
    if (!isJsonObject(table) || table.region !== region) {
      throw new BuiltTablesError(file, `tables.${region} is not the routing table of ${region}`);
    }
  }
  return { format: BUILT_TABLES_FORMAT, canonicalRegion, tables: tables as Record<string, RoutingTable>, file };
}

/** The tables built beside the bundle in `dir`, or undefined when there are none (a bundle run from the sources). */
export function readBuiltTables(dir: string): BuiltTables | undefined {
  const file = join(dir, IMAGE_FILES.routingTables);
  if (!existsSync(file)) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BuiltTablesError(file, `cannot read: ${(err as Error).message}`);
  }
  return decodeBuiltTables(text, file);
}
