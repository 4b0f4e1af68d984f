import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEd25519 } from "../../src/fleet/openssh-private-key.js";
import { REPO_ROOT, runGitdock } from "../support/cli.js";
import { testEnv } from "../support/env.js";
import { FleetRepo, minutesAgo, NOTES_REF, type WaveSpec } from "../support/fleet-repo.js";

/**
 * The fleet view through the built CLI: `fleet key`, `fleet status` over the real Git server, and
 * `fleet report --html` rendered in headless Chromium (Debian's /usr/bin/chromium; playwright-core
 * never downloads a browser). The screenshot is kept as test-artifacts/fleet-report.png.
 */

const HOSTS = ["web-1", "web-2", "web-3", "web-4"];
const WAVES: WaveSpec[] = [
  { name: "canary", hosts: ["web-1"], soak: "30m" },
  { name: "main", hosts: ["web-2", "web-3"], on_failure: "rollback" },
  { name: "rest", hosts: ["web-4"] },
];
const EVIL_SUBJECT = `Shop 2 <script>document.title="pwned"</script><img src=x onerror=alert(1)>`;
const ARTIFACT = path.join(REPO_ROOT, "test-artifacts", "fleet-report.png");

const tmp = mkdtempSync(path.join(os.tmpdir(), "gdt-fleet-view-"));
let repo: FleetRepo;
const commits: string[] = [];
let browser: Browser | undefined;

beforeAll(async () => {
  const sshKey = path.join(tmp, "signer");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "release@example.invalid", "-f", sshKey]);
  const made = await FleetRepo.create("gdt-fleet-view-repo-", HOSTS, WAVES, { at: minutesAgo(600) });
  repo = made.repo;
  commits.push(made.first);
  const ok = (host: string, m: number) => ({ host, verb: "applied" as const, at: minutesAgo(m), detail: "healthy" });
  await repo.report(made.first, ok("web-1", 590), ok("web-2", 550), ok("web-3", 549), ok("web-4", 500));
  const c2 = await repo.commit(EVIL_SUBJECT, { at: minutesAgo(300), image: "v2", author: "Grace Hopper <grace@example.invalid>", signWithSshKey: sshKey });
  await repo.report(c2, ok("web-1", 290), ok("web-2", 250), ok("web-3", 249), ok("web-4", 200));
  const c3 = await repo.commit("Shop 3", { at: minutesAgo(100), image: "v3" });
  await repo.report(
    c3,
    ok("web-1", 95),
    ok("web-2", 60),
    { host: "web-3", verb: "rolled-back", at: minutesAgo(58), detail: "health: web: http 500 on /healthz" },
    { host: "web-2", verb: "withdrawn", at: minutesAgo(57), detail: "held fleet-wide: web-3 (wave main) reported it failed" },
    { host: "web-4", verb: "applied", at: minutesAgo(50), detail: "healthy", key: generateEd25519("mallory") },
  );
  commits.push(c2, c3);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await repo?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

describe("gitdock fleet key", () => {
  it("prints this host's public key line, makes the key once (root only) and prints the same line again", async () => {
    const stateDir = path.join(tmp, "state");
    const first = await runGitdock(["fleet", "key", "--state-dir", stateDir, "--host-id", "web-1"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^ssh-ed25519 [A-Za-z0-9+/]+=* gitdock@web-1\n$/);
    expect(statSync(path.join(stateDir, "outcome.key")).mode & 0o777).toBe(0o600);
    const again = await runGitdock(["fleet", "key", "--state-dir", stateDir, "--host-id", "web-1"]);
    expect(again.stdout).toBe(first.stdout);
  });
});

describe("gitdock fleet status over the Git server", () => {
  it("fetches the branch and the notes ref into its cache and shows the held commit, the withdrawal and the forged line", async () => {
    const env = testEnv();
    const bare = path.join(env.gitRoot, "gdt-fleet-view.git");
    rmSync(bare, { recursive: true, force: true });
    execFileSync("git", ["init", "--quiet", "--bare", "--initial-branch=main", bare]);
    await repo.git(["push", "--quiet", bare, "main", NOTES_REF]);
    const res = await runGitdock(["fleet", "status", "--repo", `${env.gitUrl}/gdt-fleet-view.git`, "--cache-dir", path.join(tmp, "cache"), "--json"]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const status = JSON.parse(res.stdout) as {
      head: string;
      hosts: { host: string; runs: { commit: string } | null; latest: { verb: string } | null }[];
      commits: { commit: string; held: { host: string; detail: string } | null; ignored: { host: string; why: string }[] }[];
    };
    const [c1, c2, c3] = commits;
    expect(status.head).toBe(c3);
    expect(status.hosts.map((h) => [h.host, h.runs?.commit, h.latest?.verb ?? null])).toEqual([
      ["web-1", c3, null],
      ["web-2", c2, "withdrawn"],
      ["web-3", c2, "rolled-back"],
      ["web-4", c2, null],
    ]);
    expect(status.commits[0]).toMatchObject({
      commit: c3,
      held: { host: "web-3", detail: "health: web: http 500 on /healthz" },
      ignored: [{ host: "web-4", why: "other-key" }],
    });
    expect(status.commits.map((c) => c.commit)).toEqual([c3, c2, c1]);
  });
});

describe("gitdock fleet report --html in headless Chromium", () => {
  it("renders every host and commit, shows a <script> subject as text, and keeps a screenshot", async () => {
    const file = path.join(tmp, "report.html");
    const res = await runGitdock(["fleet", "report", "--repo", repo.dir, "--html", file]);
    expect(res.code).toBe(0);
    const html = readFileSync(file, "utf8");
    expect(html).not.toMatch(/<script|<img|<link|https?:\/\//i);

    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);

    const text = await page.locator("body").innerText();
    for (const host of HOSTS) expect(await page.locator("table.timeline tbody th", { hasText: host }).count()).toBe(1);
    for (const c of commits) expect(text).toContain(c.slice(0, 12));
    expect(text).toContain(EVIL_SUBJECT);
    expect(await page.title()).not.toBe("pwned");
    expect(await page.locator("script, img").count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);

    expect(text).toContain("Grace Hopper <grace@example.invalid>");
    expect(text).toMatch(/signed \(ssh\)/);
    expect(text).toMatch(/shop\/web; image 127\.0\.0\.1:5000\/gdt\/shop:v2@sha256:[0-9a-f]{64} → 127\.0\.0\.1:5000\/gdt\/shop:v3@sha256/);
    const rollbacks = await page.locator("table.rollbacks tbody tr").allInnerTexts();
    expect(rollbacks).toHaveLength(2);
    expect(rollbacks.join("\n")).toMatch(/web-3\s+rolled-back\s+health: web: http 500 on \/healthz/);
    expect(text).toContain("held fleet-wide: web-3 (wave main) reported it failed: health: web: http 500 on /healthz");
    expect(text).toContain("web-4 (it is signed by another key than the fleet file lists for that host)");

    mkdirSync(path.dirname(ARTIFACT), { recursive: true });
    await page.screenshot({ path: ARTIFACT, fullPage: true });
    expect(existsSync(ARTIFACT)).toBe(true);
  });
});
