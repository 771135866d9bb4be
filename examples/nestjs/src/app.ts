import type { AddressInfo } from "node:net";
import type { INestApplication, LogLevel } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { RoomcastAdapter } from "@roomcast/nestjs";
import { AppModule } from "./app.module.js";

export interface StartOptions {
  /** 0 picks a free port. Default 3000. */
  port?: number;
  host?: string;
  /** Nest's logger levels, or false for none. Default: Nest's. */
  logger?: false | LogLevel[];
}

export interface RunningChat {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

export async function start({ port = 3000, host = "127.0.0.1", logger }: StartOptions = {}): Promise<RunningChat> {
  const app = await NestFactory.create(AppModule, logger === undefined ? {} : { logger });
  // socketio: true also serves unmodified socket.io-clients at /socket.io/, beside roomcast's /roomcast
  app.useWebSocketAdapter(new RoomcastAdapter(app, { socketio: true }));
  await app.listen(port, host);
  const address = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://${host}:${address.port}`, close: () => app.close() };
}
