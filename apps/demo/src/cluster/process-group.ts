import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Receives each output line of the process; default: printed with the process's name. */
  onLine?: (line: string) => void;
}

/** Grace period between SIGTERM and SIGKILL when stopping. */
const STOP_GRACE_MS = 5000;

/**
 * The child processes one launcher (or one test) started. It owns them: `stopAll` ends every
 * one it still holds, and nothing else is ever signalled.
 */
export class ProcessGroup {
  private readonly children = new Map<string, ChildProcess>();

  constructor(private readonly print: (line: string) => void = (line) => console.log(line)) {}

  start(name: string, command: string, args: string[], options: StartOptions = {}): ChildProcess {
    if (this.children.has(name)) throw new Error(`a process named ${name} is already running`);
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    this.children.set(name, child);
    const onLine = options.onLine ?? ((line: string) => this.print(`${name.padEnd(8)}| ${line}`));
    for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream! }).on("line", onLine);
    // Spawn failures (a missing binary) arrive as an error event, not an exception.
    child.on("error", (err) => {
      onLine(`failed to start ${command}: ${err.message}`);
      if (child.pid === undefined && this.children.get(name) === child) this.children.delete(name);
    });
    child.on("exit", () => {
      if (this.children.get(name) === child) this.children.delete(name);
    });
    return child;
  }

  get(name: string): ChildProcess | undefined {
    return this.children.get(name);
  }

  names(): string[] {
    return [...this.children.keys()];
  }

  /** Sends `signal` to one process and waits until it has exited. */
  async stop(name: string, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.children.get(name);
    if (!child) return;
    await stopChild(child, signal);
    this.children.delete(name);
  }

  /** Stops every process in `order` first (names), then the rest, all with SIGTERM then SIGKILL. */
  async stopAll(order: string[] = []): Promise<void> {
    for (const name of order) await this.stop(name);
    await Promise.all(this.names().map((name) => this.stop(name)));
  }
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill(signal);
  });
}
