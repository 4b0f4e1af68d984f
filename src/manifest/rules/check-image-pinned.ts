import type { ProblemSink } from "../problems.js";
import type { ServiceInput } from "../schema/service-schema.js";

const DOMAIN = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?`;
const COMPONENT = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`;
const TAG = String.raw`[\w][\w.-]{0,127}`;
/** Docker's reference grammar: `[host[:port]/]path[:tag]`, then the digest. */
const REPOSITORY = new RegExp(String.raw`^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::${TAG})?$`);
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Every image must name exactly one image forever: `repo@sha256:<hex>` or `repo:tag@sha256:<hex>`.
 * A tag can move under gitdock's feet, and then the host no longer runs what Git says.
 */
export function checkImagesPinned(services: [string, ServiceInput][], problems: ProblemSink): void {
  for (const [name, service] of services) {
    // "" stands for an image the schema already refused.
    const message = service.image === "" ? undefined : imageProblem(service.image);
    if (message) problems.report(["services", name, "image"], message);
  }
}

export function imageProblem(image: string): string | undefined {
  const at = image.indexOf("@");
  if (at < 0) {
    return (
      `not pinned by digest; find the digest with \`docker buildx imagetools inspect ${image}\` ` +
      `(or \`docker inspect --format '{{index .RepoDigests 0}}' ${image}\` after a pull) and write ${image}@sha256:<digest>`
    );
  }
  if (!DIGEST.test(image.slice(at + 1))) return "the digest must be sha256: followed by 64 lowercase hex digits";
  if (!REPOSITORY.test(image.slice(0, at))) return `"${image.slice(0, at)}" is not a valid image name`;
  return undefined;
}
