import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const DEPLOYMENT_MD = fileURLToPath(new URL("../../../../docs/DEPLOYMENT.md", import.meta.url));

/**
 * The fenced `haproxy` blocks of one section of docs/DEPLOYMENT.md (from its heading to the next
 * heading of the same or a higher level), in order: tests run the configuration the page shows.
 */
export function haproxyBlocks(heading: string): string[] {
  return fencedBlocks(heading, "haproxy");
}

/** The fenced `nginx` blocks of one section of docs/DEPLOYMENT.md, as {@link haproxyBlocks}. */
export function nginxBlocks(heading: string): string[] {
  return fencedBlocks(heading, "nginx");
}

/** The blocks fenced as ```<language> in the section under `heading`, in order. */
function fencedBlocks(heading: string, language: string): string[] {
  const text = readFileSync(DEPLOYMENT_MD, "utf8");
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.replace(/^#+\s*/, "") === heading && line.startsWith("#"));
  if (start === -1) throw new Error(`docs/DEPLOYMENT.md has no heading "${heading}"`);
  const level = lines[start].match(/^#+/)![0].length;
  const blocks: string[] = [];
  let current: string[] | undefined;
  for (const line of lines.slice(start + 1)) {
    const heading = line.match(/^(#+)\s/);
    if (current === undefined && heading && heading[1].length <= level) break;
    if (current === undefined && line.trim() === "```" + language) current = [];
    else if (current !== undefined && line.trim() === "```") {
      blocks.push(current.join("\n") + "\n");
      current = undefined;
    } else current?.push(line);
  }
  return blocks;
}

/** One `backend <name>` section of an HAProxy configuration, up to the next section. */
export function backendSection(config: string, name: string): string {
  const match = config.match(new RegExp(`^backend ${name}\\n(?:[ \\t]+.*\\n|\\n)*`, "m"));
  if (!match) throw new Error(`no "backend ${name}" in:\n${config}`);
  return match[0].replace(/\n+$/, "\n");
}
