import type Docker from "dockerode";
import { existsSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "../log.js";
import type { ResolvedState } from "../plan/types.js";

/**
 * After a healthy rollout: removes every decrypted file of the runtime directory that the commit
 * just rolled out does not mount and no container on the Engine mounts (a kept one included), so
 * plaintext stays on the host only while something uses it. A rollback to an older commit decrypts
 * again from the local clone. Never fails a rollout: problems are logged and tried again next time.
 */
export async function cleanUpDecryptedAfterRollout(
  ctx: { docker: Docker; settings: { secrets: { runtimeDir: string } }; log: Logger },
  resolved: ResolvedState,
): Promise<void> {
  const dir = ctx.settings.secrets.runtimeDir;
  // A host that never decrypted a file has no directory, and no Engine call is spent on it.
  if (!existsSync(dir)) return;
  try {
    const keep = new Set(resolved.stacks.flatMap((s) => (s.stack.decryptedFiles ?? []).map((o) => o.name)));
    for (const c of await ctx.docker.listContainers({ all: true })) {
      for (const m of c.Mounts ?? []) if (m.Type === "bind" && dirname(m.Source) === dir) keep.add(m.Source.slice(dir.length + 1));
    }
    const entries = await readdir(dir).catch(() => []);
    const removed = entries.filter((name) => !keep.has(name) && !name.startsWith(".tmp-"));
    for (const name of removed) await rm(join(dir, name), { force: true });
    if (removed.length) ctx.log.info({ stage: "cleanup", files: removed.length }, `removed ${removed.length} decrypted file(s) no container uses`);
  } catch (err) {
    ctx.log.warn({ stage: "cleanup", err: String(err) }, "cleanup of decrypted files failed; retried after the next rollout");
  }
}
