import { el } from "./element.js";

/** The closed set of states the banner shows. */
export type ConnectionState =
  | { kind: "connecting" }
  | { kind: "online"; nodeId: string | null }
  | { kind: "reconnecting"; attempt: number; reason?: string }
  | { kind: "offline"; reason: string };

/**
 * The strip at the top of the page that says whether messages can flow right now. The state is
 * mirrored on `<body data-connection>` so the stylesheet (and tests) can follow it.
 */
export class ConnectionBanner {
  private state: ConnectionState = { kind: "connecting" };

  constructor(private readonly root: HTMLElement) {
    this.render();
  }

  get current(): ConnectionState {
    return this.state;
  }

  set(state: ConnectionState): void {
    this.state = state;
    this.render();
  }

  private render(): void {
    const state = this.state;
    document.body.dataset.connection = state.kind;
    this.root.dataset.state = state.kind;
    this.root.replaceChildren(el("span", { className: "dot" }), el("span", { data: { testid: "connection-text" }, text: describe(state) }));
  }
}

function describe(state: ConnectionState): string {
  switch (state.kind) {
    case "connecting":
      return "Connecting…";
    case "online":
      return state.nodeId ? `Online · ${state.nodeId}` : "Online";
    case "reconnecting":
      return `Reconnecting (attempt ${state.attempt})${state.reason ? ` · ${state.reason}` : ""}`;
    case "offline":
      return `Offline · ${state.reason}`;
  }
}
