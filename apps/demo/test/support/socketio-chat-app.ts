/*
 * A small chat app written the way a Socket.IO user writes one. It never names a library: the
 * test hands it either `socket.io` + `socket.io-client` or `@roomcast/core` + `@roomcast/client`,
 * which is exactly the change a port consists of (the import lines).
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface ServerModule {
  Server: new (http: HttpServer, options?: any) => any;
}
export interface ClientModule {
  io: (url: string, options?: any) => any;
}

export async function startChatServer({ Server }: ServerModule): Promise<{ io: any; url: string; close: () => Promise<void> }> {
  const http = createServer();
  const io = new Server(http, { pingInterval: 10_000 });

  io.use((socket: any, next: (err?: Error) => void) => {
    const nickname = socket.handshake.auth?.nickname;
    if (typeof nickname !== "string" || nickname === "") {
      const err = new Error("nickname required") as Error & { data?: unknown };
      err.data = { field: "nickname" };
      return next(err);
    }
    socket.data.nickname = nickname;
    next();
  });

  io.on("connection", (socket: any) => {
    socket.on("join", async (room: string, ack: (reply: unknown) => void) => {
      await socket.join(room);
      socket.to(room).emit("joined", socket.data.nickname, room);
      const members = (await io.in(room).fetchSockets()).map((s: any) => s.data.nickname).sort();
      ack({ members });
    });
    socket.on("say", (room: string, text: string, ack: (reply: string) => void) => {
      socket.to(room).emit("said", { from: socket.data.nickname, room, text });
      ack("delivered");
    });
    socket.on("dm", (to: string, text: string) => {
      io.to(to).emit("dm", { from: socket.data.nickname, text });
    });
    socket.on("poll", async (room: string, ack: (answers: unknown) => void) => {
      const answers = await io.to(room).except(socket.id).timeout(2000).emitWithAck("vote");
      ack(answers.sort());
    });
    socket.on("leave", async (room: string) => {
      await socket.leave(room);
      socket.to(room).emit("left", socket.data.nickname, room);
    });
    socket.on("disconnecting", () => {
      for (const room of socket.rooms) if (room !== socket.id) socket.to(room).emit("left", socket.data.nickname, room);
    });
  });

  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return { io, url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => io.close(() => resolve())) };
}

export function connectUser({ io }: ClientModule, url: string, nickname: string | undefined): any {
  return io(url, { auth: nickname === undefined ? {} : { nickname }, forceNew: true, reconnection: false });
}
