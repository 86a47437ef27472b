/**
 * Reads the Pulumi project and stack files the way the Pulumi CLI hands them
 * to a program: every config key becomes `namespace:key` to a string (objects
 * and arrays as JSON), secure values are marked as secrets.
 */
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";

/** A config map as Pulumi passes it to a program, with the keys that are secrets. */
export interface StackConfig {
    /** The stack name. */
    readonly stack: string;
    /** The Pulumi project name from Pulumi.yaml. */
    readonly project: string;
    /** The stack file this came from. */
    readonly file: string;
    /** `namespace:key` to the value Pulumi would pass: strings as they are, everything else as JSON. */
    readonly config: Record<string, string>;
    /** Keys holding a `secure:` value anywhere inside. */
    readonly secretKeys: string[];
}

/** A usage problem: unknown stack, missing or unreadable file. The CLI exits 2 on these. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** Finds the project root: the nearest directory upwards holding Pulumi.yaml. */
export function findProjectRoot(from: string = process.cwd()): string {
    let dir = path.resolve(from);
    for (;;) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
            return dir;
        }
        const up = path.dirname(dir);
        if (up === dir) {
            throw new UsageError(`no Pulumi.yaml found in ${from} or any directory above it`);
        }
        dir = up;
    }
}

/** The stacks that have a `Pulumi.<stack>.yaml` in the project root. */
export function listStacks(root: string): string[] {
    return fs
        .readdirSync(root)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** The path of a stack's file; a clear error listing the stacks there when it does not exist. */
export function stackFilePath(root: string, stack: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
        throw new UsageError(`stack name ${JSON.stringify(stack)} is not valid: letters, digits, '_', '.' and '-' only`);
    }
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        const stacks = listStacks(root);
        throw new UsageError(
            `unknown stack ${JSON.stringify(stack)}: there is no ${path.basename(file)} in ${root}; stacks here: ${stacks.join(", ") || "none"}`,
        );
    }
    return file;
}

/** Parses YAML text to a plain value; a syntax error names the file, line and column. */
export function readYaml(file: string, text: string = fs.readFileSync(file, "utf8")): unknown {
    const doc = parseDocument(text);
    if (doc.errors.length > 0) {
        const e = doc.errors[0];
        const where = e.linePos ? `${e.linePos[0].line}:${e.linePos[0].col}` : "?";
        throw new UsageError(`${path.basename(file)}:${where}: YAML syntax error: ${e.message.split("\n")[0]}`);
    }
    return doc.toJS();
}

function isSecure(value: unknown): value is { secure: string } {
    return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/**
 * Replaces every `{ secure: ... }` inside a value by the plaintext the caller
 * supplies (or a placeholder); reports whether any was found.
 */
function revealSecrets(value: unknown, plaintext: string): { value: unknown; secret: boolean } {
    if (isSecure(value)) {
        return { value: plaintext, secret: true };
    }
    if (Array.isArray(value)) {
        let secret = false;
        const out = value.map((v) => {
            const r = revealSecrets(v, plaintext);
            secret ||= r.secret;
            return r.value;
        });
        return { value: out, secret };
    }
    if (value !== null && typeof value === "object") {
        let secret = false;
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
            const r = revealSecrets(v, plaintext);
            secret ||= r.secret;
            out[k] = r.value;
        }
        return { value: out, secret };
    }
    return { value, secret: false };
}

/**
 * What an offline plan uses in place of a secret it cannot decrypt. It is a
 * valid https URL so that keys whose secret is a URL still validate.
 */
export const OFFLINE_SECRET = "https://offline-secret.invalid/slotshift";

/** Encodes a config value the way Pulumi passes it to a program. */
function encode(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Reads `Pulumi.yaml` defaults and `Pulumi.<stack>.yaml` into the config map a
 * program would see.
 *
 * @param secrets plaintext for secure keys (`slotshift:alerts`), as the Pulumi CLI would decrypt them;
 *                secure values without one get OFFLINE_SECRET.
 */
export function readStackConfig(root: string, stack: string, secrets: Readonly<Record<string, string>> = {}): StackConfig {
    const file = stackFilePath(root, stack);
    return stackConfigFromText(root, stack, fs.readFileSync(file, "utf8"), secrets);
}

/** Like readStackConfig, for a stack file's text (an edit not yet written). */
export function stackConfigFromText(root: string, stack: string, text: string, secrets: Readonly<Record<string, string>> = {}): StackConfig {
    const projectFile = path.join(root, "Pulumi.yaml");
    const project = readYaml(projectFile) as { name?: unknown; config?: Record<string, unknown> } | null;
    if (!project || typeof project.name !== "string") {
        throw new UsageError(`${projectFile} has no project name`);
    }
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    const doc = readYaml(file, text);
    if (doc !== null && (typeof doc !== "object" || Array.isArray(doc))) {
        throw new UsageError(`${path.basename(file)} is not a mapping: a stack file holds 'config:' and its keys`);
    }
    const stackConfig = (doc as { config?: unknown } | null)?.config ?? {};
    if (typeof stackConfig !== "object" || stackConfig === null || Array.isArray(stackConfig)) {
        throw new UsageError(`${path.basename(file)}: 'config' is not a mapping of keys to values`);
    }

    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const qualify = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);

    // Project-level defaults: `key: { default: value }` or `key: value`.
    for (const [key, decl] of Object.entries(project.config ?? {})) {
        const value = decl !== null && typeof decl === "object" && !Array.isArray(decl) && ("default" in decl || "value" in decl)
            ? ((decl as { default?: unknown; value?: unknown }).value ?? (decl as { default?: unknown }).default)
            : decl;
        if (value !== undefined) {
            config[qualify(key)] = encode(value);
        }
    }
    for (const [key, value] of Object.entries(stackConfig as Record<string, unknown>)) {
        const full = qualify(key);
        const r = revealSecrets(value, secrets[full] ?? OFFLINE_SECRET);
        config[full] = encode(r.value);
        if (r.secret) {
            secretKeys.push(full);
        }
    }
    return { stack, project: project.name, file, config, secretKeys };
}
