/** sentDifference: does the Engine still hold what gitdock sent? Returns the first path that differs. */
import { describe, expect, it } from "vitest";
import { sentDifference } from "../../src/plan/sent-difference.js";

describe("sentDifference", () => {
  const cases: { name: string; sent: unknown; seen: unknown; expected: string | undefined }[] = [
    { name: "equal scalars", sent: 3, seen: 3, expected: undefined },
    { name: "different scalars at the root", sent: 3, seen: 4, expected: "(root)" },
    { name: "a field the Engine added", sent: { a: 1 }, seen: { a: 1, b: 2 }, expected: undefined },
    { name: "a field sent but gone", sent: { a: 1, b: 2 }, seen: { a: 1 }, expected: "b" },
    // The Engine leaves out empty values: sent empty matches missing, whichever empty it is.
    ...[0, "", false, [], {}, null].map((empty) => ({
      name: `sent ${JSON.stringify(empty)} matches missing`,
      sent: { a: empty },
      seen: {},
      expected: undefined,
    })),
    { name: "an object of empties matches missing", sent: { a: { b: 0, c: [] } }, seen: {}, expected: undefined },
    { name: "sent empty, now set", sent: { ReadOnly: false }, seen: { ReadOnly: true }, expected: "ReadOnly" },
    { name: "sent empty list, now with members", sent: { Env: [] }, seen: { Env: ["A=1"] }, expected: "Env" },
    {
      name: "a nested path",
      sent: { TaskTemplate: { ContainerSpec: { Image: "a" } } },
      seen: { TaskTemplate: { ContainerSpec: { Image: "b" } } },
      expected: "TaskTemplate.ContainerSpec.Image",
    },
    { name: "an array of another length", sent: { Env: ["A=1"] }, seen: { Env: ["A=1", "B=2"] }, expected: "Env" },
    { name: "an array member changed", sent: { Env: ["A=1", "B=2"] }, seen: { Env: ["A=1", "B=3"] }, expected: "Env[1]" },
    { name: "an array in another order", sent: { Env: ["A=1", "B=2"] }, seen: { Env: ["B=2", "A=1"] }, expected: "Env[0]" },
    {
      name: "a path through an array of objects",
      sent: { TaskTemplate: { Networks: [{ Target: "n", Aliases: ["web"] }] } },
      seen: { TaskTemplate: { Networks: [{ Target: "n", Aliases: ["web", "x"] }] } },
      expected: "TaskTemplate.Networks[0].Aliases",
    },
    { name: "an array where an object was", sent: { a: { b: 1 } }, seen: { a: [1] }, expected: "a.b" },
    { name: "an object where an array was", sent: { a: [1] }, seen: { a: { 0: 1 } }, expected: "a" },
    { name: "a number sent as a string is a difference", sent: { a: 1 }, seen: { a: "1" }, expected: "a" },
    { name: "the first difference only, in the sent order", sent: { a: 1, b: 2 }, seen: { a: 9, b: 9 }, expected: "a" },
  ];
  it.each(cases)("$name → $expected", ({ sent, seen, expected }) => {
    expect(sentDifference(sent, seen)).toBe(expected);
  });
});
