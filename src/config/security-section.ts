import { z } from "zod";
import { inlineKeyProblem } from "../image-signatures/public-keys.js";
import { DEFAULT_POLICY, type HostPolicy, type ImageSignatureRule } from "../policy/host-policy.js";

/**
 * Settings that only the host's root decides: commit signature verification and the host policy.
 * The manifest repository can never override them. Parsed values are handed over as `settings.security`.
 */
const absolutePath = z.string().startsWith("/", { error: "must be an absolute path" });

export const verifySectionSchema = z
  .strictObject({
    mode: z
      .enum(["off", "warn", "enforce"])
      .optional()
      .describe("off (default): no checks. warn: verify, log failures, apply anyway. enforce: reject commits whose signature is not good."),
    allowed_signers: absolutePath
      .optional()
      .describe("SSH allowed_signers file (the format of `ssh-keygen -Y verify`): principals [options] keytype base64-key"),
    openpgp_keyring: absolutePath.optional().describe("Armored OpenPGP public keys (`gpg --export --armor KEYID...`)"),
    allow_rewind: z
      .boolean()
      .optional()
      .describe(
        "With mode enforce, apply a target that does not descend from the last good commit (a force-push back or to another history). Default false: such a target is rejected",
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
    registries: z.array(z.string().min(1)).optional().describe('Image registries (host, or host/path prefix) services may use; "*" allows any. Default ["*"]'),
    privileged: z.boolean().optional().describe("Allow privileged: true. Default false"),
    host_network: z.boolean().optional().describe("Allow network_mode: host. Default false"),
    host_pid: z.boolean().optional().describe("Allow pid: host. Default false"),
    host_ipc: z.boolean().optional().describe("Allow ipc: host. Default false"),
    root_user: z.boolean().optional().describe('Allow a user that is uid 0 in any spelling (root, 0, +0, -0, 000, ":group"). Default false'),
    cap_add: z.array(z.string()).optional().describe("Capabilities services may add (NET_ADMIN, ...); ALL allows any. Default none"),
    devices: z.array(absolutePath).optional().describe("Host device paths services may map. Default none"),
    bind_roots: z
      .array(absolutePath)
      .optional()
      .describe("Directories bind mounts (and local volumes bound to a host path) must be under. Default /srv, /var/lib/gitdock-data"),
    env_file_roots: z
      .array(absolutePath)
      .optional()
      .describe("Directories env_file paths must be under. Default /etc/gitdock/env. Never the agent's own config, credential or state files"),
    secret_roots: z.array(absolutePath).optional().describe("Directories secret files must be under. Default /etc/gitdock/secrets"),
    published_ports: z.array(portRange).optional().describe('Host ports services may publish, as ports or ranges. Default ["1-65535"]'),
    volume_drivers: z.array(z.string().min(1)).optional().describe('Volume drivers a commit may create volumes with. Default ["local"]'),
    volume_types: z
      .array(z.string().min(1))
      .optional()
      .describe("Local-driver volume types besides a bind (type: none, o: bind; judged like a bind mount) and tmpfs, e.g. nfs. Default none"),
    network_drivers: z.array(z.string().min(1)).optional().describe('Network drivers a commit may create networks with. Default ["bridge"]'),
    external_networks: z
      .array(z.string().min(1))
      .optional()
      .describe("Existing networks gitdock does not own that stacks may join when they declare them external. Never host, none or bridge. Default none"),
    external_volumes: z
      .array(z.string().min(1))
      .optional()
      .describe("Existing volumes gitdock does not own that stacks may mount when they declare them external. Default none"),
    shared_namespaces: z
      .array(z.string().min(1))
      .optional()
      .describe("Containers outside a stack whose network, PID or IPC namespace services may join (container:<name>). Default none"),
    security_opt: z.array(z.string().min(1)).optional().describe('security_opt entries services may use. Default ["no-new-privileges"]'),
    runtimes: z.array(z.string().min(1)).optional().describe('Container runtimes services may ask for. Default ["runc"]'),
    sysctls: z
      .array(z.string().min(1))
      .optional()
      .describe('Sysctls services may set (names, or prefixes ending in *). Default ["net.*", "kernel.shm*", "kernel.msg*", "kernel.sem", "fs.mqueue.*"]'),
    log_drivers: z.array(z.string().min(1)).optional().describe('Logging drivers services may use. Default ["json-file", "local", "journald", "none"]'),
    device_requests: z
      .boolean()
      .optional()
      .describe("Allow device requests (deploy.resources.reservations.devices: GPUs and other devices a driver such as nvidia hands out). Default false"),
    external_links: z
      .array(z.string().min(1))
      .optional()
      .describe("Containers outside a stack that services may link to with external_links, by name. Default none"),
    ipam_drivers: z.array(z.string().min(1)).optional().describe("IPAM drivers networks may use besides the Engine's default. Default none"),
    network_subnets: z
      .array(z.string().regex(/^[0-9a-fA-F.:]+\/\d{1,3}$/, { error: 'expected a CIDR like "172.16.0.0/12"' }))
      .optional()
      .describe(
        'CIDRs that networks\' ipam subnets, ranges, gateways and aux addresses must lie in. Default ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8"]',
      ),
    image_signatures: z
      .array(imageSignatureRule)
      .optional()
      .refine((rules) => new Set(rules?.map((r) => r.scope)).size === (rules?.length ?? 0), { error: "each scope may appear once" })
      .describe("Images that must be signed before they are pulled, per registry or repository scope, and by which keys or keyless identities. Default none"),
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
      mode: raw?.verify?.mode ?? "off",
      allowedSigners: raw?.verify?.allowed_signers,
      openpgpKeyring: raw?.verify?.openpgp_keyring,
      allowRewind: raw?.verify?.allow_rewind ?? false,
    },
    policy: policyFromInput(raw?.policy),
  };
}

/** The policy section as written (YAML keys) → the checker's form, with the safe defaults filled in. */
export function policyFromInput(raw: PolicySectionInput | undefined): HostPolicy {
  return {
    registries: raw?.registries ?? DEFAULT_POLICY.registries,
    privileged: raw?.privileged ?? DEFAULT_POLICY.privileged,
    hostNetwork: raw?.host_network ?? DEFAULT_POLICY.hostNetwork,
    hostPid: raw?.host_pid ?? DEFAULT_POLICY.hostPid,
    hostIpc: raw?.host_ipc ?? DEFAULT_POLICY.hostIpc,
    rootUser: raw?.root_user ?? DEFAULT_POLICY.rootUser,
    capAdd: raw?.cap_add ?? DEFAULT_POLICY.capAdd,
    devices: raw?.devices ?? DEFAULT_POLICY.devices,
    bindRoots: raw?.bind_roots ?? DEFAULT_POLICY.bindRoots,
    envFileRoots: raw?.env_file_roots ?? DEFAULT_POLICY.envFileRoots,
    secretRoots: raw?.secret_roots ?? DEFAULT_POLICY.secretRoots,
    publishedPorts: (raw?.published_ports ?? DEFAULT_POLICY.publishedPorts).map(String),
    volumeDrivers: raw?.volume_drivers ?? DEFAULT_POLICY.volumeDrivers,
    volumeTypes: raw?.volume_types ?? DEFAULT_POLICY.volumeTypes,
    networkDrivers: raw?.network_drivers ?? DEFAULT_POLICY.networkDrivers,
    externalNetworks: raw?.external_networks ?? DEFAULT_POLICY.externalNetworks,
    externalVolumes: raw?.external_volumes ?? DEFAULT_POLICY.externalVolumes,
    sharedNamespaces: raw?.shared_namespaces ?? DEFAULT_POLICY.sharedNamespaces,
    securityOpt: raw?.security_opt ?? DEFAULT_POLICY.securityOpt,
    runtimes: raw?.runtimes ?? DEFAULT_POLICY.runtimes,
    sysctls: raw?.sysctls ?? DEFAULT_POLICY.sysctls,
    logDrivers: raw?.log_drivers ?? DEFAULT_POLICY.logDrivers,
    deviceRequests: raw?.device_requests ?? DEFAULT_POLICY.deviceRequests,
    externalLinks: raw?.external_links ?? DEFAULT_POLICY.externalLinks,
    ipamDrivers: raw?.ipam_drivers ?? DEFAULT_POLICY.ipamDrivers,
    networkSubnets: raw?.network_subnets ?? DEFAULT_POLICY.networkSubnets,
    imageSignatures: raw?.image_signatures?.map(signatureRule) ?? DEFAULT_POLICY.imageSignatures,
  };
}

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
