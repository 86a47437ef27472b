/**
 * The typed stack config: one zod schema for every `slotshift:*` key, with
 * defaults per environment. `parseStackConfig` turns the raw key/value map
 * Pulumi hands a program into a `SlotshiftConfig` or throws a `ConfigError`
 * that names the key path, the value given and what is allowed.
 *
 * Each key family (app, slots, rollout, promotion, traffic, alerts, analysis, cluster, rollback) is one
 * module under `rollout/config/` with its fields, defaults and messages; the checks that span
 * families are named units in `rollout/config/checks.ts`. This module is the one entry point:
 * it decodes Pulumi's raw values, suggests the key meant for an unknown one, keeps secrets out
 * of messages and reports every problem found.
 *
 * Pure: no Pulumi import, no I/O. The program, the offline plan and the CLI all parse config through it.
 */
import { z } from "zod";
import { closest } from "fastest-levenshtein";
import { ConfigError, SECRET_MARK, showValue } from "./errors";
import { ENVIRONMENTS, Environment } from "./versions";
import { alertsSecrets } from "./config/alerts";
import { appSecrets } from "./config/app";
import { NAMESPACE, SlotColour } from "./config/kinds";
import { rollbackSecrets } from "./config/rollback";
import { FAMILY_KEYS, schemaFor } from "./config/schema";

export { ENVIRONMENT_DEFAULTS, NAMESPACE, ROUTERS, SLOT_COLOURS, STRATEGIES, otherSlot } from "./config/kinds";
export type { EnvironmentDefaults, Router, SlotColour, Strategy } from "./config/kinds";

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
export type AnalysisConfig = SlotshiftConfig["analysis"];
export type RollbackConfig = NonNullable<SlotshiftConfig["rollback"]>;
export type ClusterConfig = SlotshiftConfig["cluster"];

/** The known `slotshift:` keys, for suggestions: one per key family. */
export const TOP_LEVEL_KEYS: readonly string[] = FAMILY_KEYS;

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
const SECRET_VALUES: readonly { readonly top: string; readonly path: readonly string[]; readonly how: string; readonly parentIsSecret: boolean }[] = [
    ...alertsSecrets.map((s) => ({ ...s, top: "alerts", parentIsSecret: false })),
    ...appSecrets.map((s) => ({ ...s, top: "app", parentIsSecret: false })),
    ...rollbackSecrets.map((s) => ({ ...s, top: "rollback" })),
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
        if (!TOP_LEVEL_KEYS.includes(key)) {
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
            // where the family says so (`slotshift:rollback` given as a string may be the token itself).
            const secret = SECRET_VALUES.some((v) => {
                const full = [v.top, ...v.path];
                const n = Math.min(full.length, issue.path.length);
                const within = full.slice(0, n).every((p, i) => issue.path[i] === p);
                return within && (n >= 2 || v.parentIsSecret);
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
