import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const PACKAGES = fileURLToPath(new URL("../../../", import.meta.url));

/** True when the packages a node process imports are built (child processes run `dist`, as in production). */
export function packagesBuilt(): boolean {
  return ["protocol", "core", "redis-adapter", "client"].every((name) => existsSync(`${PACKAGES}${name}/dist/index.js`));
}

/** A message a node process sends on its own (not an answer). */
export interface NodeEvent {
  event: string;
  [field: string]: unknown;
}

/**
 * A node script (such as support/recovery-node.mjs) in a child process: it prints `{"port":N}`
 * once listening and answers `{id, cmd, ...}` commands over the IPC channel. The child never
 * outlives the test process.
 */
export class NodeProcess {
  readonly events: NodeEvent[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: Record<string, unknown>): void; reject(err: Error): void }>();
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
    child.on("message", (msg: { id?: number; error?: string } & Record<string, unknown>) => {
      if (msg.id === undefined) {
        this.events.push(msg as NodeEvent);
        return;
      }
      const waiter = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error !== undefined) waiter?.reject(new Error(`${name}: ${msg.error}`));
      else waiter?.resolve(msg);
    });
    child.once("exit", (code, signal) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${name} exited (${signal ?? code})`));
      this.pending.clear();
    });
  }

  static start(script: URL, name: string, env: Record<string, string>): Promise<NodeProcess> {
    const child = spawn(process.execPath, [fileURLToPath(script)], {
      env: { ...process.env, NAME: name, ...env },
      stdio: ["ignore", "pipe", "inherit", "ipc"],
    });
    const killOnExit = (): void => {
      child.kill("SIGKILL");
    };
    process.once("exit", killOnExit);
    child.once("exit", () => process.off("exit", killOnExit));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start`)), 15_000);
      child.once("exit", (code) => reject(new Error(`${name} exited with ${code} on start`)));
      createInterface({ input: child.stdout! }).once("line", (line) => {
        clearTimeout(timer);
        resolve(new NodeProcess(name, child, (JSON.parse(line) as { port: number }).port));
      });
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  request<T = Record<string, unknown>>(cmd: string, fields: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: Record<string, unknown>) => void, reject });
      this.child.send({ id, cmd, ...fields });
    });
  }

  /** Kills the process at once, like a crash (no shutdown code runs), and waits until it is gone. */
  async crash(): Promise<void> {
    this.child.kill("SIGKILL");
    await this.exited;
  }

  /** Graceful stop (SIGTERM), SIGKILL after 3 s. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}
