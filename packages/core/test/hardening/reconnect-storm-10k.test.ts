import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuiltCore } from "../support/built-core.js";

/*
 * 10k clients here, the server in a child process: 10k sockets on each side stays under the
 * 20000 descriptors one process may hold. Clients spread over several loopback source addresses
 * so that two generations of 10k connections never run short of ephemeral ports.
 */
const CLIENTS = Number(process.env.ROOMCAST_STORM_CLIENTS ?? 10_000);
const SOURCES = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"];
/* The client package's defaults: full jitter over an exponential delay from 1 s up to 5 s. */
const DELAY = 1000;
const DELAY_MAX = 5000;
const NODE_SCRIPT = fileURLToPath(new URL("../support/node-process.mjs", import.meta.url));
const RESULTS = fileURLToPath(new URL("./results/", import.meta.url));

interface Node {
  child: ChildProcess;
  port: number;
  request<T>(type: string): Promise<T>;
}

function startNode(port = 0): Promise<Node> {
  // Plain Node: without the test runner's flags, so workspace packages resolve to their builds.
  const child = fork(NODE_SCRIPT, [String(port)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: [],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`node exited early (${code})`)));
    child.once("message", (message: { type: string; port: number }) => {
      child.removeAllListeners("exit");
      resolve({
        child,
        port: message.port,
        request: <T>(type: string) =>
          new Promise<T>((res) => {
            child.once("message", (reply) => res(reply as T));
            child.send({ type });
          }),
      });
    });
  });
}

/** A raw client with the client package's reconnection policy: full jitter, exponential, capped. */
class StormClient {
  ws: WebSocket | undefined;
  connected = false;
  connectedAt = 0;
  attempts = 0;
  /** Errors other than "nobody listening yet" (handshake failures, resets, refusals with a status). */
  unexpectedErrors: string[] = [];
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: () => string,
    private readonly localAddress: string,
    private readonly onConnected: (client: StormClient) => void,
    /** Attempts opened before this time do not count their errors. */
    private readonly errorsSince: () => number,
  ) {}

  open(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.url(), ["roomcast.v1.json"], { localAddress: this.localAddress, handshakeTimeout: 20_000 });
    this.ws = ws;
    const openedAt = performance.now();
    ws.on("error", (err: NodeJS.ErrnoException) => {
      // Connections of the killed node die with resets: that is the kill, not a failed reconnect.
      // A refusal means nobody listens yet; the backoff takes care of it.
      if (openedAt > this.errorsSince() && err.code !== "ECONNREFUSED") this.unexpectedErrors.push(err.code ?? err.message);
    });
    ws.on("open", () => ws.send('[0,"/"]'));
    ws.on("message", (data: Buffer) => {
      const text = data.toString();
      if (text === "[7]") ws.send("[7]");
      else if (text.startsWith("[1,")) {
        this.connected = true;
        this.connectedAt = performance.now();
        this.attempts = 0;
        this.onConnected(this);
      }
    });
    ws.on("close", () => {
      this.connected = false;
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const ceiling = Math.min(DELAY_MAX, DELAY * 2 ** this.attempts++);
    this.timer = setTimeout(() => this.open(), Math.random() * ceiling);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.terminate();
  }
}

describe("Reconnect storm: 10k clients after a node is killed", () => {
  let node: Node | undefined;
  const clients: StormClient[] = [];

  beforeAll(() => ensureBuiltCore(), 120_000);

  afterAll(async () => {
    for (const client of clients) client.stop();
    if (node && node.child.exitCode === null) node.child.kill("SIGKILL");
  });

  it("every client is accepted again without errors; the time until all are back is recorded", async () => {
    node = await startNode();
    const port = node.port;
    let connectedCount = 0;
    let generation = 1;
    /** When the killed process was gone: connections opened before may still hit its dying sockets. */
    let goneAt = Infinity;
    const back = new Set<StormClient>();
    let allBack: () => void = () => {};
    const allBackPromise = new Promise<void>((resolve) => (allBack = resolve));
    const onConnected = (client: StormClient): void => {
      if (generation === 1) connectedCount++;
      else {
        back.add(client);
        if (back.size === CLIENTS) allBack();
      }
    };
    for (let i = 0; i < CLIENTS; i++) {
      clients.push(new StormClient(() => `ws://127.0.0.1:${port}/roomcast`, SOURCES[i % SOURCES.length], onConnected, () => goneAt));
    }
    // Ramp up in steps, so the first generation is not itself a storm.
    for (let i = 0; i < CLIENTS; i += 500) {
      for (const client of clients.slice(i, i + 500)) client.open();
      const target = Math.min(i + 500, CLIENTS);
      const deadline = Date.now() + 30_000;
      while (connectedCount < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    }
    expect(connectedCount).toBe(CLIENTS);

    // kill -9: no close frames, the kernel resets every connection.
    generation = 2;
    const killedAt = performance.now();
    const exited = new Promise((resolve) => node!.child.once("exit", resolve));
    node.child.kill("SIGKILL");
    await exited;
    goneAt = performance.now();
    node = await startNode(port);
    const listeningAt = performance.now();
    await allBackPromise;
    const doneAt = performance.now();

    const { metrics, counts } = await node.request<{ metrics: Record<string, number>; counts: Record<string, number> }>("metrics");
    const errors = clients.flatMap((c) => c.unexpectedErrors);
    const result = {
      clients: CLIENTS,
      sourceAddresses: SOURCES.length,
      backoff: { delay: DELAY, delayMax: DELAY_MAX, jitter: "full" },
      msFromKillToAllBack: Math.round(doneAt - killedAt),
      msFromRestartToAllBack: Math.round(doneAt - listeningAt),
      msRestart: Math.round(listeningAt - killedAt),
      serverMetrics: {
        connectionsOpened: metrics.connectionsOpened,
        upgradesRejected: metrics.upgradesRejected,
        protocolErrors: metrics.protocolErrors,
        connectErrors: metrics.connectErrors,
      },
      unexpectedClientErrors: errors.length,
      at: new Date().toISOString(),
    };
    console.log(`reconnect storm: ${JSON.stringify(result)}`);
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(`${RESULTS}reconnect-storm.latest.json`, JSON.stringify(result, null, 2) + "\n");

    // Every client is back, each accepted on its first successful handshake: no refusals, no errors.
    expect(back.size).toBe(CLIENTS);
    expect(counts.sockets).toBe(CLIENTS);
    expect(metrics.upgradesRejected).toBe(0);
    expect(metrics.protocolErrors).toBe(0);
    expect(metrics.connectErrors).toBe(0);
    expect(metrics.connectionsOpened).toBe(CLIENTS);
    expect(errors).toEqual([]);

    // The replacement node drains its 10k connections in batches and its process exits by itself.
    for (const client of clients) client.stop();
    const exit = new Promise<number | null>((resolve) => node!.child.once("exit", (code) => resolve(code)));
    node.child.send({ type: "close" });
    expect(await exit).toBe(0);
  }, 170_000);
});
