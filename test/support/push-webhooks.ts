/**
 * Push webhooks from the test Git server, as a forge sends them: a `post-receive` hook in a bare
 * repository POSTs a GitHub-style push event (`X-GitHub-Event: push`, `X-Hub-Signature-256` over
 * the body, a new `X-GitHub-Delivery`) for every ref a push updated — branches and the notes ref
 * alike — to every URL listed. Git runs the hook for pushes over HTTP (`git http-backend`) and over
 * a filesystem path, so the agents' own notes pushes send webhooks too. The list can change while
 * the test runs (agents listen on ports chosen at start).
 */
import { chmod, writeFile } from "node:fs/promises";
import path from "node:path";

const SENDER = String.raw`
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
const gitDir = process.argv[2];
const { secret, urls } = JSON.parse(readFileSync(gitDir + "/gitdock-test-webhooks.json", "utf8"));
const input = readFileSync(0, "utf8").trim();
const sends = [];
for (const line of input ? input.split("\n") : []) {
  const [before, after, ref] = line.trim().split(" ");
  const body = JSON.stringify({ ref, before, after, repository: { full_name: "test/fleet" } });
  const headers = {
    "Content-Type": "application/json",
    "X-GitHub-Event": "push",
    "X-GitHub-Delivery": randomUUID(),
    "X-Hub-Signature-256": "sha256=" + createHmac("sha256", secret).update(body).digest("hex"),
  };
  for (const url of urls) sends.push(fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(3000) }).catch(() => undefined));
}
await Promise.all(sends);
`;

export interface PushWebhooks {
  /** Replaces the list of URLs every push is sent to. */
  setUrls(urls: string[]): Promise<void>;
}

export async function installPushWebhooks(bareDir: string, secret: string): Promise<PushWebhooks> {
  const hooks = path.join(bareDir, "hooks");
  await writeFile(path.join(hooks, "gitdock-test-webhook.mjs"), SENDER);
  const hook = path.join(hooks, "post-receive");
  await writeFile(hook, `#!/bin/sh\nexec "${process.execPath}" "${path.join(hooks, "gitdock-test-webhook.mjs")}" "${bareDir}"\n`);
  await chmod(hook, 0o755);
  const setUrls = (urls: string[]) => writeFile(path.join(bareDir, "gitdock-test-webhooks.json"), JSON.stringify({ secret, urls }));
  await setUrls([]);
  return { setUrls };
}
