import { describe, expect, it } from "vitest";
import { isRelativeHostPath, resolveRepoPath } from "../../src/manifest/files/repo-path.js";

describe("relative paths of a stack, resolved in the repository", () => {
  it.each([
    ["./nginx.conf", "hosts/h1/shop", "hosts/h1", { repoPath: "hosts/h1/shop/nginx.conf", inStack: "nginx.conf" }],
    ["nginx.conf", "hosts/h1/shop", "hosts/h1", { repoPath: "hosts/h1/shop/nginx.conf", inStack: "nginx.conf" }],
    ["./conf/./site//", "hosts/h1/shop", "hosts/h1", { repoPath: "hosts/h1/shop/conf/site", inStack: "conf/site" }],
    ["./a/../b", "hosts/h1/shop", "hosts/h1", { repoPath: "hosts/h1/shop/b", inStack: "b" }],
    [".", "hosts/h1/shop", "hosts/h1", { repoPath: "hosts/h1/shop", inStack: "" }],
    // Up and out of the stack's directory, still inside the host's: a shared file, never a data directory.
    ["../common/tls.conf", "hosts/h1/shop", "hosts/h1", { repoPath: "hosts/h1/common/tls.conf", inStack: undefined }],
    ["..", "hosts/h1/shop", "hosts/h1", { repoPath: "hosts/h1", inStack: undefined }],
    // A stack at the repository root, host path the root.
    ["./site/index.html", "", "", { repoPath: "site/index.html", inStack: "site/index.html" }],
  ])("%s from %s (host %s)", (written, stackDir, root, expected) => {
    expect(resolveRepoPath(written, stackDir, root)).toEqual(expected);
  });

  it.each([
    ["../../h2/secret.env", "hosts/h1/shop", "hosts/h1"],
    ["../../../../etc/passwd", "hosts/h1/shop", "hosts/h1"],
    ["./a/../../../x", "hosts/h1/shop", "hosts/h1"],
    ["../x", "", ""],
    ["../h1-other/x", "hosts/h1", "hosts/h1"],
  ])("%s from %s leads outside the host's directory %s", (written, stackDir, root) => {
    const result = resolveRepoPath(written, stackDir, root);
    expect(result).toEqual({ error: expect.stringMatching(/leads outside this host's directory of the repository/) });
  });

  it("resolves from the directory of the file that wrote the path, keeping data directories relative to the stack's", () => {
    // Written in an extended file elsewhere, and in an included project inside the stack's directory.
    expect(resolveRepoPath("./tls.conf", "hosts/h1/common", "hosts/h1", "hosts/h1/shop")).toEqual({ repoPath: "hosts/h1/common/tls.conf", inStack: undefined });
    expect(resolveRepoPath("./data", "hosts/h1/shop/monitoring", "hosts/h1", "hosts/h1/shop")).toEqual({
      repoPath: "hosts/h1/shop/monitoring/data",
      inStack: "monitoring/data",
    });
    expect(resolveRepoPath("../../h2/x", "hosts/h1/common", "hosts/h1", "hosts/h1/shop")).toEqual({ error: expect.stringMatching(/leads outside/) });
  });

  it("refuses a home directory", () => {
    expect(resolveRepoPath("~/data", "s", "")).toEqual({ error: expect.stringMatching(/home directory/) });
  });

  it("tells host paths from volume names as Compose does", () => {
    expect(["./x", "../x", "~/x", "conf/x", ".env"].map(isRelativeHostPath)).toEqual([true, true, true, true, true]);
    expect(["data", "/srv/x", "db_data"].map(isRelativeHostPath)).toEqual([false, false, false]);
  });
});
