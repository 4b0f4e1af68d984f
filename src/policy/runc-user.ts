/**
 * Whether a container's `User` runs as uid 0, read the way runc reads it: the part before the first
 * `:` is the user; a number is parsed like Go's strconv.Atoi (a sign and leading zeros are fine, so
 * `+0`, `-0` and `000` are all 0); an empty user part (`:1000`) takes the default user, which is
 * root. A name is looked up in the image's /etc/passwd, which gitdock cannot see before the image
 * runs: only `root` is known to be uid 0 (an image could map another name to 0, as it could make
 * root its default user; see the README's residual risks).
 */
export function runsAsRoot(user: string): boolean {
  const colon = user.indexOf(":");
  const name = colon < 0 ? user : user.slice(0, colon);
  if (name === "" || name === "root") return true;
  return /^[+-]?[0-9]+$/.test(name) && /^[+-]?0+$/.test(name);
}
