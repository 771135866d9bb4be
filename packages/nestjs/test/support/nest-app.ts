import type { AddressInfo } from "node:net";
import type { INestApplication, NestApplicationOptions, Type, WebSocketAdapter } from "@nestjs/common";
import { IoAdapter } from "@nestjs/platform-socket.io";
import { Test } from "@nestjs/testing";
import { RoomcastAdapter, type RoomcastAdapterOptions } from "../../src/index.js";
import { roomcastClient, socketIoClient, type ClientKind } from "./clients.js";
import { RecordingLogger } from "./recording-logger.js";

/** A Nest app listening on 127.0.0.1, a port chosen by the system. */
export interface RunningApp {
  app: INestApplication;
  port: number;
  logs: RecordingLogger;
  close(): Promise<void>;
}

export type AdapterFactory = (app: INestApplication) => WebSocketAdapter;

/** Compiles a testing module with `providers` (the gateways), serves it with `adapter`, listens. */
export async function startApp(providers: Type[], adapter: AdapterFactory, options: NestApplicationOptions = {}): Promise<RunningApp> {
  const logs = new RecordingLogger();
  const moduleRef = await Test.createTestingModule({ providers }).setLogger(logs).compile();
  const app = moduleRef.createNestApplication({ logger: logs, ...options });
  try {
    app.useWebSocketAdapter(adapter(app));
    await app.listen(0, "127.0.0.1");
  } catch (err) {
    await app.close();
    throw err;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return { app, port, logs, close: () => (closed ??= app.close()) };
}

export const roomcastAdapter =
  (options: RoomcastAdapterOptions = {}): AdapterFactory =>
  (app) =>
    new RoomcastAdapter(app, options);

/** An adapter and a client library that talk to each other. */
export interface Setup {
  name: string;
  adapter: AdapterFactory;
  client: ClientKind;
}

/**
 * The behaviour under test, on roomcast with both clients, and on Nest's own IoAdapter as the
 * reference: the same assertions hold on all three, which is what "works as with Nest's Socket.IO
 * adapter" means.
 */
export const SETUPS: Setup[] = [
  { name: "RoomcastAdapter with @roomcast/client", adapter: roomcastAdapter({ socketio: true }), client: roomcastClient },
  { name: "RoomcastAdapter with socket.io-client", adapter: roomcastAdapter({ socketio: true }), client: socketIoClient },
  { name: "IoAdapter (reference) with socket.io-client", adapter: (app) => new IoAdapter(app), client: socketIoClient },
];

/** The roomcast setups only, for what IoAdapter does not have. */
export const ROOMCAST_SETUPS = SETUPS.filter((setup) => setup.name.startsWith("RoomcastAdapter"));
