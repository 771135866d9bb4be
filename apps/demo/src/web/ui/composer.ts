import { MESSAGE_MAX_LENGTH } from "../../shared/chat-rules.js";
import type { ChatStore } from "../chat-store.js";
import { el } from "./element.js";

export interface ComposerActions {
  send(text: string): void;
  typing(): void;
}

/**
 * The message box. It works whenever a conversation is open, connected or not: while the page
 * reconnects, what is written is queued and goes out once the connection is back.
 */
export class Composer {
  private readonly input: HTMLInputElement;
  private readonly button: HTMLButtonElement;
  private readonly label: HTMLLabelElement;

  constructor(form: HTMLFormElement, private readonly store: ChatStore, actions: ComposerActions) {
    this.input = el("input", {
      attrs: { id: "message-input", name: "text", autocomplete: "off", maxlength: String(MESSAGE_MAX_LENGTH), enterkeyhint: "send" },
      data: { testid: "message-input" },
    });
    this.label = el("label", { className: "visually-hidden", attrs: { for: "message-input" } });
    this.button = el("button", { className: "btn btn-primary", attrs: { type: "submit" }, data: { testid: "send" }, text: "Send" });
    form.replaceChildren(this.label, this.input, this.button);
    this.input.addEventListener("input", () => {
      if (this.input.value.trim()) actions.typing();
    });
    form.addEventListener("submit", (event) => {
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

  focus(): void {
    this.input.focus();
  }

  private render(): void {
    const conversation = this.store.active;
    const usable = !!conversation && (conversation.kind === "dm" || conversation.joined);
    this.input.disabled = !usable;
    this.button.disabled = !usable;
    const target = !conversation ? "" : conversation.kind === "room" ? `#${conversation.title}` : conversation.title;
    this.label.textContent = conversation ? `Message to ${target}` : "Message";
    this.input.placeholder = !conversation ? "Open a room to chat" : `Message ${target}`;
  }
}
