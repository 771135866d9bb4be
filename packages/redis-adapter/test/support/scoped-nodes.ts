import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { type ClusterAdapter, Server } from "@roomcast/core";
import { Redis, type RedisOptions } from "ioredis";
import { Unpackr } from "msgpackr";
import { createAdapter, createStreamsStore, type RedisStreamsStore } from "../../src/index.js";
import { quietLogger } from "./redis-nodes.js";
import { SlowLink } from "./slow-link.js";

/** Messages one node's subscriber connections read, by channel. */
export type Heard = Map<string, number>;

/** A client whose duplicates (the streams store's subscriber) can go through a slow link, and are listened to. */
class StoreClient extends Redis {
  readonly copies: Redis[] = [];

  constructor(
    url: string,
    options: RedisOptions,
    private readonly subscriberPort: number | undefined,
  ) {
    super(url, options);
  }

  override duplicate(override?: Partial<RedisOptions>): Redis {
    const copy = super.duplicate({ ...override, ...(this.subscriberPort === undefined ? {} : { host: "127.0.0.1", port: this.subscriberPort }) });
    this.copies.push(copy);
    return copy;
  }
}

/** A node with the Redis adapter and the streams store, serving @roomcast/client and socket.io-client. */
export interface ScopedNode {
  name: string;
  io: Server;
  port: number;
  url: string;
  adapter(): ClusterAdapter;
  store(): RedisStreamsStore;
  /** What the adapter's subscriber read, by channel. */
  adapterHeard: Heard;
  /** What the store's subscriber read, by channel. */
  storeHeard: Heard;
  close(): Promise<void>;
}

export interface ScopedNodeOptions {
  maxPackets?: number;
  /** Every chunk between the store's subscriber connection and Redis waits this long (ms), both ways. */
  slowSubscriberMs?: number;
  /** The store's client is created with `lazyConnect` (and connected by the application). */
  lazyConnect?: boolean;
  /** The Redis adapter is set with `io.adapter(...)` after the server (and its namespace) exist. */
  adapterLater?: boolean;
}

/**
 * What every test node does with its sockets: a fresh one joins the rooms its auth names
 * (`{ rooms: [...] }`), a recovered one keeps its own; a "join" event joins one more and acks.
 */
export function joinRoomsOnRequest(io: Server): void {
  io.on("connection", (socket) => {
    if (!socket.recovered) socket.join((socket.handshake.auth as { rooms?: string[] }).rooms ?? []);
    socket.on("join", (room: string, ack: () => void) => {
      socket.join(room);
      ack();
    });
  });
}

/**
 * Starts a node on `redisUrl`. Sockets join `auth.rooms` on a fresh session, and join a room when
 * they emit "join" (acknowledged once the join is stored, as every membership change with this
 * store).
 */
export async function startScopedNode(name: string, redisUrl: string, options: ScopedNodeOptions = {}): Promise<ScopedNode> {
  const link = options.slowSubscriberMs === undefined ? undefined : await SlowLink.start(Number(new URL(redisUrl).port), options.slowSubscriberMs);
  const pub = new Redis(redisUrl);
  const sub = pub.duplicate();
  const storeClient = new StoreClient(redisUrl, { connectionName: `${name}-store`, lazyConnect: options.lazyConnect === true }, link?.port);
  if (options.lazyConnect === true) await storeClient.connect();
  const adapter = createAdapter(pub, sub, { logger: quietLogger, heartbeatInterval: 500 });
  const io = new Server(0, {
    ...(options.adapterLater !== true && { adapter }),
    logger: quietLogger,
    socketio: true,
    connectionStateRecovery: { store: createStreamsStore(storeClient), maxPackets: options.maxPackets },
  });
  if (options.adapterLater === true) io.adapter(adapter);
  joinRoomsOnRequest(io);
  const http = io.httpServer!;
  if (!http.listening) await once(http, "listening");
  const store = (): RedisStreamsStore => io.sockets.recovery!.store as RedisStreamsStore;
  await store().ready;
  const adapterHeard: Heard = new Map();
  const storeHeard: Heard = new Map();
  const count = (heard: Heard) => (channel: Buffer) => {
    const name = channel.toString();
    heard.set(name, (heard.get(name) ?? 0) + 1);
  };
  sub.on("messageBuffer", count(adapterHeard));
  for (const copy of storeClient.copies) copy.on("messageBuffer", count(storeHeard));
  const port = (http.address() as AddressInfo).port;
  let closed = false;
  return {
    name,
    io,
    port,
    url: `http://127.0.0.1:${port}`,
    adapter: () => io.of("/").adapter as ClusterAdapter,
    store,
    adapterHeard,
    storeHeard,
    close: async () => {
      if (closed) return;
      closed = true;
      await io.close();
      for (const client of [pub, sub, storeClient]) client.disconnect();
      await link?.close();
    },
  };
}

/** The sum of what `heard` counted on the channels `which` accepts. */
export function heardOn(heard: Heard, which: (channel: string) => boolean): number {
  let sum = 0;
  for (const [channel, n] of heard) if (which(channel)) sum += n;
  return sum;
}

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/** One entry of the namespace's stream: its rooms and the event's first argument. */
export interface StreamEntry {
  rooms: string[];
  value: unknown;
}

/** The stream of namespace "/" as Redis holds it, in order. */
export async function readStream(redisUrl: string): Promise<StreamEntry[]> {
  const probe = new Redis(redisUrl);
  try {
    return await readStreamWith(probe);
  } finally {
    probe.disconnect();
  }
}

/** The same through a client of the test's own (a Redis Cluster's, say), for the store's `prefix`. */
export async function readStreamWith(client: Pick<Redis, "xrangeBuffer">, prefix = "roomcast"): Promise<StreamEntry[]> {
  const entries = (await client.xrangeBuffer(`{${prefix}#/}#stream`, "-", "+")) as [Buffer, Buffer[]][];
  return entries.map(([, fields]) => {
    const [rooms, , data] = unpackr.unpack(fields[1]) as [string[], string[], unknown[] | null];
    return { rooms, value: data?.[1] };
  });
}
