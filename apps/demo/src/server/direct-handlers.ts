import { randomUUID } from "node:crypto";
import type { DirectMessage, PresenceState } from "../shared/chat-events.js";
import { normalizeMessageText } from "../shared/chat-rules.js";
import { refuse, replier, type ChatContext } from "./chat-context.js";
import { userRoom, type ChatSocket } from "./chat-types.js";

const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MESSAGE_ID = /^[0-9a-f-]{36}$/;

/**
 * Direct messages and their receipts. Both go to the user's own room (`user:<id>`), never to a
 * socket: connection-state recovery replays them to a page that was away and comes back, on any
 * node. The sender learns "delivered" only from the recipient's page, through a receipt.
 */
export function attachDirectHandlers({ io, presence, log }: ChatContext, socket: ChatSocket): void {
  socket.on("dm:send", (to, text, ack) => {
    const reply = replier<{ message: DirectMessage; recipient: PresenceState }>(ack);
    const body = normalizeMessageText(text);
    const from = socket.data.user;
    if (typeof to !== "string" || !USER_ID.test(to)) return reply(refuse("unknown person"));
    if (to === from.id) return reply(refuse("that is you"));
    if (!body) return reply(refuse("messages are 1-2000 characters"));
    presence.stateOf(to).then(
      (recipient) => {
        if (!recipient) return reply(refuse("they have left the chat"));
        const message = { id: randomUUID(), from, to: recipient.user, text: body, at: Date.now() };
        io.to(userRoom(to)).emit("dm:message", message);
        reply({ ok: true, message, recipient: recipient.state });
      },
      (err: Error) => {
        log(`direct message lookup failed: ${err.message}`);
        reply(refuse("the server could not look them up just now"));
      },
    );
  });

  // The recipient's page has shown the message: tell its sender, wherever and whenever they are.
  socket.on("dm:receipt", (id, from, ack) => {
    const reply = replier(ack);
    if (typeof id !== "string" || !MESSAGE_ID.test(id) || typeof from !== "string" || !USER_ID.test(from)) return reply(refuse("not a message"));
    io.to(userRoom(from)).emit("dm:delivered", { id, by: socket.data.user });
    reply({ ok: true });
  });
}
