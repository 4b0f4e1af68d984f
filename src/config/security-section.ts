import { z } from "zod";
import { inlineKeyProblem } from "../image-signatures/public-keys.js";
import type { HostPolicy, ImageSignatureRule } from "../policy/host-policy.js";
import { CONFIG_DEFAULTS, shownDefault } from "./defaults.js";
import { secretsPolicyFromInput, secretsPolicySchema } from "./secrets-policy-section.js";

/**
 * Settings that only the host's root decides: commit signature verification and the host policy.
 * The manifest repository can never override them. Parsed values are handed over as `settings.security`.
 */
const absolutePath = z.string().startsWith("/", { error: "must be an absolute path" });
const P = CONFIG_DEFAULTS.security.policy;
/** `Default ["local"]`, `Default none`, `Default false`: what CONFIG_DEFAULTS holds for a policy key. */
const byDefault = (key: Exclude<keyof typeof P, "secrets">) => `Default ${shownDefault(P[key])}`;

export const verifySectionSchema = z
  .strictObject({
    mode: z
      .enum(["off", "warn", "enforce"])
      .optional()
      .describe(
        `off: no checks. warn: verify, log failures, apply anyway. enforce: reject commits whose signature is not good. Default ${CONFIG_DEFAULTS.security.verify.mode}`,
      ),
    allowed_signers: absolutePath
      .optional()
      .describe("SSH allowed_signers file (the format of `ssh-keygen -Y verify`): principals [options] keytype base64-key"),
    openpgp_keyring: absolutePath.optional().describe("Armored OpenPGP public keys (`gpg --export --armor KEYID...`)"),
    allow_rewind: z
      .boolean()
      .optional()
      .describe(
        `With mode enforce, apply a target that does not descend from the last good commit (a force-push back or to another history). Default ${CONFIG_DEFAULTS.security.verify.allow_rewind}: such a target is rejected`,
      ),
  })
  .refine((v) => v.mode !== "enforce" || v.allowed_signers !== undefined || v.openpgp_keyring !== undefined, {
    error: "mode enforce needs allowed_signers, openpgp_keyring or both",
    path: ["mode"],
  });

const portRange = z
  .union([z.int().min(1).max(65535), z.string().regex(/^\d{1,5}(?:-\d{1,5})?$/, { error: 'expected a port or a range like "8000-8999"' })])
  .refine(
    (v) =>
      String(v)
        .split("-")
        .every((p) => Number(p) >= 1 && Number(p) <= 65535),
    { error: "ports are 1-65535" },
  );

const signatureScope = z
  .string()
  .min(1)
  .refine((v) => v === "*" || !/[\s@]/.test(v), { error: 'expected "*", a registry (ghcr.io) or a registry with a path prefix (ghcr.io/acme)' });

const publicKey = z
  .string()
  .refine((v) => v.startsWith("/") || v.trimStart().startsWith("-----BEGIN"), {
    error: "expected a PEM public key (-----BEGIN PUBLIC KEY-----) or the absolute path of a file holding one",
  })
  .superRefine((v, ctx) => {
    const problem = v.startsWith("/") ? undefined : inlineKeyProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const keylessIdentity = z
  .strictObject({
    subject: z.string().min(1).optional().describe("The certificate's subject alternative name, exactly: an e-mail address or a CI workflow URI"),
    subject_regexp: z
      .string()
      .min(1)
      .refine((v) => compiles(v), { error: "not a valid regular expression" })
      .optional()
      .describe("Or: a regular expression the whole SAN must match (anchored at both ends)"),
    issuer: z.string().min(1).describe("The OIDC issuer in the certificate, exactly (https://token.actions.githubusercontent.com, ...)"),
  })
  .refine((v) => (v.subject === undefined) !== (v.subject_regexp === undefined), { error: "give subject or subject_regexp (one of them)" });

const imageSignatureRule = z
  .strictObject({
    scope: signatureScope.describe(
      'Images this entry covers: "*", a registry (ghcr.io) or a registry with a path prefix (ghcr.io/acme), by whole path components; the most specific scope matching an image decides',
    ),
    keys: z
      .array(publicKey)
      .optional()
      .describe("Public keys whose signatures are accepted (cosign.pub: ECDSA P-256 or Ed25519 PEM), inline or as absolute file paths re-read on every pass"),
    keyless: z
      .strictObject({
        trusted_root: absolutePath.describe(
          "A Sigstore trusted_root.json (Fulcio CAs, Rekor and CT log keys, timestamp authorities), pinned on the host: verification is offline",
        ),
        identities: z.array(keylessIdentity).min(1).describe("Certificate identities accepted: subject (or subject_regexp) and issuer"),
      })
      .optional()
      .describe("Keyless (Fulcio certificate) signatures accepted"),
    accept_unsigned: z.boolean().optional().describe("true: images under this scope need no signature (to exempt a narrower scope). Default false"),
  })
  .refine((v) => (v.accept_unsigned === true) !== ((v.keys?.length ?? 0) > 0 || v.keyless !== undefined), {
    error: "give keys, keyless or both; or accept_unsigned: true alone",
  });

export const policySectionSchema = z
  .strictObject({
    registries: z
      .array(z.string().min(1))
      .optional()
      .describe(`Image registries (host, or host/path prefix) services may use; "*" allows any. ${byDefault("registries")}`),
    privileged: z
      .boolean()
      .optional()
      .describe(`Allow privileged: true. ${byDefault("privileged")}`),
    host_network: z
      .boolean()
      .optional()
      .describe(`Allow network_mode: host. ${byDefault("host_network")}`),
    host_pid: z
      .boolean()
      .optional()
      .describe(`Allow pid: host. ${byDefault("host_pid")}`),
    host_ipc: z
      .boolean()
      .optional()
      .describe(`Allow ipc: host. ${byDefault("host_ipc")}`),
    root_user: z
      .boolean()
      .optional()
      .describe(`Allow a user that is uid 0 in any spelling (root, 0, +0, -0, 000, ":group"). ${byDefault("root_user")}`),
    cap_add: z
      .array(z.string())
      .optional()
      .describe(`Capabilities services may add (NET_ADMIN, ...); ALL allows any. ${byDefault("cap_add")}`),
    devices: z
      .array(absolutePath)
      .optional()
      .describe(`Host device paths services may map. ${byDefault("devices")}`),
    bind_roots: z
      .array(absolutePath)
      .optional()
      .describe(`Directories bind mounts (and local volumes bound to a host path) must be under. ${byDefault("bind_roots")}`),
    env_file_roots: z
      .array(absolutePath)
      .optional()
      .describe(`Directories env_file paths must be under. ${byDefault("env_file_roots")}. Never the agent's own config, credential or state files`),
    secret_roots: z
      .array(absolutePath)
      .optional()
      .describe(`Directories secret files must be under. ${byDefault("secret_roots")}`),
    published_ports: z
      .array(portRange)
      .optional()
      .describe(`Host ports services may publish, as ports or ranges. ${byDefault("published_ports")}`),
    volume_drivers: z
      .array(z.string().min(1))
      .optional()
      .describe(`Volume drivers a commit may create volumes with. ${byDefault("volume_drivers")}`),
    volume_types: z
      .array(z.string().min(1))
      .optional()
      .describe(`Local-driver volume types besides a bind (type: none, o: bind; judged like a bind mount) and tmpfs, e.g. nfs. ${byDefault("volume_types")}`),
    network_drivers: z
      .array(z.string().min(1))
      .optional()
      .describe(`Network drivers a commit may create networks with. ${byDefault("network_drivers")}`),
    external_networks: z
      .array(z.string().min(1))
      .optional()
      .describe(
        `Existing networks gitdock does not own that stacks may join when they declare them external. Never host, none or bridge. ${byDefault("external_networks")}`,
      ),
    external_volumes: z
      .array(z.string().min(1))
      .optional()
      .describe(`Existing volumes gitdock does not own that stacks may mount when they declare them external. ${byDefault("external_volumes")}`),
    shared_namespaces: z
      .array(z.string().min(1))
      .optional()
      .describe(`Containers outside a stack whose network, PID or IPC namespace services may join (container:<name>). ${byDefault("shared_namespaces")}`),
    security_opt: z
      .array(z.string().min(1))
      .optional()
      .describe(`security_opt entries services may use. ${byDefault("security_opt")}`),
    runtimes: z
      .array(z.string().min(1))
      .optional()
      .describe(`Container runtimes services may ask for. ${byDefault("runtimes")}`),
    sysctls: z
      .array(z.string().min(1))
      .optional()
      .describe(`Sysctls services may set (names, or prefixes ending in *). ${byDefault("sysctls")}`),
    log_drivers: z
      .array(z.string().min(1))
      .optional()
      .describe(`Logging drivers services may use. ${byDefault("log_drivers")}`),
    device_requests: z
      .boolean()
      .optional()
      .describe(
        `Allow device requests (deploy.resources.reservations.devices: GPUs and other devices a driver such as nvidia hands out). ${byDefault("device_requests")}`,
      ),
    external_links: z
      .array(z.string().min(1))
      .optional()
      .describe(`Containers outside a stack that services may link to with external_links, by name. ${byDefault("external_links")}`),
    ipam_drivers: z
      .array(z.string().min(1))
      .optional()
      .describe(`IPAM drivers networks may use besides the Engine's default. ${byDefault("ipam_drivers")}`),
    network_subnets: z
      .array(z.string().regex(/^[0-9a-fA-F.:]+\/\d{1,3}$/, { error: 'expected a CIDR like "172.16.0.0/12"' }))
      .optional()
      .describe(`CIDRs that networks' ipam subnets, ranges, gateways and aux addresses must lie in. ${byDefault("network_subnets")}`),
    image_signatures: z
      .array(imageSignatureRule)
      .optional()
      .refine((rules) => new Set(rules?.map((r) => r.scope)).size === (rules?.length ?? 0), { error: "each scope may appear once" })
      .describe(
        `Images that must be signed before they are pulled, per registry or repository scope, and by which keys or keyless identities. ${byDefault("image_signatures")}`,
      ),
    secrets: secretsPolicySchema.optional(),
  })
  .describe("What a commit may ask of this host. Anything else rejects the whole commit.");

export const securitySectionSchema = z.strictObject({
  verify: verifySectionSchema.optional(),
  policy: policySectionSchema.optional(),
});

export type SecuritySectionInput = z.infer<typeof securitySectionSchema>;
export type PolicySectionInput = z.infer<typeof policySectionSchema>;

export type VerifyMode = "off" | "warn" | "enforce";

export interface VerifySettings {
  mode: VerifyMode;
  allowedSigners: string | undefined;
  openpgpKeyring: string | undefined;
  /** Follow force-pushes: skip the check that an enforce-mode target descends from the last good commit. */
  allowRewind: boolean;
}

export interface SecuritySection {
  verify: VerifySettings;
  policy: HostPolicy;
}

export function securitySectionDefaults(raw: SecuritySectionInput | undefined): SecuritySection {
  return {
    verify: {
      mode: raw?.verify?.mode ?? CONFIG_DEFAULTS.security.verify.mode,
      allowedSigners: raw?.verify?.allowed_signers,
      openpgpKeyring: raw?.verify?.openpgp_keyring,
      allowRewind: raw?.verify?.allow_rewind ?? CONFIG_DEFAULTS.security.verify.allow_rewind,
    },
    policy: policyFromInput(raw?.policy),
  };
}

/** The policy section as written (YAML keys) → the checker's form, with the safe defaults (CONFIG_DEFAULTS) filled in. */
export function policyFromInput(raw: PolicySectionInput | undefined): HostPolicy {
  const list = <T>(value: readonly T[] | undefined, fallback: readonly T[]): T[] => [...(value ?? fallback)];
  return {
    registries: list(raw?.registries, P.registries),
    privileged: raw?.privileged ?? P.privileged,
    hostNetwork: raw?.host_network ?? P.host_network,
    hostPid: raw?.host_pid ?? P.host_pid,
    hostIpc: raw?.host_ipc ?? P.host_ipc,
    rootUser: raw?.root_user ?? P.root_user,
    capAdd: list(raw?.cap_add, P.cap_add),
    devices: list(raw?.devices, P.devices),
    bindRoots: list(raw?.bind_roots, P.bind_roots),
    envFileRoots: list(raw?.env_file_roots, P.env_file_roots),
    secretRoots: list(raw?.secret_roots, P.secret_roots),
    publishedPorts: list<string | number>(raw?.published_ports, P.published_ports).map(String),
    volumeDrivers: list(raw?.volume_drivers, P.volume_drivers),
    volumeTypes: list(raw?.volume_types, P.volume_types),
    networkDrivers: list(raw?.network_drivers, P.network_drivers),
    externalNetworks: list(raw?.external_networks, P.external_networks),
    externalVolumes: list(raw?.external_volumes, P.external_volumes),
    sharedNamespaces: list(raw?.shared_namespaces, P.shared_namespaces),
    securityOpt: list(raw?.security_opt, P.security_opt),
    runtimes: list(raw?.runtimes, P.runtimes),
    sysctls: list(raw?.sysctls, P.sysctls),
    logDrivers: list(raw?.log_drivers, P.log_drivers),
    deviceRequests: raw?.device_requests ?? P.device_requests,
    externalLinks: list(raw?.external_links, P.external_links),
    ipamDrivers: list(raw?.ipam_drivers, P.ipam_drivers),
    networkSubnets: list(raw?.network_subnets, P.network_subnets),
    imageSignatures: (raw?.image_signatures ?? P.image_signatures).map(signatureRule),
    secrets: secretsPolicyFromInput(raw?.secrets),
  };
}

/** The policy of a host whose config says nothing about it, in the checker's form. */
export const DEFAULT_POLICY: Readonly<HostPolicy> = Object.freeze(policyFromInput(undefined));

function signatureRule(raw: NonNullable<PolicySectionInput["image_signatures"]>[number]): ImageSignatureRule {
  const keyless = raw.keyless && {
    trustedRoot: raw.keyless.trusted_root,
    identities: raw.keyless.identities.map((i) => ({
      ...(i.subject !== undefined ? { subject: i.subject } : {}),
      ...(i.subject_regexp !== undefined ? { subjectPattern: i.subject_regexp } : {}),
      issuer: i.issuer,
    })),
  };
  return { scope: raw.scope, keys: raw.keys ?? [], keyless, acceptUnsigned: raw.accept_unsigned ?? false };
}

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}
