import { isIP } from "node:net";

/** Where the demo listens unless told otherwise: every IPv4 interface, so other devices on the network can open it. */
export const DEFAULT_HOST = "0.0.0.0";

// A DNS name: dot-separated labels of letters, digits and inner hyphens (RFC 1123).
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * The address to bind, from the environment variable `name` (`value`): an IP address (IPv6 with
 * or without brackets) or a host name, such as 127.0.0.1, ::1 or localhost. Empty or unset gives
 * {@link DEFAULT_HOST}.
 *
 * @throws Error naming the variable when the value is neither.
 */
export function parseHost(name: string, value: string | undefined): string {
  if (value === undefined || value === "") return DEFAULT_HOST;
  const host = value.replace(/^\[(.*)\]$/, "$1");
  if (isIP(host) !== 0 || HOST_NAME.test(host)) return host;
  throw new Error(`${name} must be an IP address or a host name (for example 127.0.0.1, ::1 or localhost), got "${value}"`);
}

/**
 * A port from the environment variable `name`: a whole number from 1 to 65535 (0 too when
 * `allowZero`, "any free port"). Empty or unset gives `fallback`.
 *
 * @throws Error naming the variable when the value is not a port.
 */
export function parsePort(name: string, value: string | undefined, fallback: number, allowZero = false): number {
  if (value === undefined || value === "") return fallback;
  const port = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= (allowZero ? 0 : 1) && port <= 65535)) throw new Error(`${name} must be a port number from ${allowZero ? 0 : 1} to 65535, got "${value}"`);
  return port;
}

/** True for the addresses that mean "every interface". */
export function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::";
}

/** `host:port` as a URL writes it (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The URL a person on this machine opens for a server bound to `host`: localhost for the wildcard addresses. */
export function localUrl(host: string, port: number): string {
  return `http://${hostPort(isWildcard(host) ? "localhost" : host, port)}`;
}

/** The URL this machine's own probes use for a server bound to `host`: loopback for the wildcard addresses. */
export function probeUrl(host: string, port: number, path: string): string {
  const target = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${hostPort(target, port)}${path}`;
}
