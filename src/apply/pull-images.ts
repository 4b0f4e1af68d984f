import type Docker from "dockerode";
import { PullFailedError } from "../errors.js";
import { engineError, engineStatus } from "../engine/docker-client.js";
import { registryHost, type RegistryAuths } from "./registry-auth.js";
import { runBounded } from "./run-bounded.js";

/**
 * Make every image present before any container is touched. Images already on the host (by digest)
 * are not pulled again. All pulls are attempted (bounded in parallel) and every failure is reported
 * together; if any failed, the caller changes nothing.
 * Returns the images this call actually pulled.
 */
export async function pullImages(docker: Docker, images: string[], auths: RegistryAuths, concurrency = 4): Promise<string[]> {
  const missing = (await Promise.all(images.map(async (i) => ((await isPresent(docker, i)) ? undefined : i)))).filter(
    (i): i is string => i !== undefined,
  );
  const failures: string[] = [];
  await runBounded(missing, concurrency, async (image) => {
    try {
      await pullOne(docker, image, auths);
    } catch (err) {
      const e = engineError(err, `pulling ${image}`);
      if (!(e instanceof PullFailedError) && e !== err) throw e;
      failures.push(`${image}: ${(err as Error).message}`);
    }
  });
  if (failures.length) {
    throw new PullFailedError(`could not pull ${failures.length} image(s); nothing was changed:\n  ${failures.join("\n  ")}`, {
      hint: "Check that the registry is reachable and the digest exists; credentials come from Docker's config.json.",
      data: { failures },
    });
  }
  return missing;
}

async function isPresent(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (err) {
    if (engineStatus(err) === 404) return false;
    throw engineError(err, `inspecting image ${image}`);
  }
}

async function pullOne(docker: Docker, image: string, auths: RegistryAuths): Promise<void> {
  const auth = auths.get(registryHost(image));
  const stream = await docker.pull(image, auth ? { authconfig: auth } : {});
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, events: { error?: string; errorDetail?: { message?: string } }[]) => {
        const failed = events?.find((e) => e.error);
        if (err) reject(err);
        else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
        else resolve();
      },
    );
  });
}
