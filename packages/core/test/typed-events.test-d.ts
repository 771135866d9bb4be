import { describe, expectTypeOf, it } from "vitest";
import { Server, type BroadcastOperator, type Namespace, type RemoteSocket, type Socket } from "../src/index.js";

interface ClientToServer {
  chat(text: string): void;
  add(a: number, b: number, ack: (sum: number) => void): void;
}
interface ServerToClient {
  chat(text: string, from: string): void;
  poll(question: string, ack: (answer: boolean) => void): void;
}
interface InterServer {
  ping(node: string): void;
}
interface SocketData {
  user: string;
}

declare const io: Server<ClientToServer, ServerToClient, InterServer, SocketData>;

describe("typed events", () => {
  it("types connection sockets and their listeners", () => {
    io.on("connection", (socket) => {
      expectTypeOf(socket).toEqualTypeOf<Socket<ClientToServer, ServerToClient, InterServer, SocketData>>();
      expectTypeOf(socket.data).toEqualTypeOf<SocketData>();
      socket.on("chat", (text) => expectTypeOf(text).toBeString());
      socket.on("add", (a, b, ack) => {
        expectTypeOf(a).toBeNumber();
        expectTypeOf(b).toBeNumber();
        expectTypeOf(ack).toEqualTypeOf<(sum: number) => void>();
      });
      socket.on("disconnect", (reason) => expectTypeOf(reason).toEqualTypeOf<import("../src/index.js").DisconnectReason>());
    });
  });

  it("checks emitted payloads", () => {
    io.on("connection", (socket) => {
      socket.emit("chat", "hi", "server");
      // @ts-expect-error wrong payload type
      socket.emit("chat", 1, "server");
      // @ts-expect-error unknown event
      socket.emit("nope");
      socket.emit("poll", "ok?", (answer) => expectTypeOf(answer).toBeBoolean());
      socket.timeout(1000).emit("poll", "ok?", (err, answer) => {
        expectTypeOf(err).toEqualTypeOf<Error>();
        expectTypeOf(answer).toBeBoolean();
      });
      expectTypeOf(socket.emitWithAck("poll", "ok?")).resolves.toBeBoolean();
      expectTypeOf(socket.to("room")).toEqualTypeOf<BroadcastOperator<ServerToClient, SocketData>>();
      socket.broadcast.emit("chat", "hi", "x");
      // @ts-expect-error wrong payload on a broadcast
      socket.broadcast.emit("chat", "hi");
    });
  });

  it("types broadcasts with acks as one reply per recipient", () => {
    io.to("room").emit("chat", "hello", "server");
    // @ts-expect-error missing argument
    io.to("room").emit("chat", "hello");
    io.timeout(1000).emit("poll", "q", (err, answers) => {
      expectTypeOf(err).toEqualTypeOf<Error>();
      expectTypeOf(answers).toEqualTypeOf<boolean[]>();
    });
    expectTypeOf(io.to("room").timeout(100).emitWithAck("poll", "q")).resolves.toEqualTypeOf<boolean[]>();
  });

  it("types namespaces, server-side events and fetched sockets", () => {
    expectTypeOf(io.of("/admin")).toEqualTypeOf<Namespace<ClientToServer, ServerToClient, InterServer, SocketData>>();
    io.serverSideEmit("ping", "node-1");
    // @ts-expect-error wrong server-side payload
    io.serverSideEmit("ping", 1);
    io.on("ping", (node) => expectTypeOf(node).toBeString());
    expectTypeOf(io.fetchSockets()).resolves.toEqualTypeOf<RemoteSocket<ServerToClient, SocketData>[]>();
  });

  it("defaults to untyped events", () => {
    const loose = new Server();
    loose.on("connection", (socket) => {
      socket.emit("anything", 1, "two", { three: 3 });
      socket.on("whatever", (...args) => expectTypeOf(args).toEqualTypeOf<any[]>());
    });
  });
});
