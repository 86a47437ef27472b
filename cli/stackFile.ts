/**
 * Reads the Pulumi project and stack files the way the Pulumi CLI hands them
 * to a program: every config key becomes `namespace:key` to a string (objects
 * and arrays as JSON), secure values are marked as secrets.
 */
import * as fs from "fs";
import * as path from "path";
import { Document, isCollection, isPair, parseDocument, ParseOptions, DocumentOptions, SchemaOptions } from "yaml";

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
    // Pulumi's stack names: letters, digits, '_', '.' and '-', at most 100 characters.
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(stack)) {
        const shown = JSON.stringify(stack.length > 40 ? `${stack.slice(0, 37)}...` : stack);
        throw new UsageError(`stack name ${shown}${stack.length > 40 ? ` (${stack.length} characters)` : ""} is not valid: letters, digits, '_', '.' and '-' only, at most 100 characters`);
    }
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        let dangling: string | undefined;
        try {
            dangling = fs.readlinkSync(file);
        } catch {
            dangling = undefined;
        }
        if (dangling !== undefined) {
            throw new UsageError(`${path.basename(file)} in ${root} is a symlink to ${dangling}, which does not exist`);
        }
        const stacks = listStacks(root);
        throw new UsageError(
            `unknown stack ${JSON.stringify(stack)}: there is no ${path.basename(file)} in ${root}; stacks here: ${stacks.join(", ") || "none"}`,
        );
    }
    // Whoever reads it next gets a file slotshift can read and write back byte for byte, or one line why not.
    readStackText(file);
    return file;
}

/** The largest stack file (or Pulumi.yaml) slotshift reads: 1 MiB. */
export const MAX_STACK_FILE_BYTES = 1024 * 1024;
/** The deepest nesting of mappings and lists a stack file may have. */
export const MAX_YAML_DEPTH = 64;
/** The most alias expansions a stack file may make when read (the `yaml` package's default). */
export const MAX_YAML_ALIASES = 100;

/** The byte offset of the first byte that is not valid UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
    let i = 0;
    while (i < bytes.length) {
        const b = bytes[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        let need: number;
        let min: number;
        if (b >= 0xc2 && b <= 0xdf) {
            need = 1;
            min = 0x80;
        } else if (b >= 0xe0 && b <= 0xef) {
            need = 2;
            min = 0x800;
        } else if (b >= 0xf0 && b <= 0xf4) {
            need = 3;
            min = 0x10000;
        } else {
            return i;
        }
        let cp = b & (0x3f >> need);
        for (let k = 1; k <= need; k++) {
            const c = bytes[i + k];
            if (c === undefined || (c & 0xc0) !== 0x80) {
                return i;
            }
            cp = (cp << 6) | (c & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return i;
        }
        i += need + 1;
    }
    return -1;
}

/**
 * Decodes a file's bytes as UTF-8, refusing (one line naming the file, the
 * line and the byte) bytes that are not: read leniently, they would become
 * U+FFFD and be written back so.
 */
export function decodeUtf8(file: string, bytes: Uint8Array): string {
    try {
        return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
        const at = Math.max(0, firstInvalidUtf8(bytes));
        let line = 1;
        let lineStart = 0;
        for (let i = 0; i < at; i++) {
            if (bytes[i] === 0x0a) {
                line++;
                lineStart = i + 1;
            }
        }
        const hex = (bytes[at] ?? 0).toString(16).padStart(2, "0");
        throw new UsageError(
            `${path.basename(file)}:${line}: not valid UTF-8 (byte 0x${hex} at byte ${at - lineStart + 1} of the line); ` +
                `slotshift would not write it back as it is: save the file as UTF-8`,
        );
    }
}

/**
 * The one reader of a stack file or Pulumi.yaml: its text, or one line naming
 * the file and what is wrong (missing, a directory or not a regular file,
 * unreadable, larger than MAX_STACK_FILE_BYTES, not UTF-8).
 */
export function readStackText(file: string): string {
    const name = path.basename(file);
    const fail = (e: unknown): never => {
        const err = e as NodeJS.ErrnoException;
        switch (err.code) {
            case "ENOENT":
                throw new UsageError(`cannot read ${name}: there is no such file in ${path.dirname(file)} (ENOENT)`);
            case "EACCES":
            case "EPERM":
                throw new UsageError(`cannot read ${name}: permission denied (${err.code}): make it readable`);
            case "EISDIR":
                throw new UsageError(`cannot read ${name}: ${file} is a directory, not a file (EISDIR)`);
            case "ELOOP":
                throw new UsageError(`cannot read ${name}: it is a symlink loop (ELOOP)`);
            default:
                throw err.code === undefined ? e : new UsageError(`cannot read ${name}: ${err.message.split("\n")[0]}`);
        }
    };
    let fd: number;
    try {
        fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    } catch (e) {
        return fail(e);
    }
    try {
        const st = fs.fstatSync(fd);
        if (st.isDirectory()) {
            throw new UsageError(`cannot read ${name}: ${file} is a directory, not a file (EISDIR)`);
        }
        if (!st.isFile()) {
            throw new UsageError(`cannot read ${name}: ${file} is not a regular file (a device, pipe or socket)`);
        }
        if (st.size > MAX_STACK_FILE_BYTES) {
            throw new UsageError(`cannot read ${name}: it is ${st.size} bytes, more than the ${MAX_STACK_FILE_BYTES} (1 MiB) a stack file may have`);
        }
        const bytes = Buffer.alloc(MAX_STACK_FILE_BYTES + 1);
        let n = 0;
        for (let i = 0; i <= MAX_STACK_FILE_BYTES + 1 && n <= MAX_STACK_FILE_BYTES; i++) {
            const got = fs.readSync(fd, bytes, n, bytes.length - n, null);
            if (got === 0) {
                break;
            }
            n += got;
        }
        if (n > MAX_STACK_FILE_BYTES) {
            throw new UsageError(`cannot read ${name}: it is more than the ${MAX_STACK_FILE_BYTES} bytes (1 MiB) a stack file may have`);
        }
        return decodeUtf8(file, bytes.subarray(0, n));
    } catch (e) {
        if (e instanceof UsageError) {
            throw e;
        }
        return fail(e);
    } finally {
        fs.closeSync(fd);
    }
}

/** The deepest nesting of a parsed document, counted without recursion (bounded by `limit + 1`). */
function depthOf(doc: Document, limit: number): number {
    let max = 0;
    const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 0 }];
    for (let guard = 0; stack.length > 0 && guard < 10_000_000; guard++) {
        const { node, depth } = stack.pop()!;
        if (!isCollection(node)) {
            continue;
        }
        max = Math.max(max, depth + 1);
        if (max > limit) {
            return max;
        }
        for (const item of node.items) {
            if (isPair(item)) {
                stack.push({ node: item.key, depth: depth + 1 }, { node: item.value, depth: depth + 1 });
            } else {
                stack.push({ node: item, depth: depth + 1 });
            }
        }
    }
    return max;
}

/**
 * Parses a stack file's text: a YAML syntax error, nesting deeper than
 * MAX_YAML_DEPTH (which would overflow the parser's stack) and a document
 * that is not one are each one line naming the file.
 */
export function parseYamlDocument(file: string, text: string, options: ParseOptions & DocumentOptions & SchemaOptions = {}): Document.Parsed {
    const name = path.basename(file);
    let doc: Document.Parsed;
    try {
        doc = parseDocument(text, options);
    } catch (e) {
        if (e instanceof RangeError) {
            throw new UsageError(`${name}: nested too deeply to read (more than ${MAX_YAML_DEPTH} levels of mappings and lists)`);
        }
        throw e;
    }
    if (doc.errors.length > 0) {
        const e = doc.errors[0];
        const where = e.linePos ? `${e.linePos[0].line}:${e.linePos[0].col}` : "?";
        throw new UsageError(`${name}:${where}: YAML syntax error: ${e.message.split("\n")[0]}`);
    }
    if (depthOf(doc, MAX_YAML_DEPTH) > MAX_YAML_DEPTH) {
        throw new UsageError(`${name}: nested too deeply to read (more than ${MAX_YAML_DEPTH} levels of mappings and lists)`);
    }
    return doc;
}

/** A parsed document's plain value; too many alias expansions (an alias bomb) is one line naming the file. */
export function yamlValue(file: string, doc: Document.Parsed): unknown {
    try {
        return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    } catch (e) {
        if (e instanceof ReferenceError || (e instanceof Error && /alias/i.test(e.message))) {
            throw new UsageError(
                `${path.basename(file)}: its YAML aliases expand to more than ${MAX_YAML_ALIASES} copies (an alias bomb?); write the values out instead`,
            );
        }
        if (e instanceof RangeError) {
            throw new UsageError(`${path.basename(file)}: nested too deeply to read (more than ${MAX_YAML_DEPTH} levels of mappings and lists)`);
        }
        throw e;
    }
}

/** Parses YAML text to a plain value; a syntax error names the file, line and column. */
export function readYaml(file: string, text: string = readStackText(file)): unknown {
    return yamlValue(file, parseYamlDocument(file, text));
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

/** The path of the first number in a value that JSON cannot carry (`.inf`, `.nan`, `1e999`), if any. */
function nonFinitePath(value: unknown, at: string): { path: string; value: number } | undefined {
    if (typeof value === "number") {
        return Number.isFinite(value) ? undefined : { path: at, value };
    }
    if (value !== null && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) {
            const found = nonFinitePath(v, Array.isArray(value) ? `${at}[${k}]` : `${at}.${k}`);
            if (found !== undefined) {
                return found;
            }
        }
    }
    return undefined;
}

/**
 * Encodes a config value the way Pulumi passes it to a program: JSON, which has no Infinity or NaN
 * (JSON.stringify would turn them into null, and the refusal would then say null).
 */
function encode(value: unknown, key: string, file: string): string {
    if (typeof value === "string") {
        return value;
    }
    const bad = nonFinitePath(value, key);
    if (bad !== undefined) {
        throw new UsageError(`${path.basename(file)}: ${bad.path} is ${String(bad.value)}, not a finite number; allowed: a number a config value can hold (YAML .inf and .nan cannot be passed to a program)`);
    }
    return JSON.stringify(value);
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
    return stackConfigFromText(root, stack, readStackText(file), secrets);
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
            config[qualify(key)] = encode(value, qualify(key), projectFile);
        }
    }
    for (const [key, value] of Object.entries(stackConfig as Record<string, unknown>)) {
        const full = qualify(key);
        const r = revealSecrets(value, secrets[full] ?? OFFLINE_SECRET);
        config[full] = encode(r.value, full, file);
        if (r.secret) {
            secretKeys.push(full);
        }
    }
    return { stack, project: project.name, file, config, secretKeys };
}
