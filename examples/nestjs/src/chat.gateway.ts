import { Inject } from "@nestjs/common";
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  WsException,
  type OnGatewayConnection,
  type OnGatewayInit,
} from "@nestjs/websockets";
import type { Server, Socket } from "@roomcast/core";
import { ChatService } from "./chat.service.js";
import type { ClientToServer, JoinReply, ServerToClient, SocketData } from "./events.js";

type ChatServer = Server<ClientToServer, ServerToClient, Record<string, never>, SocketData>;
type ChatSocket = Socket<ClientToServer, ServerToClient, Record<string, never>, SocketData>;

/** A chat with rooms: the handlers' return values answer the clients' acks. */
@WebSocketGateway()
export class ChatGateway implements OnGatewayInit, OnGatewayConnection {
  @WebSocketServer()
  server!: ChatServer;

  // @Inject names the token, so the gateway also works where no decorator metadata is emitted (README)
  constructor(@Inject(ChatService) private readonly chat: ChatService) {}

  /** A connection middleware: a socket without a valid nickname is refused with connect_error. */
  afterInit(server: ChatServer): void {
    server.use((socket, next) => {
      const nickname = socket.handshake.auth.nickname;
      if (!this.chat.isNickname(nickname)) {
        next(Object.assign(new Error("nickname required"), { data: { rule: "1 to 20 letters, digits, _ or -" } }));
        return;
      }
      socket.data.nickname = nickname;
      next();
    });
  }

  /** The rest of roomcast's socket API is there too: "disconnecting" still sees the socket's rooms. */
  handleConnection(socket: ChatSocket): void {
    socket.on("disconnecting", () => {
      for (const key of socket.rooms) {
        const room = this.chat.roomName(key);
        if (room !== undefined) socket.to(key).emit("user left", { room, nickname: socket.data.nickname });
      }
    });
  }

  @SubscribeMessage("join")
  async join(@ConnectedSocket() socket: ChatSocket, @MessageBody() room: unknown): Promise<JoinReply> {
    if (!this.chat.isRoom(room)) throw new WsException("invalid room name");
    const key = this.chat.roomKey(room);
    await socket.join(key);
    socket.to(key).emit("user joined", { room, nickname: socket.data.nickname });
    const members = await this.server.in(key).fetchSockets();
    return { room, members: members.map((member) => member.data.nickname).sort() };
  }

  @SubscribeMessage("message")
  message(@ConnectedSocket() socket: ChatSocket, @MessageBody() body: { room?: unknown; text?: unknown }): { delivered: true } {
    const text = this.chat.text(body?.text);
    if (!this.chat.isRoom(body?.room) || text === undefined) throw new WsException("a message needs a room and 1 to 500 characters of text");
    const key = this.chat.roomKey(body.room);
    if (!socket.rooms.has(key)) throw new WsException("join the room first");
    // everyone in the room but the sender, whose ack says it was delivered
    socket.to(key).emit("message", { room: body.room, from: socket.data.nickname, text });
    return { delivered: true };
  }
}
