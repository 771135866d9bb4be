import { el } from "./element.js";

/** The closed set of states the banner shows. */
export type ConnectionState =
  | { kind: "connecting" }
  | { kind: "online"; nodeId: string | null; back?: boolean; movedFrom?: string }
  | { kind: "reconnecting"; attempt: number }
  /** `retry`: offer a "Try again" button (not when only a new nickname can help). */
  | { kind: "offline"; reason: string; retry?: boolean };

/** How long "Back online" stays before it settles to "Online". */
const BACK_NOTICE_MS = 6000;

/**
 * The strip at the top of the page that says, in plain words, whether messages can flow right
 * now and what happens to the ones written meanwhile. The state is mirrored on
 * `<body data-connection>` so the stylesheet (and tests) can follow it.
 */
export class ConnectionBanner {
  private state: ConnectionState = { kind: "connecting" };
  private queued = 0;
  /** The browser's word on the network (`navigator.onLine`): says why a reconnect waits. */
  private networkUp = true;
  private backTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly onRetry: () => void,
  ) {
    this.render();
  }

  get current(): ConnectionState {
    return this.state;
  }

  set(state: ConnectionState): void {
    this.state = state;
    clearTimeout(this.backTimer);
    if (state.kind === "online" && state.back) {
      this.backTimer = setTimeout(() => this.set({ ...state, back: false }), BACK_NOTICE_MS);
    }
    this.render();
  }

  /** How many of our messages wait for the connection. */
  setQueued(count: number): void {
    if (count === this.queued) return;
    this.queued = count;
    this.render();
  }

  /** The browser says the network is up (or down): while it is down, the banner says so. */
  setNetwork(up: boolean): void {
    if (up === this.networkUp) return;
    this.networkUp = up;
    this.render();
  }

  private render(): void {
    const state = this.state;
    document.body.dataset.connection = state.kind;
    this.root.dataset.state = state.kind;
    this.root.dataset.network = this.networkUp ? "up" : "down";
    this.root.dataset.back = String(state.kind === "online" && state.back === true);
    const retry =
      state.kind === "offline" && state.retry
        ? el("button", { className: "btn btn-small", attrs: { type: "button" }, data: { testid: "reconnect" }, text: "Try again", on: { click: () => this.onRetry() } })
        : null;
    this.root.replaceChildren(el("span", { className: "dot", attrs: { "aria-hidden": "true" } }), el("span", { data: { testid: "connection-text" }, text: this.describe() }), ...(retry ? [retry] : []));
  }

  private describe(): string {
    const state = this.state;
    const n = this.queued;
    const queued = n === 1 ? "1 message queued, it goes out when the connection is back" : `${n} messages queued, they go out when the connection is back`;
    switch (state.kind) {
      case "connecting":
        return "Connecting…";
      case "online":
        if (n > 0) return `Online · sending ${n === 1 ? "1 queued message" : `${n} queued messages`}…`;
        if (!state.back) return "Online";
        return state.movedFrom ? `Back online on ${state.nodeId} (${state.movedFrom} stopped)` : "Back online";
      case "reconnecting": {
        const then = n > 0 ? queued : "you can keep writing";
        // The client reconnects by itself once the browser says the network is back.
        if (!this.networkUp) return `Offline: no network · ${then}`;
        const attempt = state.attempt > 1 ? ` (attempt ${state.attempt})` : "";
        return `Connection lost, reconnecting${attempt}… · ${then}`;
      }
      case "offline":
        return `Offline: ${state.reason}${n > 0 ? ` · ${queued}` : ""}`;
    }
  }
}
