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
import { closest, distance } from "fastest-levenshtein";
import { ConfigError, SECRET_MARK, SHOWN_VALUE_LENGTH, showValue } from "./errors";
import { ENVIRONMENTS, Environment } from "./versions";
import { alertsSecrets } from "./config/alerts";
import { appSecrets } from "./config/app";
import { NAMESPACE, SlotColour } from "./config/kinds";
import { notificationsSecrets } from "./config/notifications";
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

/** The longest key path a message shows; a longer one is cut, ending in `...`. */
export const SHOWN_KEY_LENGTH = 120;

/** The longest segment of a key path a message shows as given. */
const SHOWN_SEGMENT_LENGTH = 60;

/** A key path segment for a message: as it is when short printable text, else quoted, escaped and cut. */
function showSegment(p: string): string {
    if (p.length > 0 && p.length <= SHOWN_SEGMENT_LENGTH && /^[\x20-\x7e]+$/.test(p) && !p.includes('"')) {
        return p;
    }
    return showValue(p, SHOWN_SEGMENT_LENGTH);
}

/**
 * `slotshift:rollout.steps[2]` from `["rollout", "steps", 2]`. A segment that is not short
 * printable text (a key given in the config) is quoted, escaped and cut; the whole is at most
 * SHOWN_KEY_LENGTH characters: a key path is always one short line.
 */
export function keyPath(path: readonly PropertyKey[]): string {
    let out = NAMESPACE;
    path.forEach((p, i) => {
        if (typeof p === "number") {
            out += `[${p}]`;
        } else {
            out += `${i === 0 ? ":" : "."}${showSegment(String(p))}`;
        }
    });
    return out.length > SHOWN_KEY_LENGTH ? `${out.slice(0, SHOWN_KEY_LENGTH - 3)}...` : out;
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

/** The known key an unknown one was probably meant to be: one that starts the same way (errorRate for errorRatePercent), else the closest spelling. */
function nearestKey(key: string, known: readonly string[]): string {
    const lower = key.toLowerCase();
    const prefixed = known.filter((k) => k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase())).sort((a, b) => a.length - b.length);
    return prefixed[0] ?? closest(key, [...known]);
}

/**
 * Whether an unknown key is shown. Inside a value that holds a secret, only a short name: in the
 * family (`slotshift:alerts`), any such name; inside a secret's parent (`slotshift:app.registry`,
 * `slotshift:rollback`), only a likely misspelling of a known key (`pasword`). Anything else there
 * may be the secret itself written as a key (`{ https://hooks...: }`) and shows as `[secret]`.
 */
function showsUnknownKeyNear(key: string, known: readonly string[], secrecy: Secrecy): boolean {
    if (secrecy === "none") {
        return true;
    }
    if (known.length === 0 || !/^[A-Za-z_][A-Za-z0-9_-]{0,39}$/.test(key)) {
        return false;
    }
    if (secrecy === "holds") {
        return true;
    }
    const nearest = nearestKey(key, known);
    const lower = key.toLowerCase();
    const n = nearest.toLowerCase();
    return n.startsWith(lower) || lower.startsWith(n) || distance(lower, n) <= Math.max(2, Math.floor(n.length / 4));
}

function describeUnknownKey(prefix: readonly PropertyKey[], key: string, known: readonly string[], secrecy: Secrecy = "none"): { key: string; message: string } {
    const hidden = !showsUnknownKeyNear(key, known, secrecy);
    const full = keyPath([...prefix, hidden ? SECRET_MARK : key]);
    if (known.length === 0) {
        return { key: full, message: `${full} is not a known key` };
    }
    if (hidden) {
        return { key: full, message: `${full} is not a known key (a key that is not a name, inside a value that holds a secret); known here: ${known.join(", ")}` };
    }
    return { key: full, message: `${full} is not a known key; did you mean ${keyPath([...prefix, nearestKey(key, known)])}? (known here: ${known.join(", ")})` };
}

/** The longest problem line a refusal shows; a longer one is cut, ending in `...`. */
export const SHOWN_PROBLEM_LENGTH = 400;

/** How many problems a refusal's message lists; `problems` holds them all. */
export const LISTED_PROBLEMS = 20;

/** A check's text for a message: any quoted text in it (a name a check derived from a value) cut to SHOWN_VALUE_LENGTH characters. */
function shortQuotes(text: string): string {
    return text.replace(/"(?:[^"\\]|\\.)*"/g, (q) => (q.length > SHOWN_VALUE_LENGTH ? `${q.slice(0, SHOWN_VALUE_LENGTH - 4)}..."` : q));
}

/** A problem as one short line: line breaks and control characters escaped, cut to SHOWN_PROBLEM_LENGTH characters. */
function oneShortLine(message: string): string {
    // eslint-disable-next-line no-control-regex
    const line = message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    return line.length > SHOWN_PROBLEM_LENGTH ? `${line.slice(0, SHOWN_PROBLEM_LENGTH - 3)}...` : line;
}

/** How strictly what is at a config path is kept out of messages. */
type Secrecy = "none" | "holds" | "secret";

/**
 * Whether a config path is at, above or inside a value that must be a secret: what is there (a
 * wrongly typed parent may be the secret itself, or hold it) is never echoed. `secret`: the path
 * is the secret, inside it, or a parent of it below the family (`slotshift:app.registry`), or the
 * family of one whose parent is secret too (`slotshift:rollback`); `holds`: the family holding one
 * (`slotshift:alerts`, `slotshift:app`), whose other keys are plain config.
 */
function secrecyOf(path: readonly PropertyKey[]): Secrecy {
    let found: Secrecy = "none";
    for (const v of SECRET_VALUES) {
        const full = [v.top, ...v.path];
        const n = Math.min(full.length, path.length);
        if (!full.slice(0, n).every((p, i) => path[i] === p)) {
            continue;
        }
        if (path.length >= 2 || v.parentIsSecret) {
            return "secret";
        }
        found = "holds";
    }
    return found;
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
    ...notificationsSecrets.map((s) => ({ ...s, top: "notifications", parentIsSecret: false })),
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
            problems.push(describeUnknownKey([], key, TOP_LEVEL_KEYS));
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
                const secrecy = secrecyOf(issue.path);
                for (const k of issue.keys) {
                    problems.push(describeUnknownKey(issue.path, k, known, secrecy));
                }
                continue;
            }
            const key = keyPath(issue.path);
            // What is at, above or inside a value that must be a secret is never echoed, right or
            // wrong: `slotshift:alerts` given as a string or a list may be, or hold, the webhook URL.
            const given = valueAt(input, issue.path);
            const value = given !== undefined && secrecyOf(issue.path) !== "none" ? SECRET_MARK : given;
            const allowed = shortQuotes(issue.message);
            problems.push({
                key,
                message: value === undefined ? `${key} is missing; required: ${allowed}` : `${key} is ${showValue(value)}; allowed: ${allowed}`,
            });
        }
    }
    if (problems.length > 0) {
        const lines = problems.map((p) => ({ key: p.key, message: oneShortLine(p.message) }));
        const [first, ...more] = lines;
        const listed = more.slice(0, LISTED_PROBLEMS - 1).map((p) => `  also: ${p.message}`);
        if (more.length > listed.length) {
            listed.push(`  and ${more.length - listed.length} more problem(s)`);
        }
        const message = listed.length === 0 ? first.message : `${first.message}\n${listed.join("\n")}`;
        throw new ConfigError(first.key, message, lines.map((p) => p.message));
    }
    return result.data!;
}
