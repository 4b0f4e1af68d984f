import { readFile } from "node:fs/promises";
import { loadRegistryAuths } from "../../apply/registry-auth.js";
import { loadSettings } from "../../config/load-settings.js";
import { ConfigInvalidError, PinFailedError, formatProblem } from "../../errors.js";
import { findPinFiles, pinImages, registryDigestLookup, writePinnedFile, type PinOutcome } from "../../pin/index.js";
import { EXIT } from "../exit-codes.js";

export interface PinFlags {
  check?: boolean;
  update?: boolean;
  config?: string;
  registryAuth?: string;
}

/**
 * `gitdock pin [files or dirs...]`: pins every service's image by digest, asking its registry,
 * and rewrites the files in place (comments, anchors, quoting and line endings kept). `--check`
 * changes nothing and exits 1 listing what is not pinned, offline; `--update` also moves pinned
 * `name:tag@digest` references to the tag's current digest. When any lookup fails, no file is
 * written.
 */
export async function pinCommand(targets: string[], flags: PinFlags): Promise<number> {
  const files = await findPinFiles(targets.length ? targets : ["."]);
  if (!files.length) {
    throw new ConfigInvalidError(`no compose file found in ${targets.length ? targets.join(", ") : "the current directory"}`, {
      hint: "Name the files to pin, or a directory with compose.yaml (or docker-compose.yml) in it or one level below.",
    });
  }
  const inputs = await Promise.all(files.map(async (f) => ({ file: f.display, content: await readFile(f.real) })));
  const lookup = registryDigestLookup(async () => loadRegistryAuths(flags.registryAuth ?? (await registryAuthOf(flags.config))));
  const outcome = await pinImages(inputs, { check: flags.check ?? false, update: flags.update ?? false }, lookup);
  for (const note of outcome.notes) process.stderr.write(`note: ${formatProblem(note)}\n`);
  if (outcome.problems.length) throw new PinFailedError(outcome.problems);
  if (flags.check) return reportCheck(outcome, flags);
  const real = new Map(files.map((f) => [f.display, f.real]));
  for (const [file, content] of outcome.writes) await writePinnedFile(real.get(file) ?? file, content);
  for (const c of outcome.changes) process.stdout.write(`${c.file}:${c.line}:${c.col}: ${c.path}: ${c.from} -> ${c.to}\n`);
  const verb = flags.update ? "pinned or updated" : "pinned";
  process.stdout.write(
    `${verb} ${outcome.changes.length} image reference(s) in ${outcome.writes.size} file(s); ${outcome.unchanged} already ${flags.update ? "current" : "pinned"}\n`,
  );
  return EXIT.ok;
}

function reportCheck(outcome: PinOutcome, flags: PinFlags): number {
  if (!outcome.changes.length) {
    process.stdout.write(`ok: ${outcome.unchanged} image reference(s) pinned${flags.update ? " to their tags' current digests" : ""}\n`);
    return EXIT.ok;
  }
  const listing = outcome.changes.map((c) => formatProblem(c) + (c.to ? ` (current: ${c.to})` : ""));
  const fix = flags.update ? "gitdock pin --update" : "gitdock pin";
  process.stderr.write(`${listing.join("\n")}\n${outcome.changes.length} image reference(s) to pin; run \`${fix}\` and commit the result\n`);
  return EXIT.unpinned;
}

async function registryAuthOf(config: string | undefined): Promise<string | undefined> {
  return config === undefined ? undefined : (await loadSettings({ config })).registryAuth;
}
