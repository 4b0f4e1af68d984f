import type Docker from "dockerode";
import { PullFailedError } from "../errors.js";
import { engineError, engineStatus } from "../engine/docker-client.js";
import type { PullRequest } from "./pull-requests.js";
import { registryHost, type RegistryAuths } from "./registry-auth.js";
import { runBounded } from "./run-bounded.js";

/**
 * Make every image present before any container is touched. Images already on the host (by digest,
 * and for the platform a service asks for) are not pulled again, unless `pull_policy: always`; with
 * `never` an absent image is a failure instead of a pull. All pulls are attempted (bounded in
 * parallel) and every failure is reported together; if any failed, the caller changes nothing.
 * Returns the images this call pulled that were not on the host before.
 */
export async function pullImages(docker: Docker, requests: PullRequest[], auths: RegistryAuths, concurrency = 4): Promise<string[]> {
  const present = await Promise.all(requests.map((r) => isPresent(docker, r.image, r.platform)));
  const failures: string[] = [];
  const toPull: PullRequest[] = [];
  requests.forEach((r, i) => {
    if (r.policy === "never" && !present[i]) {
      failures.push(`${r.image}: not on this host, and pull_policy: never (${r.services.join(", ")}) forbids pulling it; load it on the host first`);
    } else if (r.policy === "always" || !present[i]) toPull.push(r);
  });
  await runBounded(toPull, concurrency, async (r) => {
    try {
      await pullOne(docker, r, auths);
    } catch (err) {
      const e = engineError(err, `pulling ${r.image}`);
      if (!(e instanceof PullFailedError) && e !== err) throw e;
      failures.push(`${r.image}: ${(err as Error).message}`);
    }
  });
  if (failures.length) {
    throw new PullFailedError(`could not pull ${failures.length} image(s); nothing was changed:\n  ${failures.join("\n  ")}`, {
      hint: "Check that the registry is reachable and the digest exists; credentials come from Docker's config.json.",
      data: { failures },
    });
  }
  return [...new Set(toPull.filter((r) => !present[requests.indexOf(r)]).map((r) => r.image))];
}

/** On the host by this reference, and (when a platform is asked for) built for that platform. */
async function isPresent(docker: Docker, image: string, platform: string | undefined): Promise<boolean> {
  try {
    const info = await docker.getImage(image).inspect();
    return platform === undefined || samePlatform(info, platform);
  } catch (err) {
    if (engineStatus(err) === 404) return false;
    throw engineError(err, `inspecting image ${image}`);
  }
}

function samePlatform(info: Docker.ImageInspectInfo, platform: string): boolean {
  const [os, arch, variant] = platform.split("/");
  const have = info as Docker.ImageInspectInfo & { Variant?: string };
  return have.Os === os && (arch === undefined || have.Architecture === arch) && (variant === undefined || have.Variant === variant);
}

async function pullOne(docker: Docker, r: PullRequest, auths: RegistryAuths): Promise<void> {
  const auth = auths.get(registryHost(r.image));
  const stream = await docker.pull(r.image, { ...(auth ? { authconfig: auth } : {}), ...(r.platform ? { platform: r.platform } : {}) });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: { error?: string; errorDetail?: { message?: string } }[]) => {
      const failed = events?.find((e) => e.error);
      if (err) reject(err);
      else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
      else resolve();
    });
  });
}
