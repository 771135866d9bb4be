import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

const HAPROXY = process.env.HAPROXY_BIN ?? "haproxy";

/** Full path of HAProxy, or an error that names the package to install (a skipped test would look green). */
export function requireHaproxy(): string {
  const candidates = HAPROXY.includes("/") ? [HAPROXY] : (process.env.PATH ?? "").split(delimiter).filter(Boolean).map((dir) => join(dir, HAPROXY));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new Error(`these tests run HAProxy: no executable "${HAPROXY}" (looked on PATH; HAPROXY_BIN overrides). Install with: apt-get update && apt-get install -y haproxy`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** An HAProxy child process running one configuration, written to a temporary directory. */
export class Haproxy {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    private readonly output: string[],
  ) {}

  /** Starts `haproxy -db -f <config>` and resolves once `port` (a `bind` of the config) accepts connections. */
  static async start(config: string, port: number, timeoutMs = 5000): Promise<Haproxy> {
    const binary = requireHaproxy();
    const dir = await mkdtemp(join(tmpdir(), "roomcast-haproxy-"));
    const file = join(dir, "haproxy.cfg");
    await writeFile(file, config);
    const output: string[] = [];
    const child = spawn(binary, ["-db", "-f", file], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.on("error", (err) => output.push(String(err)));
    // Never outlives the test process, even when a teardown fails.
    const killOnExit = (): void => {
      child.kill("SIGKILL");
    };
    process.once("exit", killOnExit);
    child.once("exit", () => process.off("exit", killOnExit));
    const haproxy = new Haproxy(child, dir, output);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        await rm(dir, { recursive: true, force: true });
        throw new Error(`haproxy exited (${child.exitCode ?? child.signalCode}):\n${output.join("")}\n--- config ---\n${config}`);
      }
      if (await accepts(port)) return haproxy;
      if (Date.now() > deadline) {
        await haproxy.stop();
        throw new Error(`haproxy did not listen on 127.0.0.1:${port} within ${timeoutMs} ms:\n${output.join("")}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** What HAProxy printed (warnings, alerts). */
  get log(): string {
    return this.output.join("");
  }

  /** Hard stop (SIGTERM closes every connection at once), then removes the configuration. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
