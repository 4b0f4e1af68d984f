import { describe, expect, it } from "vitest";
import { imagesToRemove, type ImageLedger } from "../../src/apply/prune-images.js";

const ledger: ImageLedger = {
  pulled: { "r/a@sha256:1": "t", "r/b@sha256:2": "t", "r/c@sha256:3": "t", "r/d@sha256:4": "t" },
  byCommit: { c1: ["r/a@sha256:1"], c2: ["r/b@sha256:2"], c3: ["r/c@sha256:3", "r/local@sha256:9"] },
};

describe("imagesToRemove", () => {
  it.each([
    { keep: ["c3", "c2"], inUse: [], expected: ["r/a@sha256:1", "r/d@sha256:4"] },
    { keep: ["c3", "c2", "c1"], inUse: [], expected: ["r/d@sha256:4"] },
    { keep: ["c3"], inUse: ["r/a@sha256:1"], expected: ["r/b@sha256:2", "r/d@sha256:4"] },
  ])("keeps the images of $keep and those in use", ({ keep, inUse, expected }) => {
    expect(imagesToRemove(ledger, keep, new Set(inUse))).toEqual(expected);
  });

  it("never proposes an image gitdock did not pull", () => {
    expect(imagesToRemove(ledger, [], new Set())).not.toContain("r/local@sha256:9");
  });
});
