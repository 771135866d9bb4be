import type { ChatStore, Conversation, TimelineEntry } from "../chat-store.js";
import { avatar } from "./avatar.js";
import { el, formatTime } from "./element.js";

/** What each status says, next to our own messages. */
function statusText(entry: TimelineEntry, conversation: Conversation): string {
  switch (entry.status) {
    case "queued":
      return "queued: goes out when the connection is back";
    case "sending":
      return "sending…";
    case "sent":
      return entry.note ?? `sent, not yet seen by ${conversation.title}`;
    case "delivered":
      return "✓ delivered";
    case "failed":
      return `not sent: ${entry.note ?? "unknown reason"}`;
    case "received":
      return "";
  }
}

/** The open conversation's timeline; our own messages carry their delivery status, failed ones a retry button. */
export class MessageList {
  constructor(
    private readonly title: HTMLElement,
    private readonly list: HTMLOListElement,
    private readonly store: ChatStore,
    private readonly onRetry: (entry: TimelineEntry) => void,
  ) {
    store.subscribe((change) => {
      if (change.type === "active") this.pinned = true; // another conversation opens at its newest message
      if (change.type === "active" || (change.type === "entries" && change.key === store.activeKey)) this.render();
    });
    // Stay pinned to the newest message unless the reader scrolled up to read history, also when
    // the list gets shorter (a phone's keyboard opening, a notice appearing above it).
    list.addEventListener("scroll", () => (this.pinned = list.scrollHeight - list.scrollTop - list.clientHeight < 40));
    new ResizeObserver(() => {
      if (this.pinned) list.scrollTop = list.scrollHeight;
    }).observe(list);
    this.render();
  }

  private pinned = true;

  private render(): void {
    const conversation = this.store.active;
    this.title.textContent = !conversation ? "roomcast chat" : conversation.kind === "room" ? `# ${conversation.title}` : `@ ${conversation.title}`;
    const pinned = this.pinned;
    const entries = conversation?.entries ?? [];
    this.list.replaceChildren(
      ...(entries.length === 0 ? [el("li", { className: "hint empty", text: conversation ? "No messages yet: say hello." : "Open a room to start." })] : entries.map((entry) => this.item(entry, conversation!))),
    );
    if (pinned) this.list.scrollTop = this.list.scrollHeight;
    this.pinned = pinned;
  }

  private item(entry: TimelineEntry, conversation: Conversation): HTMLElement {
    const own = entry.from.id === this.store.self?.id;
    const retry =
      entry.status === "failed"
        ? el("button", {
            className: "btn btn-small",
            attrs: { type: "button", "aria-label": `Retry sending "${entry.text.slice(0, 40)}"` },
            data: { testid: "retry" },
            text: "Retry",
            on: { click: () => this.onRetry(entry) },
          })
        : null;
    return el(
      "li",
      { className: own ? "message own" : "message", data: { testid: "message", status: entry.status, from: entry.from.nickname } },
      avatar(entry.from, "small"),
      el(
        "div",
        { className: "bubble" },
        el(
          "div",
          { className: "meta" },
          el("span", { className: "author", text: entry.from.nickname }),
          el("time", { attrs: { datetime: new Date(entry.at).toISOString() }, text: formatTime(entry.at) }),
        ),
        el("div", { className: "text", data: { testid: "message-text" }, text: entry.text }),
        own && entry.status !== "received" ? el("div", { className: "status", data: { testid: "message-status" } }, statusText(entry, conversation), retry) : null,
      ),
    );
  }
}
