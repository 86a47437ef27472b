/**
 * The typed stack config: one zod schema for every `slotshift:*` key, with
 * defaults per environment. `parseStackConfig` turns the raw key/value map
 * Pulumi hands a program into a `SlotshiftConfig` or throws a `ConfigError`
 * that names the key path, the value given and what is allowed.
 *
 * This module is pure: no Pulumi import, no I/O. The program, the offline plan
 * and the CLI all parse config through it.
 */
import { z } from "zod";
import { closest } from "fastest-levenshtein";
import { ConfigError, SECRET_MARK, showValue } from "./errors";
import { derivedNames } from "./names";
import { ENVIRONMENTS, Environment, VERSION_POLICY, versionPolicyViolation } from "./versions";

/** The config namespace: keys are `slotshift:<name>`. */
export const NAMESPACE = "slotshift";

export const STRATEGIES = ["direct", "blue-green", "canary"] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const SLOT_COLOURS = ["blue", "green"] as const;
export type SlotColour = (typeof SLOT_COLOURS)[number];

export const ROUTERS = ["traffic-manager", "gateway-api"] as const;
export type Router = (typeof ROUTERS)[number];

/** Per-environment defaults (the seeds' promotion flow). */
export const ENVIRONMENT_DEFAULTS: Readonly<
    Record<
        Environment,
        { strategy: Strategy; steps: readonly number[]; replicas: number; minStepMinutes: number; warmMinutes: number; promotionFrom?: string }
    >
> = {
    dev: { strategy: "direct", steps: [100], replicas: 1, minStepMinutes: 0, warmMinutes: 0 },
    staging: { strategy: "blue-green", steps: [100], replicas: 2, minStepMinutes: 0, warmMinutes: 30 },
    prod: { strategy: "canary", steps: [5, 25, 50, 100], replicas: 3, minStepMinutes: 5, warmMinutes: 30, promotionFrom: "staging" },
};

// ---------------------------------------------------------------------------
// Field builders: each carries its "allowed" text as the zod error, so every
// refusal can say what would have been accepted.

const intIn = (min: number, max: number, what = `an integer from ${min} to ${max}`) =>
    z.int({ error: what }).min(min, { error: what }).max(max, { error: what });

const numberIn = (min: number, max: number, what: string) =>
    z.number({ error: what }).min(min, { error: what }).max(max, { error: what });

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
    z.enum(values, { error: `one of ${values.join(", ")}` });

const bool = () => z.boolean({ error: "true or false" });

const pattern = (re: RegExp, what: string, maxLength: number) =>
    z
        .string({ error: what })
        .min(1, { error: what })
        .max(maxLength, { error: `${what}, at most ${maxLength} characters` })
        .regex(re, { error: what });

/** A DNS-1123 label: what Kubernetes names and Azure DNS prefixes both accept. */
const dnsLabel = (maxLength: number) =>
    pattern(
        /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
        `a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most ${maxLength} characters`,
        maxLength,
    );

/** An image repository without tag or digest: `[host[:port]/]path`. */
const imageRepository = pattern(
    /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/,
    "an image repository without tag or digest, e.g. ghcr.io/org/app",
    255,
);

const semverText = z.string({ error: "a semantic version, e.g. 1.4.0 or 1.4.0-rc.1" });

const gitSha = pattern(/^[0-9a-f]{7,40}$/, "a git commit sha: 7 to 40 lowercase hex characters", 40);

const digest = pattern(/^sha256:[0-9a-f]{64}$/, "an image digest: sha256: and 64 lowercase hex characters", 71);

const BUILD_NUMBER = "a build number: a whole number, e.g. 123";
const buildNumber = z
    .union([z.int({ error: BUILD_NUMBER }).min(0, { error: BUILD_NUMBER }), z.string({ error: BUILD_NUMBER }).regex(/^[0-9]{1,18}$/, { error: BUILD_NUMBER })], { error: BUILD_NUMBER })
    .transform((n) => String(n));

const isoDate = z.iso.datetime({ error: "an ISO 8601 UTC time, e.g. 2025-11-19T10:30:00Z" });

/** An Azure subscription ID: a GUID. */
const subscriptionId = pattern(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "an Azure subscription ID (a GUID)", 36);

/** An AKS cluster's name: 1 to 63 letters, digits, '-' and '_', starting and ending with a letter or digit. */
const aksName = pattern(/^[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?$/, "an AKS cluster name: 1 to 63 letters, digits, '-' and '_', starting and ending with a letter or digit", 63);

const CLUSTER =
    "the AKS cluster the stack deploys to: { resourceGroup, name } (and subscriptionId when it is in another subscription than the stack's), " +
    "e.g. pulumi config set --path 'slotshift:cluster.resourceGroup' my-aks-rg and pulumi config set --path 'slotshift:cluster.name' my-aks";

/** A GitHub repository: `owner/name`, as GitHub allows them. */
const githubRepository = pattern(
    /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/,
    "a GitHub repository as owner/name, e.g. nextgen-market/slotshift",
    140,
);

const GITHUB_TOKEN = "a GitHub token that may send repository_dispatch to the repository (a fine-grained token with Contents: read and write), given as a Pulumi secret";

const email = z.email({ error: "an email address" });

/** An Azure resource group name. */
const resourceGroupName = pattern(/^[-\w._()]{1,90}$/, "an Azure resource group name: letters, digits, '-', '_', '.', '(' and ')', at most 90", 90);

/** An Azure resource name as most services take it. */
const azureName = pattern(/^[A-Za-z0-9][A-Za-z0-9-]{1,61}[A-Za-z0-9]$/, "an Azure resource name: 3 to 63 letters, digits and '-'", 63);

const threshold = (what: string) =>
    z
        .strictObject({
            warning: numberIn(1, 100, `a percentage above 0 and at most 100`),
            critical: numberIn(1, 100, `a percentage above 0 and at most 100`),
        })
        .refine((t) => t.warning < t.critical, {
            error: `${what}: warning must be below critical`,
            path: ["warning"],
        });

// ---------------------------------------------------------------------------
// The schema. Built per environment so that defaults follow the environment.

function schemaFor(env: Environment, stack: string) {
    const d = ENVIRONMENT_DEFAULTS[env];

    const slot = z.strictObject({
        /** The semantic version this slot runs; absent means the slot is empty. */
        version: semverText.optional(),
        gitSha: gitSha.optional(),
        buildNumber: buildNumber.optional(),
        buildDate: isoDate.optional(),
        branch: pattern(/^[A-Za-z0-9._/-]+$/, "a git branch name", 100).optional(),
        nodeVersion: pattern(/^[0-9]+\.[0-9]+\.[0-9]+$/, "a Node.js version, e.g. 20.10.0", 20).optional(),
        npmVersion: pattern(/^[0-9]+\.[0-9]+\.[0-9]+$/, "an npm version, e.g. 10.2.0", 20).optional(),
        /** The image digest to deploy, when it is known ahead (otherwise resolved from the deploy tag). */
        digest: digest.optional(),
        /** Scale this slot to 0 while keeping its resources (blue-green: after the warm hold). */
        decommissioned: bool().default(false),
    });

    const app = z.strictObject({
        name: dnsLabel(40),
        image: imageRepository,
        port: intIn(1, 65535).default(8080),
        healthPath: pattern(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, "an absolute URL path, e.g. /api/health", 200).default("/api/health"),
        /**
         * The liveness probe's path, when it should check less than the health path: a liveness probe that
         * checks a shared dependency restarts every pod of both slots when that dependency fails.
         */
        livenessPath: pattern(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, "an absolute URL path, e.g. /api/live", 200).optional(),
        replicas: intIn(1, 50).default(d.replicas),
        namespace: dnsLabel(63).optional(),
        /** Dev only: build this folder (relative to the project) and push the deploy tag, instead of looking it up. */
        buildContext: pattern(/^[A-Za-z0-9._/-]+$/, "a folder of the project, e.g. app", 200).optional(),
        /** Credentials of a private registry: the registry lookups and the pods' image pulls use them. */
        registry: z
            .strictObject({
                username: pattern(/^[^\s]+$/, "a registry user name, without spaces", 200),
                password: z.string({ error: "a registry password or token, given as a Pulumi secret" }).min(1, { error: "a registry password or token, given as a Pulumi secret" }),
            })
            .optional(),
        /** Point the moving tags (latest, X.Y, staging, dev) at the live slot's image; needs a Docker engine. */
        publishMovingTags: bool().default(false),
    });

    const rollout = z
        .strictObject({
            strategy: oneOf(STRATEGIES).default(d.strategy),
            steps: z
                .array(intIn(1, 100, "whole percentages from 1 to 100"), { error: "a list of whole percentages ending at 100, e.g. [5, 25, 50, 100]" })
                .min(1, { error: "a list of whole percentages ending at 100, e.g. [5, 25, 50, 100]" })
                .max(10, { error: "at most 10 steps" })
                .refine((s) => s.every((w, i) => i === 0 || w > s[i - 1]), { error: "steps that rise strictly, e.g. [5, 25, 50, 100]" })
                .refine((s) => s[s.length - 1] === 100, { error: "steps whose last is 100, e.g. [5, 25, 50, 100]" })
                .default([...d.steps]),
            live: oneOf(SLOT_COLOURS).default("blue"),
            weight: intIn(0, 100, "0 or one of slotshift:rollout.steps").default(0),
            force: bool().default(false),
            allowDowngrade: bool().default(false),
            minStepMinutes: intIn(0, 1440).default(d.minStepMinutes),
            /** Minutes the previous live slot stays warm after a finalize before it may be decommissioned (seed: 30). */
            warmMinutes: intIn(0, 1440).default(d.warmMinutes),
        })
        .prefault({});

    const promotion = z
        .strictObject({
            from: pattern(
                /^([A-Za-z0-9_.-]+\/){0,2}[A-Za-z0-9_.-]+$/,
                "a stack name, or organization/project/stack",
                200,
            ).optional(),
        })
        .prefault({});

    const traffic = z
        .strictObject({
            router: oneOf(ROUTERS).default("traffic-manager"),
            ttl: intIn(1, 86400, "a DNS TTL in seconds from 1 to 86400").default(30),
            dnsName: dnsLabel(63).optional(),
            hostnames: z
                .array(pattern(/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, "a DNS host name", 253), { error: "a list of host names" })
                .max(16, { error: "at most 16 host names" })
                .default([]),
            gateway: z
                .strictObject({ name: dnsLabel(63), namespace: dnsLabel(63).optional() })
                .prefault({ name: "public-gateway" }),
            // HTTP on 80 by default: the slots' load balancers pass traffic to the app as it is. HTTPS
            // needs TLS terminated in front of each slot (see README); then set HTTPS and 443.
            probeProtocol: oneOf(["HTTPS", "HTTP"] as const).default("HTTP"),
            probePort: intIn(1, 65535).default(80),
            tenantHeader: pattern(/^[A-Za-z0-9-]+$/, "an HTTP header name: letters, digits and '-'", 100).default("x-tenant-id"),
            pinnedTenants: z
                .array(pattern(/^[A-Za-z0-9._-]+$/, "a tenant id: letters, digits, '.', '_' or '-'", 100), { error: "a list of tenant ids" })
                .max(16, { error: "at most 16 pinned tenants (each is a route match)" })
                .default([]),
            probeIntervalSeconds: z.union([z.literal(10), z.literal(30)], { error: "10 or 30 (the only probe intervals Azure Traffic Manager offers)" }).default(30),
            probeTimeoutSeconds: intIn(5, 10, "a probe timeout from 5 to 10 seconds").default(10),
        })
        .refine((t) => t.probeTimeoutSeconds < t.probeIntervalSeconds, {
            error: "a probe timeout below the probe interval (5 to 9 seconds for a 10-second interval)",
            path: ["probeTimeoutSeconds"],
        })
        .prefault({});

    const alerts = z
        .strictObject({
            errorRatePercent: numberIn(0.01, 100, "a percentage above 0 and at most 100").default(1),
            errorRateWarningPercent: numberIn(0.01, 100, "a percentage above 0 and at most 100").default(0.5),
            p99LatencyMs: intIn(1, 600000, "milliseconds from 1 to 600000").default(2000),
            /** Requests a slot must have answered in a window before its error rate and p99 are judged. */
            minRequests: intIn(1, 1000000, "a whole number of requests from 1 to 1000000").default(20),
            cpuPercent: threshold("slotshift:alerts.cpuPercent").prefault({ warning: 80, critical: 90 }),
            memoryPercent: threshold("slotshift:alerts.memoryPercent").prefault({ warning: 80, critical: 90 }),
            dbConnections: z
                .strictObject({ max: intIn(1, 100000), alertAt: intIn(1, 100000) })
                .refine((c) => c.alertAt <= c.max, { error: "alertAt at most max", path: ["alertAt"] })
                .prefault({ max: 20, alertAt: 18 }),
            /** Consecutive failed health probes before a slot counts as down (and Traffic Manager stops routing to it). */
            healthFailures: intIn(1, 9).default(3),
            /** Days the Log Analytics workspace keeps data. */
            retentionDays: intIn(30, 730).default(30),
            /** An existing Log Analytics workspace to use instead of creating one: where the app's telemetry goes. */
            workspace: z.strictObject({ resourceGroup: resourceGroupName, name: azureName }).optional(),
            /**
             * The Log Analytics workspace the AKS cluster's Container insights writes to (its data
             * collection rule's destination): the CPU, memory and health rules query it.
             */
            clusterWorkspace: z
                .strictObject({ resourceGroup: resourceGroupName, name: azureName, subscriptionId: subscriptionId.optional() })
                .optional(),
            /** The shared PostgreSQL flexible server whose connections are watched. */
            database: z
                .strictObject({
                    resourceGroup: resourceGroupName,
                    server: azureName,
                    /** The server's `max_connections` parameter (Azure allows 25 to 5000; the default depends on the SKU). */
                    maxConnections: intIn(25, 5000, "the server's max_connections: an integer from 25 to 5000"),
                    /** Warning when the server's connections pass this share of those usable by apps (max_connections less the 15 Azure reserves). */
                    warningPercent: numberIn(1, 100, "a percentage above 0 and at most 100").default(80),
                })
                .optional(),
            /** An Azure Cache for Redis whose hit rate the dashboard shows. */
            cache: z.strictObject({ resourceGroup: resourceGroupName, name: azureName }).optional(),
            emails: z.array(email, { error: "a list of email addresses" }).max(20, { error: "at most 20 email addresses" }).default([]),
            webhookUrl: z.url({ protocol: /^https$/, error: "an https URL, given as a Pulumi secret" }).optional(),
        })
        .refine((a) => a.errorRateWarningPercent < a.errorRatePercent, {
            error: "a warning error rate below slotshift:alerts.errorRatePercent",
            path: ["errorRateWarningPercent"],
        })
        .prefault({});

    /** The rollback relay: fired rollback triggers become a GitHub repository_dispatch to this repository. */
    const rollback = z
        .strictObject({
            repository: githubRepository,
            token: z.string({ error: GITHUB_TOKEN }).regex(/^[A-Za-z0-9_]{20,255}$/, { error: GITHUB_TOKEN }),
        })
        .optional();

    /** The AKS cluster: every Kubernetes resource of the stack goes to it through an explicit provider. */
    const cluster = z.strictObject(
        { resourceGroup: resourceGroupName, name: aksName, subscriptionId: subscriptionId.optional() },
        { error: (issue) => (issue.input === undefined ? CLUSTER : `an object: ${CLUSTER}`) },
    );

    return z
        .strictObject({
            environment: oneOf(ENVIRONMENTS),
            cluster,
            app,
            slots: z
                .strictObject({ blue: slot.prefault({}), green: slot.prefault({}) })
                .prefault({}),
            rollout,
            promotion: promotion.transform((p) => ({ from: p.from ?? d.promotionFrom })),
            traffic,
            alerts,
            rollback,
        })
        .superRefine((c, ctx) => {
            const r = c.rollout;
            // The strategy must fit the environment and the steps.
            if (env === "prod" && r.strategy === "direct") {
                ctx.addIssue({ code: "custom", path: ["rollout", "strategy"], message: "canary or blue-green: prod never deploys in place" });
            }
            if (r.strategy === "blue-green" && (r.steps.length !== 1 || r.steps[0] !== 100)) {
                ctx.addIssue({ code: "custom", path: ["rollout", "steps"], message: "[100] for strategy blue-green (use strategy canary for intermediate steps)" });
            }
            if (r.strategy === "canary" && r.steps.length < 2) {
                ctx.addIssue({ code: "custom", path: ["rollout", "steps"], message: "at least two steps for strategy canary, e.g. [5, 25, 50, 100]" });
            }
            // Rule 1: weight is 0 or one of steps; direct deploys in place.
            if (r.strategy === "direct" && r.weight !== 0) {
                ctx.addIssue({ code: "custom", path: ["rollout", "weight"], message: "0: strategy direct deploys the live slot in place and shifts no traffic" });
            } else if (r.weight !== 0 && !r.steps.includes(r.weight)) {
                ctx.addIssue({ code: "custom", path: ["rollout", "weight"], message: `0 or one of slotshift:rollout.steps (${r.steps.join(", ")})` });
            }
            // Versions follow the environment's policy (rule 7).
            for (const colour of SLOT_COLOURS) {
                const version = c.slots[colour].version;
                if (version !== undefined) {
                    const violation = versionPolicyViolation(env, version);
                    if (violation) {
                        ctx.addIssue({ code: "custom", path: ["slots", colour, "version"], message: `${VERSION_POLICY[env]} (${violation})` });
                    }
                }
            }
            for (const colour of SLOT_COLOURS) {
                const s = c.slots[colour];
                if (s.version !== undefined && s.gitSha === undefined && s.digest === undefined) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["slots", colour, "gitSha"],
                        message: `the git commit sha ${colour}'s image was built from (or slotshift:slots.${colour}.digest): the deploy tag needs it`,
                    });
                }
            }
            const live = r.live;
            const candidate = otherSlot(live);
            if (c.slots[live].version === undefined) {
                ctx.addIssue({ code: "custom", path: ["slots", live, "version"], message: `a version: slotshift:rollout.live is ${live}, so that slot must run one` });
            }
            if (c.slots[live].decommissioned) {
                ctx.addIssue({ code: "custom", path: ["slots", live, "decommissioned"], message: `false: ${live} is the live slot` });
            }
            if (r.weight > 0 && c.slots[candidate].version === undefined) {
                ctx.addIssue({ code: "custom", path: ["rollout", "weight"], message: `0 while slotshift:slots.${candidate} has no version to send traffic to` });
            }
            if (r.weight > 0 && c.slots[candidate].decommissioned) {
                ctx.addIssue({ code: "custom", path: ["rollout", "weight"], message: `0 while slotshift:slots.${candidate} is decommissioned` });
            }
            // Names the cloud would refuse are refused here, before anything is registered.
            for (const n of derivedNames({ app: c.app.name, stack, namespace: c.app.namespace, dnsName: c.traffic.dnsName })) {
                if (n.name.length <= n.max && n.pattern.test(n.name)) {
                    continue;
                }
                const [path, given] = n.what.startsWith("the Kubernetes namespace") && c.app.namespace !== undefined
                    ? [["app", "namespace"], "slotshift:app.namespace"]
                    : n.what.startsWith("the Traffic Manager") && c.traffic.dnsName !== undefined
                      ? [["traffic", "dnsName"], "slotshift:traffic.dnsName"]
                      : [["app", "name"], `slotshift:app.name (with the stack name ${JSON.stringify(stack)})`];
                ctx.addIssue({
                    code: "custom",
                    path,
                    message: `a name that makes ${n.what} valid: it would be ${JSON.stringify(n.name)} (${n.name.length} characters) and must be ${n.rule}; shorten ${given}`,
                });
            }
            if (c.app.buildContext !== undefined && env !== "dev") {
                ctx.addIssue({ code: "custom", path: ["app", "buildContext"], message: `unset outside dev: ${env} deploys the image that was built and promoted` });
            }
            if (c.rollback !== undefined && r.strategy === "direct") {
                ctx.addIssue({
                    code: "custom",
                    path: ["rollback"],
                    message: "unset for strategy direct: a stack deployed in place has no candidate whose traffic an alert could take away, so its alert rules trigger no rollback",
                });
            }
            if (c.promotion.from !== undefined && c.promotion.from.split("/").pop() === stack) {
                ctx.addIssue({ code: "custom", path: ["promotion", "from"], message: `another stack than ${stack} itself` });
            }
        });
}

const schemas = new Map<string, ReturnType<typeof schemaFor>>();

/** The schema of an environment and stack, built once (building one costs more than parsing with it). */
function cachedSchema(env: Environment, stack: string): ReturnType<typeof schemaFor> {
    const k = `${env}\u0000${stack}`;
    let schema = schemas.get(k);
    if (schema === undefined) {
        schema = schemaFor(env, stack);
        schemas.set(k, schema);
    }
    return schema;
}

/** The parsed, defaulted config of one stack. */
export type SlotshiftConfig = z.output<ReturnType<typeof schemaFor>>;
export type SlotConfig = SlotshiftConfig["slots"][SlotColour];
export type AppConfig = SlotshiftConfig["app"];
export type RolloutConfig = SlotshiftConfig["rollout"];
export type TrafficConfig = SlotshiftConfig["traffic"];
export type AlertsConfig = SlotshiftConfig["alerts"];
export type RollbackConfig = NonNullable<SlotshiftConfig["rollback"]>;
export type ClusterConfig = SlotshiftConfig["cluster"];

/** The slot that is not `colour`. */
export function otherSlot(colour: SlotColour): SlotColour {
    return colour === "blue" ? "green" : "blue";
}

/** The known `slotshift:` keys, for suggestions. */
export const TOP_LEVEL_KEYS = ["environment", "cluster", "app", "slots", "rollout", "promotion", "traffic", "alerts", "rollback"] as const;

/**
 * Raw config as Pulumi gives it to a program: `namespace:key` to a string,
 * objects and arrays as JSON text. Keys of other namespaces are ignored.
 */
export type RawConfig = Readonly<Record<string, string>>;

/** Reads a Pulumi config value: JSON for objects, arrays, numbers and booleans; else the string itself. */
function decodeValue(text: string): unknown {
    const t = text.trim();
    if (t.startsWith("{") || t.startsWith("[")) {
        try {
            return JSON.parse(t);
        } catch {
            return text;
        }
    }
    return text;
}

/** Resolves the environment: `slotshift:environment`, else the stack name when it is one. */
export function environmentOf(raw: RawConfig, stack: string): Environment {
    const given = raw[`${NAMESPACE}:environment`];
    if (given !== undefined) {
        if ((ENVIRONMENTS as readonly string[]).includes(given)) {
            return given as Environment;
        }
        throw new ConfigError(
            `${NAMESPACE}:environment`,
            `${NAMESPACE}:environment is ${showValue(given)}; allowed: one of ${ENVIRONMENTS.join(", ")}`,
        );
    }
    if ((ENVIRONMENTS as readonly string[]).includes(stack)) {
        return stack as Environment;
    }
    throw new ConfigError(
        `${NAMESPACE}:environment`,
        `${NAMESPACE}:environment is missing and the stack name ${showValue(stack)} is not an environment; allowed: one of ${ENVIRONMENTS.join(", ")} (set slotshift:environment)`,
    );
}

/** Reads a value at a path of the raw (decoded) config, for error messages. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    let cur: unknown = root;
    for (const p of path) {
        if (cur === null || typeof cur !== "object") {
            return undefined;
        }
        cur = (cur as Record<PropertyKey, unknown>)[p];
    }
    return cur;
}

/** `slotshift:rollout.steps[2]` from `["rollout", "steps", 2]`. */
export function keyPath(path: readonly PropertyKey[]): string {
    let out = NAMESPACE;
    path.forEach((p, i) => {
        if (typeof p === "number") {
            out += `[${p}]`;
        } else {
            out += `${i === 0 ? ":" : "."}${String(p)}`;
        }
    });
    return out;
}

/** The keys an object schema knows at a path, for "did you mean". */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
    let cur: z.ZodType | undefined = schema;
    const unwrap = (s: z.ZodType): z.ZodType => {
        let t: z.ZodType = s;
        for (let i = 0; i < 10; i++) {
            const def = (t as unknown as { def: { type: string; innerType?: z.ZodType; in?: z.ZodType; schema?: z.ZodType } }).def;
            if (def.innerType) {
                t = def.innerType;
            } else if (def.type === "pipe" && def.in) {
                t = def.in;
            } else {
                break;
            }
        }
        return t;
    };
    for (const p of path) {
        if (!cur) {
            return [];
        }
        const s = unwrap(cur) as unknown as { shape?: Record<string, z.ZodType> };
        cur = s.shape?.[String(p)];
    }
    if (!cur) {
        return [];
    }
    const shape = (unwrap(cur) as unknown as { shape?: Record<string, z.ZodType> }).shape;
    return shape ? Object.keys(shape) : [];
}

function describeUnknownKey(prefix: readonly PropertyKey[], key: string, known: readonly string[]): string {
    const full = keyPath([...prefix, key]);
    if (known.length === 0) {
        return `${full} is not a known key`;
    }
    // A key that starts the same way (errorRate for errorRatePercent) beats the closest spelling.
    const lower = key.toLowerCase();
    const prefixed = known.filter((k) => k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase())).sort((a, b) => a.length - b.length);
    const nearest = prefixed[0] ?? closest(key, [...known]);
    return `${full} is not a known key; did you mean ${keyPath([...prefix, nearest])}? (known here: ${known.join(", ")})`;
}

/** How a config is parsed. */
export interface ParseOptions {
    /**
     * Whether Pulumi holds a key as a secret. When given, keys that must be
     * secrets (`slotshift:alerts.webhookUrl`) are refused in plain text.
     */
    readonly isSecret?: (key: string) => boolean;
}

/** Values that must be Pulumi secrets, by the top-level key holding them. */
const SECRET_VALUES: readonly { readonly top: string; readonly path: readonly string[]; readonly how: string }[] = [
    { top: "alerts", path: ["webhookUrl"], how: "pulumi config set --secret --path 'slotshift:alerts.webhookUrl' https://..." },
    { top: "app", path: ["registry", "password"], how: "pulumi config set --secret --path 'slotshift:app.registry.password' <token>" },
    { top: "rollback", path: ["token"], how: "pulumi config set --secret --path 'slotshift:rollback.token' <token>" },
];

/**
 * Parses and validates the `slotshift:*` keys of a stack's config.
 *
 * @param raw   every config key Pulumi passes (other namespaces are ignored)
 * @param stack the stack name; the environment defaults to it
 * @throws ConfigError naming the key, the value and what is allowed
 */
export function parseStackConfig(raw: RawConfig, stack: string, options: ParseOptions = {}): SlotshiftConfig {
    const env = environmentOf(raw, stack);
    const input: Record<string, unknown> = {};
    const problems: { key: string; message: string }[] = [];
    for (const [fullKey, text] of Object.entries(raw)) {
        const [ns, ...rest] = fullKey.split(":");
        if (ns !== NAMESPACE) {
            continue;
        }
        const key = rest.join(":");
        if (!(TOP_LEVEL_KEYS as readonly string[]).includes(key)) {
            problems.push({ key: fullKey, message: describeUnknownKey([], key, TOP_LEVEL_KEYS) });
            continue;
        }
        input[key] = key === "environment" ? text : decodeValue(text);
    }
    input.environment = env;
    if (options.isSecret) {
        for (const secret of SECRET_VALUES) {
            const value = valueAt(input, [secret.top, ...secret.path]);
            if (value !== undefined && !options.isSecret(`${NAMESPACE}:${secret.top}`)) {
                const k = keyPath([secret.top, ...secret.path]);
                problems.push({ key: k, message: `${k} is given in plain text; allowed: a Pulumi secret only (${secret.how})` });
            }
        }
    }
    const schema = cachedSchema(env, stack);
    const result = schema.safeParse(input);
    if (!result.success) {
        for (const issue of result.error.issues) {
            if (issue.code === "unrecognized_keys") {
                const known = knownKeysAt(schema, issue.path);
                for (const k of issue.keys) {
                    problems.push({ key: keyPath([...issue.path, k]), message: describeUnknownKey(issue.path, k, known) });
                }
                continue;
            }
            const key = keyPath(issue.path);
            // A value that must be a secret is never echoed, right or wrong, nor is a parent of one
            // (`slotshift:rollback` given as a string may be the token itself).
            const secret = SECRET_VALUES.some((v) => {
                const full = [v.top, ...v.path];
                const n = Math.min(full.length, issue.path.length);
                const within = full.slice(0, n).every((p, i) => issue.path[i] === p);
                return within && (n >= 2 || v.top === "rollback");
            });
            const value = secret && valueAt(input, issue.path) !== undefined ? SECRET_MARK : valueAt(input, issue.path);
            problems.push({
                key,
                message: value === undefined ? `${key} is missing; required: ${issue.message}` : `${key} is ${showValue(value)}; allowed: ${issue.message}`,
            });
        }
    }
    if (problems.length > 0) {
        const [first, ...more] = problems;
        const message =
            more.length === 0 ? first.message : `${first.message}\n${more.map((p) => `  also: ${p.message}`).join("\n")}`;
        throw new ConfigError(first.key, message, problems.map((p) => p.message));
    }
    return result.data!;
}
