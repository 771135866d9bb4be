import { Injectable } from "@nestjs/common";

const NICKNAME = /^[\p{L}\p{N}_-]{1,20}$/u;
const ROOM = /^[a-z0-9-]{1,30}$/;
const MAX_TEXT = 500;

/** The chat's rules, apart from sockets: what a nickname, a room name and a message may be. */
@Injectable()
export class ChatService {
  isNickname(value: unknown): value is string {
    return typeof value === "string" && NICKNAME.test(value);
  }

  isRoom(value: unknown): value is string {
    return typeof value === "string" && ROOM.test(value);
  }

  /** The message's text, trimmed, or undefined when it is empty or longer than 500 characters. */
  text(value: unknown): string | undefined {
    if (typeof value !== "string") return undefined;
    const text = value.trim();
    return text.length > 0 && text.length <= MAX_TEXT ? text : undefined;
  }

  /** Chat rooms live under a prefix, so no room name can be the room roomcast gives each socket under its id. */
  roomKey(room: string): string {
    return `room:${room}`;
  }

  roomName(key: string): string | undefined {
    return key.startsWith("room:") ? key.slice("room:".length) : undefined;
  }
}
