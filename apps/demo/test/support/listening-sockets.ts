import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/**
 * The TCP addresses the processes `pids` listen on, as "address:port" sorted (Linux: the sockets
 * each process holds, from /proc/<pid>/fd, matched against the kernel's socket tables
 * /proc/net/tcp and /proc/net/tcp6). For checking that a test exposes nothing beyond loopback.
 */
export function listeningAddresses(pids: number[]): string[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    for (const fd of list(`/proc/${pid}/fd`)) {
      const inode = /^socket:\[(\d+)\]$/.exec(link(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    }
  }
  const found: string[] = [];
  for (const [table, v6] of [
    ["/proc/net/tcp", false],
    ["/proc/net/tcp6", true],
  ] as const) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const cols = line.trim().split(/\s+/);
      const LISTEN = "0A";
      if (cols.length < 10 || cols[3] !== LISTEN || !inodes.has(cols[9])) continue;
      const [address, port] = cols[1].split(":");
      found.push(`${v6 ? ipv6(address) : ipv4(address)}:${parseInt(port, 16)}`);
    }
  }
  return found.sort();
}

// The kernel prints addresses as 32-bit words in host byte order (little-endian here).
function words(hex: string): string[] {
  return (hex.match(/.{8}/g) ?? []).map((word) => word.match(/../g)!.reverse().join(""));
}

function ipv4(hex: string): string {
  return (words(hex)[0].match(/../g) ?? []).map((byte) => parseInt(byte, 16)).join(".");
}

function ipv6(hex: string): string {
  const groups = words(hex).flatMap((word) => [word.slice(0, 4), word.slice(4)]).map((group) => parseInt(group, 16).toString(16));
  return `[${groups.join(":")}]`;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return []; // the process is gone, or the fd closed meanwhile
  }
}

function link(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return "";
  }
}
