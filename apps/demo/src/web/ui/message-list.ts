import type { ChatStore, TimelineEntry } from "../chat-store.js";
import { el, formatTime } from "./element.js";

const STATUS_TEXT: Record<TimelineEntry["status"], string> = {
  sending: "sending…",
  delivered: "✓ delivered",
  failed: "not delivered",
  received: "",
};

/** The open conversation's timeline; our own messages carry their delivery status. */
export class MessageList {
  private readonly title: HTMLElement;
  private readonly list: HTMLOListElement;

  constructor(titleRoot: HTMLElement, listRoot: HTMLOListElement, private readonly store: ChatStore) {
    this.title = titleRoot;
    this.list = listRoot;
    store.subscribe((change) => {
      if (change.type === "active" || (change.type === "entries" && change.key === store.activeKey)) this.render();
    });
    this.render();
  }

  private render(): void {
    const conversation = this.store.active;
    this.title.textContent = !conversation ? "roomcast chat" : conversation.kind === "room" ? `# ${conversation.title}` : `@ ${conversation.title}`;
    // Stay pinned to the newest message unless the reader scrolled up to read history.
    const pinned = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    this.list.replaceChildren(...(conversation?.entries ?? []).map((entry) => this.item(entry)));
    if (pinned) this.list.scrollTop = this.list.scrollHeight;
  }

  private item(entry: TimelineEntry): HTMLElement {
    const own = entry.status !== "received";
    return el(
      "li",
      { className: own ? "message own" : "message", data: { testid: "message", status: entry.status, from: entry.from.nickname } },
      el(
        "div",
        { className: "meta" },
        el("span", { className: "author", attrs: { style: `color:${entry.from.color}` }, text: entry.from.nickname }),
        el("time", { text: formatTime(entry.at) }),
        own ? el("span", { className: "status", attrs: { title: entry.error ?? "" }, text: STATUS_TEXT[entry.status] }) : null,
      ),
      el("div", { className: "text", data: { testid: "message-text" }, text: entry.text }),
    );
  }
}
