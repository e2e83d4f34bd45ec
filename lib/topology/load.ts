/**
 * Turning a topology file (or the embedded default) into a validated Topology. Parsing is pure (parseTopology);
 * reading files and picking the source are the thin I/O shell around it.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { DEFAULT_TOPOLOGY } from './default';
import { formatPath } from '../config/paths';
import { TopologyError, type TopologyProblem } from './errors';
import type { Donor } from '../clouds/donor';
import { DONORS } from '../clouds/donors';
import { TopologySchema, topologySchema, type Topology } from './schema';
import { DEFAULT_TOPOLOGY_SOURCE, topologyPathFrom, type TopologySourceOptions } from './source';
import { validateTopology } from './validate';

function schemaProblems(error: z.ZodError): TopologyProblem[] {
  return error.issues.map((issue) => {
    // Scalars are shown as given; whole objects would bury the message.
    const { input } = issue as { input?: unknown };
    const shown =
      input !== undefined && (typeof input !== 'object' || input === null) ? ` (got ${JSON.stringify(input)})` : '';
    return { path: formatPath(issue.path), message: `${issue.message}${shown}` };
  });
}

/**
 * Validates raw data (parsed JSON/YAML) with a section per donor; throws a TopologyError listing every problem.
 * A donor given here beyond the registered ones has its section in the result under its id.
 */
export function parseTopology(raw: unknown, source: string, donors: readonly Donor[] = DONORS): Topology {
  const schema = donors === DONORS ? TopologySchema : topologySchema(donors);
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new TopologyError(source, schemaProblems(parsed.error));
  const problems = validateTopology(parsed.data as Topology, donors);
  if (problems.length > 0) throw new TopologyError(source, problems);
  return parsed.data as Topology;
}

/** Parses file text as JSON (`.json`) or YAML (anything else; duplicate keys are errors). */
export function parseTopologyText(text: string, fileName: string): unknown {
  if (extname(fileName).toLowerCase() === '.json') {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new TopologyError(fileName, [{ path: '', message: `not valid JSON: ${(err as Error).message}` }]);
    }
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new TopologyError(
      fileName,
      doc.errors.map((e) => ({ path: '', message: `not valid YAML: ${e.message.split('\n')[0]}` })),
    );
  }
  return doc.toJS();
}

export function readTopologyFile(path: string, donors: readonly Donor[] = DONORS): Topology {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TopologyError(path, [{ path: '', message: `cannot read file: ${(err as Error).message}` }]);
  }
  return parseTopology(parseTopologyText(text, path), path, donors);
}

export interface LoadedTopology {
  readonly topology: Topology;
  /** The file it came from, or DEFAULT_TOPOLOGY_SOURCE. */
  readonly source: string;
}

/** Loads the topology named by the options, or the embedded default. */
export function loadTopology(options: TopologySourceOptions = {}, donors: readonly Donor[] = DONORS): LoadedTopology {
  const path = topologyPathFrom(options);
  if (path) return { topology: readTopologyFile(path, donors), source: path };
  return {
    topology: parseTopology(DEFAULT_TOPOLOGY, DEFAULT_TOPOLOGY_SOURCE, donors),
    source: DEFAULT_TOPOLOGY_SOURCE,
  };
}
