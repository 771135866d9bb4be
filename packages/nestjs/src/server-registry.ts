import type { Server as HttpServer } from "node:http";
import type { Server, ServerOptionsInput } from "@roomcast/core";

/** Where a roomcast Server listens: an HTTP server it is attached to, or the port it opened. */
export type ServerSite = HttpServer | number;

/** A roomcast Server the adapter created, and what it was created with. */
export interface ServerEntry {
  readonly server: Server<any, any, any, any>;
  readonly site: ServerSite;
  /** The options as given to the Server (adapter defaults with the first gateway's options over them). */
  readonly options: ServerOptionsInput;
  /** For messages: "the app's HTTP server", "port 3001". */
  readonly where: string;
}

/**
 * The roomcast Servers of one adapter, one per site: gateways on the same HTTP server or port
 * share it, each in its namespace. The registry owns them until they are closed.
 */
export class ServerRegistry {
  private readonly bySite = new Map<ServerSite, ServerEntry>();
  private readonly byServer = new Map<Server<any, any, any, any>, ServerEntry>();

  at(site: ServerSite): ServerEntry | undefined {
    return this.bySite.get(site);
  }

  of(server: Server<any, any, any, any>): ServerEntry | undefined {
    return this.byServer.get(server);
  }

  add(entry: ServerEntry): void {
    this.bySite.set(entry.site, entry);
    this.byServer.set(entry.server, entry);
  }

  /** Forgets a server (it is closing); a later gateway on its site gets a new one. */
  remove(entry: ServerEntry): void {
    if (this.bySite.get(entry.site) === entry) this.bySite.delete(entry.site);
    this.byServer.delete(entry.server);
  }

  /** Every server still registered, removed from the registry. */
  takeAll(): ServerEntry[] {
    const entries = [...this.byServer.values()];
    this.bySite.clear();
    this.byServer.clear();
    return entries;
  }
}
