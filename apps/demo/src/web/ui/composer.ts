import { MESSAGE_MAX_LENGTH } from "../../shared/chat-rules.js";
import type { ChatStore } from "../chat-store.js";
import { el } from "./element.js";

export interface ComposerActions {
  send(text: string): void;
  typing(): void;
}

/** The message box under the timeline; disabled until a conversation is open. */
export class Composer {
  private readonly input: HTMLInputElement;
  private readonly button: HTMLButtonElement;

  constructor(root: HTMLFormElement, private readonly store: ChatStore, actions: ComposerActions) {
    this.input = el("input", {
      attrs: { name: "text", autocomplete: "off", maxlength: String(MESSAGE_MAX_LENGTH), placeholder: "Write a message…" },
      data: { testid: "message-input" },
    });
    this.button = el("button", { attrs: { type: "submit" }, data: { testid: "send" }, text: "Send" });
    root.replaceChildren(this.input, this.button);
    this.input.addEventListener("input", () => {
      if (this.input.value.trim()) actions.typing();
    });
    root.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.input.value.trim();
      if (!text) return;
      this.input.value = "";
      actions.send(text);
    });
    store.subscribe((change) => {
      if (change.type === "active" || change.type === "conversations") this.render();
    });
    this.render();
  }

  private render(): void {
    const conversation = this.store.active;
    const usable = !!conversation && (conversation.kind === "dm" || conversation.joined);
    this.input.disabled = !usable;
    this.button.disabled = !usable;
    this.input.placeholder = !conversation ? "Open a room to chat" : conversation.kind === "room" ? `Message #${conversation.title}` : `Message ${conversation.title}`;
  }
}
