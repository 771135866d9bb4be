import { Catch, UseFilters, type ArgumentsHost, type ExceptionFilter } from "@nestjs/common";
import { MessageBody, SubscribeMessage, WebSocketGateway, WsException } from "@nestjs/websockets";
import { throwError, type Observable } from "rxjs";
import { afterEach, describe, expect, it } from "vitest";
import { ClientPool } from "./support/clients.js";
import { nextEvent, waitFor } from "./support/next-event.js";
import { SETUPS, startApp, type RunningApp } from "./support/nest-app.js";

@WebSocketGateway()
class GuardedGateway {
  @SubscribeMessage("login")
  login(@MessageBody() body: { password: string }): string {
    if (body.password !== "secret") throw new WsException("Invalid credentials");
    return "welcome";
  }

  @SubscribeMessage("detailed")
  async detailed(): Promise<never> {
    throw new WsException({ code: "E_QUOTA", retryInMs: 1000 });
  }

  @SubscribeMessage("stream")
  stream(): Observable<never> {
    return throwError(() => new WsException("stream failed"));
  }

  @SubscribeMessage("bug")
  bug(): never {
    throw new Error("a bug, not for clients");
  }
}

/** A broken filter: what it throws gets past Nest's exception handling, to the adapter. */
@Catch()
class ThrowingFilter implements ExceptionFilter {
  catch(_exception: unknown, _host: ArgumentsHost): void {
    throw new Error("the filter itself failed");
  }
}

@WebSocketGateway()
@UseFilters(new ThrowingFilter())
class BrokenFilterGateway {
  @SubscribeMessage("fail")
  fail(): never {
    throw new WsException("handled by a broken filter");
  }

  @SubscribeMessage("ping")
  ping(): string {
    return "pong";
  }
}

describe.each(SETUPS)("exceptions: $name", ({ adapter, client }) => {
  let running: RunningApp | undefined;
  const clients = new ClientPool(client);

  afterEach(async () => {
    clients.closeAll();
    await running?.close();
    running = undefined;
  });

  it("sends a WsException to the client as the \"exception\" event, with the message that caused it", async () => {
    running = await startApp([GuardedGateway], adapter);
    const socket = await clients.connect(running.port);
    const exception = nextEvent(socket, "exception");
    socket.emit("login", { password: "guess" });
    expect(await exception).toEqual([{ status: "error", message: "Invalid credentials", cause: { pattern: "login", data: { password: "guess" } } }]);
    // the socket and the handler still work
    expect(await socket.timeout(5000).emitWithAck("login", { password: "secret" })).toBe("welcome");
  });

  it("sends a WsException's object as it is", async () => {
    running = await startApp([GuardedGateway], adapter);
    const socket = await clients.connect(running.port);
    const exception = nextEvent(socket, "exception");
    socket.emit("detailed");
    expect(await exception).toEqual([{ code: "E_QUOTA", retryInMs: 1000 }]);
  });

  it("sends a WsException an Observable errors with", async () => {
    running = await startApp([GuardedGateway], adapter);
    const socket = await clients.connect(running.port);
    const exception = nextEvent(socket, "exception");
    socket.emit("stream", 1);
    expect(await exception).toEqual([{ status: "error", message: "stream failed", cause: { pattern: "stream", data: 1 } }]);
  });

  it("hides any other error behind \"Internal server error\" and logs it", async () => {
    running = await startApp([GuardedGateway], adapter);
    const socket = await clients.connect(running.port);
    const exception = nextEvent(socket, "exception");
    socket.emit("bug");
    expect(await exception).toEqual([{ status: "error", message: "Internal server error", cause: { pattern: "bug", data: undefined } }]);
    expect(running.logs.messages("error").some((message) => message.includes("a bug, not for clients"))).toBe(true);
  });

  it("logs an error that escapes the exception filters, and keeps serving the socket", async () => {
    running = await startApp([BrokenFilterGateway], adapter);
    const socket = await clients.connect(running.port);
    socket.emit("fail");
    const logs = running.logs;
    await waitFor(() => logs.messages("error").some((message) => message.includes("the filter itself failed")), "the error to be logged");
    expect(await socket.timeout(5000).emitWithAck("ping")).toBe("pong");
  });
});
