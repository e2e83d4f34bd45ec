/**
 * A containerd daemon (Debian package `containerd`; it runs as root) for integration tests, in a temporary root with
 * its own configuration and socket, so it shares nothing with a containerd the machine may run. Only what content
 * fetching needs is loaded (no CRI, no extra snapshotters), and each namespace keeps its own copy of content
 * (`content_sharing_policy = "isolated"`), so a fetch in a fresh namespace downloads every blob again.
 *
 *   const containerd = await startContainerd(); ... await containerd.fetch(ns, ref); ... await containerd.stop();
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ManagedChild } from '../../lib/local/processes';

const run = promisify(execFile);

export interface LocalContainerd {
  /** The daemon's socket (`ctr -a <address>`). */
  readonly address: string;
  /** `ctr content fetch --plain-http <flags> <reference>` in a namespace; resolves with ctr's output. */
  fetch(namespace: string, reference: string, flags?: readonly string[]): Promise<string>;
  /** The digests of every piece of content in a namespace. */
  contents(namespace: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** The daemon's configuration: everything under `dir`, no CRI, no debug or metrics listener. */
export function containerdConfig(dir: string): string {
  const disabled = [
    'io.containerd.grpc.v1.cri',
    'io.containerd.internal.v1.opt',
    'io.containerd.snapshotter.v1.aufs',
    'io.containerd.snapshotter.v1.btrfs',
    'io.containerd.snapshotter.v1.devmapper',
    'io.containerd.snapshotter.v1.zfs',
    'io.containerd.tracing.processor.v1.otlp',
  ];
  return [
    'version = 2',
    `root = "${join(dir, 'root')}"`,
    `state = "${join(dir, 'state')}"`,
    `disabled_plugins = [${disabled.map((p) => `"${p}"`).join(', ')}]`,
    '[grpc]',
    `  address = "${join(dir, 'containerd.sock')}"`,
    '[ttrpc]',
    `  address = "${join(dir, 'containerd-ttrpc.sock')}"`,
    '[debug]',
    '  address = ""',
    '[metrics]',
    '  address = ""',
    '[plugins."io.containerd.metadata.v1.bolt"]',
    '  content_sharing_policy = "isolated"',
    '',
  ].join('\n');
}

export async function startContainerd(): Promise<LocalContainerd> {
  if (process.getuid?.() !== 0) throw new Error('the containerd tests start a containerd daemon and need root');
  const dir = mkdtempSync(join(tmpdir(), 'containerd-'));
  const configPath = join(dir, 'config.toml');
  writeFileSync(configPath, containerdConfig(dir));
  const address = join(dir, 'containerd.sock');
  const daemon = new ManagedChild({ name: 'containerd', command: 'containerd', args: ['--config', configPath] });
  const ctr = async (args: readonly string[]) => (await run('ctr', ['-a', address, ...args])).stdout;
  const stop = async () => {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await untilServing(ctr, daemon);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    address,
    fetch: (namespace, reference, flags = []) =>
      ctr(['-n', namespace, 'content', 'fetch', '--plain-http', ...flags, reference]),
    contents: async (namespace) =>
      (await ctr(['-n', namespace, 'content', 'ls', '-q'])).split('\n').filter((line) => line.startsWith('sha256:')),
    stop,
  };
}

/** Polls `ctr version` until the daemon answers (bounded), failing early if it exits. */
async function untilServing(ctr: (args: readonly string[]) => Promise<string>, daemon: ManagedChild): Promise<void> {
  let exit: string | undefined;
  void daemon.exited.then((e) => (exit = daemon.describeExit(e)));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exit !== undefined) throw new Error(exit);
    try {
      await ctr(['version']);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`containerd did not answer within 15 s: ${(error as Error).message}`);
    }
    await delay(50); // polling interval, bounded by the deadline above
  }
}
