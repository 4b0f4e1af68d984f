import { readdir } from "node:fs/promises";
import path from "node:path";

/** Every file below `root`, recursively (for tests that grep a state directory for planted values). */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}
