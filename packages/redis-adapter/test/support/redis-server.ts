import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? "redis-server";
const REDIS_CLI = process.env.REDIS_CLI_BIN ?? "redis-cli";
const run = promisify(execFile);

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Sends one inline command and resolves with the raw reply (or rejects when nobody answers). */
function command(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    let reply = "";
    const timer = setTimeout(() => socket.destroy(new Error("no reply")), 1000);
    socket.on("connect", () => socket.write(`${line}\r\n`));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (reply.endsWith("\r\n")) {
        clearTimeout(timer);
        socket.end();
        resolve(reply);
      }
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function poll(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A redis-server child process on its own port, for one test file. */
export class RedisServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly extraArgs: string[],
    private readonly cwd: string | undefined,
  ) {}

  /** Starts a throwaway redis-server (no persistence) on a free port and waits for PONG. */
  static async start(extraArgs: string[] = [], cwd?: string): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), extraArgs, cwd);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** (Re)starts the process on the same port. */
  async restart(): Promise<void> {
    const child = spawn(REDIS_SERVER, ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...this.extraArgs], {
      stdio: "ignore",
      cwd: this.cwd,
    });
    child.on("error", () => {});
    // Even if a test's teardown fails, the server never outlives the test process, and it
    // never keeps that process alive on its own.
    const killOnExit = (): void => {
      child.kill("SIGKILL");
    };
    process.once("exit", killOnExit);
    child.once("exit", () => process.off("exit", killOnExit));
    child.unref();
    this.child = child;
    await poll(`redis-server on port ${this.port}`, async () => (await command(this.port, "PING")).startsWith("+PONG"));
  }

  /** Kills the process at once (SIGKILL, like a crash) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  /** Runs `redis-cli` against this server. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run(REDIS_CLI, ["-p", String(this.port), ...args]);
    return stdout;
  }
}

/** The URL of a Redis to use: a fresh server of our own, or REDIS_URL when set and `shared` is allowed. */
export async function redisForTest(shared: boolean): Promise<{ url: string; server: RedisServer | undefined; stop(): Promise<void> }> {
  const external = process.env.REDIS_URL;
  if (shared && external) return { url: external, server: undefined, stop: async () => {} };
  const server = await RedisServer.start();
  return { url: server.url, server, stop: () => server.kill() };
}

/** A Redis Cluster of `masters` masters without replicas, on free ports, in a temporary directory. */
export class RedisClusterServer {
  private constructor(
    readonly nodes: RedisServer[],
    private readonly dir: string,
  ) {}

  static async start(masters = 3): Promise<RedisClusterServer> {
    const dir = await mkdtemp(join(tmpdir(), "roomcast-redis-cluster-"));
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < masters; i++) {
        // An explicit bus port: the default (port + 10000) may be taken or out of range.
        const busPort = await freePort();
        const port = await freePort();
        nodes.push(
          await RedisServer.start(
            ["--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}-${busPort}.conf`), "--cluster-port", String(busPort), "--cluster-node-timeout", "2000"],
            dir,
          ),
        );
      }
      const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
      await run(REDIS_CLI, ["--cluster", "create", ...addresses, "--cluster-replicas", "0", "--cluster-yes"]);
      for (const node of nodes) {
        await poll(`cluster_state:ok on ${node.port}`, async () => (await node.cli("cluster", "info")).includes("cluster_state:ok"), 20_000);
      }
    } catch (err) {
      await Promise.all(nodes.map((node) => node.kill()));
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return new RedisClusterServer(nodes, dir);
  }

  get startupNodes(): { host: string; port: number }[] {
    return this.nodes.map((node) => ({ host: "127.0.0.1", port: node.port }));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    await rm(this.dir, { recursive: true, force: true });
  }
}
