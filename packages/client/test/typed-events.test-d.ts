import { describe, expectTypeOf, it } from "vitest";
import { io, type Socket } from "../src/index.js";

interface ServerToClient {
  message: (text: string, from: string) => void;
  question: (q: string, answer: (n: number) => void) => void;
}
interface ClientToServer {
  chat: (text: string) => void;
  double: (x: number, cb: (result: number) => void) => void;
}

describe("typed events", () => {
  const socket: Socket<ServerToClient, ClientToServer> = io("http://localhost:3000", { autoConnect: false });

  it("types listeners from the server-to-client map", () => {
    socket.on("message", (text, from) => {
      expectTypeOf(text).toEqualTypeOf<string>();
      expectTypeOf(from).toEqualTypeOf<string>();
    });
    socket.on("question", (_q, answer) => {
      expectTypeOf(answer).toEqualTypeOf<(n: number) => void>();
    });
    socket.on("connect_error", (err) => expectTypeOf(err.message).toEqualTypeOf<string>());
    socket.on("disconnect", (reason) => expectTypeOf(reason).toEqualTypeOf<import("../src/index.js").DisconnectReason>());
    // @ts-expect-error wrong listener signature
    socket.on("message", (_text: number) => {});
  });

  it("types emits from the client-to-server map", () => {
    socket.emit("chat", "hi");
    socket.emit("double", 2, (result) => expectTypeOf(result).toEqualTypeOf<number>());
    // @ts-expect-error wrong argument type
    socket.emit("chat", 1);
    // @ts-expect-error unknown event
    socket.emit("nope");
  });

  it("types acks with timeout() and emitWithAck", () => {
    socket.timeout(100).emit("double", 2, (err, result) => {
      expectTypeOf(err).toEqualTypeOf<Error | null>();
      expectTypeOf(result).toEqualTypeOf<number>();
    });
    expectTypeOf(socket.emitWithAck("double", 2)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(socket.timeout(100).emitWithAck("double", 2)).toEqualTypeOf<Promise<number>>();
  });

  it("lets io() take the maps as generics", () => {
    const typed = io<ServerToClient, ClientToServer>("http://localhost:3000", { autoConnect: false });
    expectTypeOf(typed).toEqualTypeOf<Socket<ServerToClient, ClientToServer>>();
    const untyped = io("http://localhost:3000", { autoConnect: false });
    untyped.emit("anything", 1, "two");
    untyped.on("whatever", (...args) => expectTypeOf(args).toEqualTypeOf<any[]>());
  });
});

describe("reserved error event", () => {
  it("carries the server's error code", () => {
    const socket = {} as Socket;
    socket.on("error", (err) => {
      expectTypeOf(err.code).toEqualTypeOf<string>();
      expectTypeOf(err.message).toEqualTypeOf<string>();
    });
  });
});
