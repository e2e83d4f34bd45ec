/**
 * A child process the local system started and must stop: its output is read line by line (kept as a short tail
 * for error messages), its exit is a promise, and stop() ends it with SIGTERM, then SIGKILL after a grace period.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';

export interface ChildOptions {
  /** Names the process in messages, e.g. `docker-registry (us-central1)`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Every line the process writes, on either stream. */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  readonly error?: Error;
}

const TAIL_CHARS = 4000;

/** Every child still running, so that an abrupt exit of this process can still kill them (see installExitHook). */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
let ownProcessGroups = false;

/**
 * Whether children start in their own process group. A process that handles Ctrl-C itself and stops its children
 * in order (npm run local) wants them apart, so the terminal's SIGINT reaches only it. Anything else (a test run)
 * keeps them in its group, so that whatever interrupts it interrupts them too.
 */
export function startChildrenInOwnProcessGroups(enabled: boolean): void {
  ownProcessGroups = enabled;
}

export class ManagedChild {
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private output = '';
  private stopping = false;

  constructor(readonly options: ChildOptions) {
    installExitHook();
    this.child = spawn(options.command, [...options.args], {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: ownProcessGroups,
    });
    running.add(this.child);
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: this.child[stream]!, crlfDelay: Infinity }).on('line', (line) => {
        this.output = `${this.output}${line}\n`.slice(-TAIL_CHARS);
        options.onLine?.(line, stream);
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        running.delete(this.child);
        resolve({ code: null, signal: null, error });
      });
      this.child.once('exit', (code, signal) => {
        running.delete(this.child);
        resolve({ code, signal });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True once stop() was called: an exit is then expected. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /** The last lines it wrote (both streams). */
  tail(): string {
    return this.output.trimEnd();
  }

  /** Why it ended, for messages: `docker-registry exited with code 1: <its last lines>`. */
  describeExit(exit: Exit): string {
    const how = exit.error
      ? `could not start: ${exit.error.message}`
      : exit.signal
        ? `was killed by ${exit.signal}`
        : `exited with code ${exit.code}`;
    const tail = this.tail();
    return `${this.options.name} ${how}${tail ? `:\n${tail}` : ''}`;
  }

  async stop(graceMs = 5000): Promise<Exit> {
    this.stopping = true;
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      const exit = await this.exited;
      clearTimeout(timer);
      return exit;
    }
    return this.exited;
  }
}

/** Runs a command to its end: resolves with its exit, output read line by line as it comes. */
export async function runToEnd(options: ChildOptions): Promise<{ exit: Exit; child: ManagedChild }> {
  const child = new ManagedChild(options);
  return { exit: await child.exited, child };
}

/**
 * What a started service needs from the parent's environment and nothing more, so that no variable set in the
 * caller's shell (a redirector setting, a cloud credential) changes what the local system runs.
 */
export function essentialEnvironment(parent: NodeJS.ProcessEnv): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];
  return Object.fromEntries(keep.flatMap((name) => (parent[name] ? [[name, parent[name]]] : [])));
}

/** Resolves once `url` answers 200; fails early, with the child's last lines, if the child exits first. */
export async function waitForHttp(url: string, child: ManagedChild, timeoutMs = 15_000): Promise<void> {
  let exit: string | undefined;
  void child.exited.then((e) => (exit = child.describeExit(e)));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exit !== undefined) throw new Error(exit);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await delay(50); // polling interval, bounded by the deadline above
  }
  throw new Error(`${child.options.name} did not answer ${url} within ${timeoutMs / 1000} s:\n${child.tail()}`);
}

/** If this process exits without stopping its children (an uncaught error), they are killed rather than orphaned. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}
