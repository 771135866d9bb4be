import { randomBytes } from "node:crypto";
import type { RecoveryStoreFactory } from "@roomcast/core";
import type { LiveSessionTimings } from "./live-sessions.js";
import { packetChannels } from "./packet-channels.js";
import { RedisStreamsStore, type StoreNode, type StoreSubscriptions } from "./redis-streams-store.js";
import type { RedisClient } from "./redis-client.js";
import { defineScripts } from "./stream-scripts.js";
import { checkStreamsStoreOptions, type StreamsStoreOptions } from "./streams-store-options.js";

export type { StreamsStoreOptions } from "./streams-store-options.js";

const PIPE = 0x7c; // "|": positions never contain it, so the first one ends the position
const SYNC_NOTICE = "sync|";

/**
 * Connection-state recovery across nodes: packets in a Redis stream per namespace (`XADD MAXLEN ~`),
 * sessions as keys with a TTL, so a client can resume on any node. Every recoverable packet goes
 * through Redis once (stamped and published by one script) on the channels of its rooms, so it
 * reaches only the nodes with members there, and each of them in stream order; packets to the
 * whole namespace or to a socket id reach every node. Acks and volatile packets keep going
 * through the adapter.
 *
 * Sessions are kept while their sockets are connected too (written at connect, after each join
 * and leave, and every `sessionRefreshInterval`), so a crashed node's clients resume elsewhere;
 * during a Redis outage events wait on their node and are delivered late, and clients that cannot
 * be given every event are resynchronised (close 4005). See docs/RECOVERY.md, "Crashes" and
 * "Redis outages".
 *
 * @throws TypeError for an unknown option or a value of the wrong type
 *
 * @example
 * const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
 * const io = new Server(3000, {
 *   adapter: createAdapter(redis, redis.duplicate()),
 *   connectionStateRecovery: { store: createStreamsStore(redis) },
 * });
 */
export function createStreamsStore(client: RedisClient, opts: StreamsStoreOptions = {}): RecoveryStoreFactory {
  checkStreamsStoreOptions(opts);
  const prefix = opts.prefix ?? "roomcast";
  /* this node, as the owner written in the fences of its live sessions */
  const owner = randomBytes(9).toString("base64url");
  const noticePrefix = `${prefix}#owner#`;
  const noticeChannel = noticePrefix + owner;
  /* the stores by their namespace channel */
  const stores = new Map<string, RedisStreamsStore>();
  /* every channel the subscriber listens to for a store (namespace and room channels), to that store */
  const routes = new Map<string, RedisStreamsStore>();
  /* (un)subscriptions asked for while the subscriber was not ready, sent in order once it is */
  let deferred: (() => void)[] = [];
  let subscriber: RedisClient | undefined;
  let clientDropped = false;
  // An unreachable Redis shows as failed resumes and warnings, never as an unhandled error.
  if (client.listenerCount("error") === 0) client.on("error", () => {});
  const events = client as RedisClient & EventSource;
  const onClientClose = (): void => {
    clientDropped = true;
  };
  const onClientReady = (): void => {
    if (!clientDropped) return;
    clientDropped = false;
    // Redis may have restarted without its data: every live session is written again
    for (const store of stores.values()) store.live.reconnected();
  };
  /* the client's own events, listened to while the factory has stores (the client is the application's) */
  const listen = (on: boolean): void => {
    const method = on ? "on" : "removeListener";
    events[method]("close", onClientClose);
    events[method]("ready", onClientReady);
  };

  /** SUBSCRIBE once the subscriber is ready (before ioredis's ready check completes it breaks the check, see RedisBus). */
  const whenReady = (sub: RedisClient): Promise<void> => (sub.status === "ready" ? Promise.resolve() : new Promise<void>((resolve) => sub.once("ready", () => resolve())));

  /** Runs `op` on the subscriber now if it is ready, else once it is, after the (un)subscriptions asked for before. */
  const onSubscriber = (op: (sub: RedisClient) => Promise<unknown>): Promise<unknown> => {
    const sub = subscriberOf();
    if (sub.status === "ready" && deferred.length === 0) return op(sub);
    return new Promise((resolve, reject) => deferred.push(() => void op(sub).then(resolve, reject)));
  };

  const subscriberOf = (): RedisClient => {
    if (subscriber !== undefined) return subscriber;
    const sub = client.duplicate();
    sub.on("error", () => {});
    // a duplicate of a lazyConnect client waits for a first command that `whenReady` never sends
    if (sub.status === "wait") sub.connect?.().catch(() => {});
    sub.on("messageBuffer", (channelBytes: Buffer, message: Buffer) => {
      const channel = channelBytes.toString();
      if (channel === noticeChannel) return notice(message.toString());
      const store = routes.get(channel);
      const cut = message.indexOf(PIPE);
      if (store === undefined || cut <= 0) return;
      // nothing after the position: a tick
      store.receive(message.toString("latin1", 0, cut), cut + 1 === message.length ? undefined : message.subarray(cut + 1));
    });
    // a broken subscriber connection loses what is published meanwhile: each store catches up
    sub.on("close", () => {
      for (const store of stores.values()) store.follower.interrupted();
    });
    sub.on("ready", () => {
      const ops = deferred;
      deferred = [];
      for (const op of ops) op();
      for (const [channel, store] of stores) {
        // ioredis subscribes again by itself (room channels too); this reply comes after all of those
        sub.subscribe(channel).then(
          () => store.follower.resumed(),
          () => {},
        );
      }
    });
    void whenReady(sub).then(() => sub.subscribe(noticeChannel).catch(() => {}));
    subscriber = sub;
    return sub;
  };

  /** A message on this node's notice channel: a read's marker, or a session claimed by another node. */
  const notice = (text: string): void => {
    if (text.startsWith(SYNC_NOTICE)) {
      const bar = text.lastIndexOf("|");
      stores.get(text.slice(SYNC_NOTICE.length, bar))?.receive(text.slice(bar + 1), undefined);
      return;
    }
    takenOver(text);
  };

  /** Another node claimed a session of this node: "<generation>|<session key>". */
  const takenOver = (text: string): void => {
    const bar = text.indexOf("|");
    const marker = text.lastIndexOf("#session#");
    if (bar <= 0 || marker <= bar) return;
    const store = stores.get(`${text.slice(bar + 1, marker)}#packets`);
    store?.live.takenOver(text.slice(marker + "#session#".length), Number(text.slice(0, bar)));
  };

  return (context) => {
    const base = `{${prefix}#${context.nsp}}`;
    const channels = packetChannels(base);
    const refreshInterval = opts.sessionRefreshInterval ?? Math.min(30_000, Math.max(1000, Math.floor(context.maxDisconnectionDuration / 4)));
    const timings: LiveSessionTimings = { flushDelay: opts.sessionFlushDelay ?? 0, refreshInterval, maxDisconnectionDuration: context.maxDisconnectionDuration };
    const sub = subscriberOf();
    const subscriptions: StoreSubscriptions = {
      subscribe: (channel) => {
        routes.set(channel, store);
        return onSubscriber((s) => s.subscribe(channel));
      },
      unsubscribe: (channel) => {
        routes.delete(channel);
        void onSubscriber((s) => s.unsubscribe(channel)).catch(() => {});
      },
    };
    const node: StoreNode = { owner, noticePrefix, noticeChannel, timings, subscriptions };
    const store: RedisStreamsStore = new RedisStreamsStore(defineScripts(client), context, base, channels, node, () => {
      stores.delete(channels.namespace);
      routes.delete(channels.namespace);
      if (stores.size === 0) {
        subscriber?.disconnect();
        subscriber = undefined;
        deferred = [];
        routes.clear();
        listen(false);
      } else {
        sub.unsubscribe(channels.namespace).catch(() => {});
      }
    });
    if (stores.size === 0) listen(true);
    stores.set(channels.namespace, store);
    routes.set(channels.namespace, store);
    store.ready = whenReady(sub)
      .then(() => sub.subscribe(channels.namespace))
      .then(() => store.follower.started())
      .catch((err: unknown) => context.warn("could not subscribe to the packet channel", err));
    return store;
  };
}

/** The listener methods of an ioredis client (an EventEmitter) that the factory also removes. */
interface EventSource {
  on(event: string, listener: (...args: any[]) => void): unknown;
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
}
