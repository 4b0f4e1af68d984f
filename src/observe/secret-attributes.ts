import { stat } from "node:fs/promises";
import { HostInputError } from "../errors.js";
import type { ServiceSecret } from "../model.js";
import { octal } from "../manifest/parse/parse-file-mode.js";

/**
 * A secret's `mode`, `uid` and `gid`. A host secret is bind-mounted as it is — gitdock never copies
 * it (a copy would be one more place the secret lives) nor changes the host's file (a commit must
 * not widen who on the host can read a secret) — so the container sees the host file's own mode
 * and owner. What the commit asks for is checked against them instead: a mismatch fails the sync
 * before anything changes, saying what to run on the host.
 */
export async function checkSecretAttributes(secrets: readonly ServiceSecret[]): Promise<void> {
  for (const s of secrets) {
    if (!s.expect) continue;
    const info = await stat(s.file).catch(() => undefined);
    if (!info) continue; // reading it for its digest reports a missing file
    const wrong: string[] = [];
    const fix: string[] = [];
    if (s.expect.mode !== undefined && (info.mode & 0o7777) !== s.expect.mode) {
      wrong.push(`mode ${octal(s.expect.mode)} (it has ${octal(info.mode & 0o7777)})`);
      fix.push(`chmod ${octal(s.expect.mode)} ${s.file}`);
    }
    const uid = s.expect.uid !== undefined && info.uid !== s.expect.uid;
    const gid = s.expect.gid !== undefined && info.gid !== s.expect.gid;
    if (uid || gid) {
      wrong.push(`owner ${s.expect.uid ?? info.uid}:${s.expect.gid ?? info.gid} (it has ${info.uid}:${info.gid})`);
      fix.push(`chown ${s.expect.uid ?? info.uid}:${s.expect.gid ?? info.gid} ${s.file}`);
    }
    if (wrong.length === 0) continue;
    throw new HostInputError(`secret ${s.source}: the commit asks for ${wrong.join(" and ")} of ${s.file}`, {
      hint: `gitdock mounts host secrets as they are and never changes them; on this host run \`${fix.join(" && ")}\`, or drop mode/uid/gid from the commit.`,
    });
  }
}
