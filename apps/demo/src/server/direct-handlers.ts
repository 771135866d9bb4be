import { randomUUID } from "node:crypto";
import type { DirectMessage, PresenceState, Reply } from "../shared/chat-events.js";
import { normalizeMessageText } from "../shared/chat-rules.js";
import { refuse, replier, type ChatContext } from "./chat-context.js";
import { userRoom, type ChatSocket } from "./chat-types.js";

const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MESSAGE_ID = /^[0-9a-f-]{36}$/;

/** Direct messages one person's page has not confirmed yet, at most; past it new ones are refused. */
export const MAX_UNDELIVERED_DIRECTS = 100;
/**
 * How long unconfirmed direct messages wait for their recipient's page: far beyond the recovery
 * window, so a person who comes back late as the same person (a reload, a fresh session) gets them.
 */
export const UNDELIVERED_DIRECT_TTL_MS = 24 * 3600 * 1000;

type SendReply = Reply<{ message: DirectMessage; recipient: PresenceState }>;

/**
 * Direct messages, their receipts and typing hints. Both go to the user's own room (`user:<id>`), never to a
 * socket: connection-state recovery replays them to a page that was away and comes back, on any
 * node. Each message is also kept (ChatState) until the recipient's page confirms it, and sent
 * again on every connection of theirs until then: a page that comes back with a fresh session,
 * which recovery cannot replay to, still gets it. The sender learns "delivered" only from that
 * confirmation, through a receipt.
 */
export function attachDirectHandlers(context: ChatContext, socket: ChatSocket): void {
  const { io, state, log } = context;

  socket.on("dm:send", (to, text, ack) => {
    const reply = replier<{ message: DirectMessage; recipient: PresenceState }>(ack);
    const body = normalizeMessageText(text);
    if (typeof to !== "string" || !USER_ID.test(to)) return reply(refuse("unknown person"));
    if (to === socket.data.user.id) return reply(refuse("that is you"));
    if (!body) return reply(refuse("messages are 1-2000 characters"));
    sendDirect(context, socket, to, body).then(reply, (err: Error) => {
      log(`direct message not sent: ${err.message}`);
      reply(refuse("the server could not keep it just now"));
    });
  });

  // Volatile, as in rooms: a typing hint that arrives late is worse than none.
  socket.on("dm:typing", (to, typing) => {
    if (typeof to !== "string" || !USER_ID.test(to) || to === socket.data.user.id) return;
    socket.volatile.to(userRoom(to)).emit("typing", { room: null, user: socket.data.user, typing: typing === true });
  });

  // The recipient's page has shown the message: it waits no more, and its sender is told,
  // wherever and whenever they are. Only a message that was waiting for this page counts, so a
  // page cannot mark someone else's message delivered, and a second copy's receipt tells nobody twice.
  socket.on("dm:receipt", (id, from, ack) => {
    const reply = replier(ack);
    if (typeof id !== "string" || !MESSAGE_ID.test(id) || typeof from !== "string" || !USER_ID.test(from)) return reply(refuse("not a message"));
    state.takeDirect(socket.data.user.id, id).then(
      (message) => {
        if (message) io.to(userRoom(message.from.id)).emit("dm:delivered", { id, by: socket.data.user });
        reply({ ok: true });
      },
      (err: Error) => {
        log(`receipt not recorded: ${err.message}`);
        reply(refuse("the server could not record it just now"));
      },
    );
  });
}

async function sendDirect({ io, state, presence }: ChatContext, socket: ChatSocket, to: string, text: string): Promise<SendReply> {
  const recipient = await presence.stateOf(to);
  if (!recipient) return refuse("they have left the chat");
  const message: DirectMessage = { id: randomUUID(), from: socket.data.user, to: recipient.user, text, at: Date.now() };
  // Kept first, then sent: a page that connects in between gets it from what is kept.
  if (!(await state.keepDirect(message, MAX_UNDELIVERED_DIRECTS, UNDELIVERED_DIRECT_TTL_MS))) {
    return refuse(`${MAX_UNDELIVERED_DIRECTS} messages already wait for ${recipient.user.nickname}: try again once they have read them`);
  }
  io.to(userRoom(to)).emit("dm:message", message);
  return { ok: true, message, recipient: recipient.state };
}

/**
 * Sends a page that just connected the direct messages its person has not confirmed yet. A
 * recovered session may already have had some replayed: the page shows each message once.
 */
export async function sendUndeliveredDirects({ state, log }: ChatContext, socket: ChatSocket): Promise<void> {
  try {
    const messages = await state.undeliveredDirects(socket.data.user.id);
    if (messages.length > 0 && socket.connected) socket.emit("dm:undelivered", messages);
  } catch (err) {
    log(`undelivered direct messages of ${socket.data.user.nickname} not sent: ${(err as Error).message}`);
  }
}
