/**
 * A registry's `WWW-Authenticate` challenge (RFC 7235), as the Docker registry token flow uses it:
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"`
 * or `Basic realm="Registry Realm"`.
 */
export interface AuthChallenge {
  /** Lower case: `bearer`, `basic`, ... */
  scheme: string;
  /** Parameter names in lower case. */
  params: Record<string, string>;
}

const TOKEN = String.raw`[!#$%&'*+.^_\`|~0-9A-Za-z-]+`;
/** `name="quoted \"value\""` or `name=bare` (bare values are read up to the next comma, as registries write URLs unquoted too). */
const PARAM = new RegExp(String.raw`^\s*(${TOKEN})\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))\s*(?:,|$)`);

/**
 * The first challenge in `header`. Registries send one; a header with several challenges is read
 * up to the first parameter that does not parse, which is as far as the first one goes.
 */
export function parseAuthChallenge(header: string): AuthChallenge | undefined {
  const scheme = /^\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)/.exec(header);
  if (!scheme?.[1]) return undefined;
  const params: Record<string, string> = {};
  let rest = header.slice(scheme[0].length);
  for (let m = PARAM.exec(rest); m && rest.length > 0; m = PARAM.exec(rest)) {
    const [whole, name = "", quoted, bare] = m;
    params[name.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, "$1") : (bare ?? "");
    rest = rest.slice(whole.length);
  }
  return { scheme: scheme[1].toLowerCase(), params };
}
