/**
 * Edits of a stack file that touch only the keys they change: every other
 * byte (comments, order, quoting, blank lines, flow or block style) stays as
 * the person who wrote it left it. Each edit is spliced into the text at the
 * position the YAML parser reports; the result is parsed again and checked to
 * differ from the original in exactly the edited keys, or nothing is written.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { Document, isAlias, isCollection, isMap, isPair, isScalar, parse, Scalar, YAMLMap } from "yaml";
import { ConflictError, LockOptions, lockStackFileSync, onInterrupt, resolveTarget, writeRefusal } from "./lock";
import { MAX_STACK_FILE_BYTES, UsageError, decodeUtf8, parseYamlDocument, yamlValue } from "./stackFile";

/** A scalar a stack file holds. */
export type ScalarValue = string | number | boolean;

/** One edit: set a key (creating the maps on its path) or delete it. */
export interface StackEdit {
    /** The path under the document root, e.g. `["config", "slotshift:rollout", "weight"]`. */
    readonly path: readonly string[];
    /** The new value; undefined deletes the key. */
    readonly value: ScalarValue | undefined;
}

/** The edit of `slotshift:<top>.<rest...>`. */
export function configEdit(key: string, value: ScalarValue | undefined): StackEdit {
    const [top, ...rest] = key.split(".");
    return { path: ["config", top, ...rest], value };
}

/** A scalar as YAML text: plain when it reads back as the same value, else double-quoted. */
export function yamlScalar(value: ScalarValue): string {
    if (typeof value !== "string") {
        return String(value);
    }
    const plain = /^[A-Za-z0-9._\/@+-][A-Za-z0-9._\/@+ -]*$/.test(value) && !value.endsWith(" ");
    if (plain) {
        try {
            if (parse(`k: ${value}`)?.k === value) {
                return value;
            }
        } catch {
            // not plain-safe: quote it
        }
    }
    return JSON.stringify(value);
}

function parseChecked(text: string, file: string): Document.Parsed {
    return parseYamlDocument(file, text, { keepSourceTokens: true });
}

/** How an edit's path is shown: `slotshift:rollout.weight` for `config.slotshift:rollout.weight`. */
function keyName(p: readonly string[]): string {
    return (p[0] === "config" && p.length > 1 ? p.slice(1) : p).join(".");
}

/** The anchors some alias of the document refers to. */
function anchorsInUse(doc: Document): Set<string> {
    const used = new Set<string>();
    const stack: unknown[] = [doc.contents];
    for (let guard = 0; stack.length > 0 && guard < 10_000_000; guard++) {
        const node = stack.pop();
        if (isAlias(node)) {
            used.add(node.source);
        } else if (isCollection(node)) {
            for (const item of node.items) {
                stack.push(...(isPair(item) ? [item.key, item.value] : [item]));
            }
        }
    }
    return used;
}

/**
 * Refuses an edit whose key, or a mapping on its path, is an alias (`*name`)
 * or carries an anchor (`&name`) an alias refers to: edited in place, the value
 * would change for every other user of the anchor, or the edit would not land.
 */
function checkNotShared(doc: Document, edit: StackEdit, file: string): void {
    const used = anchorsInUse(doc);
    let node: unknown = doc.contents;
    for (let i = 0; i <= edit.path.length; i++) {
        const at = keyName(edit.path.slice(0, i));
        const refuse = (why: string): never => {
            throw new UsageError(
                `cannot edit ${keyName(edit.path)} in ${path.basename(file)}: ${why}; nothing written: write the value out in full in place of the alias`,
            );
        };
        if (isAlias(node)) {
            refuse(`${at} is a YAML alias (*${node.source}) of a value elsewhere in the file, and editing it would change every use of &${node.source}`);
        }
        const anchor = (node as { anchor?: string } | null)?.anchor;
        if (i > 0 && anchor !== undefined && used.has(anchor)) {
            refuse(`${at} carries the YAML anchor &${anchor} that an alias (*${anchor}) elsewhere uses, and editing it would change that use too`);
        }
        if (i === edit.path.length || !isMap(node)) {
            return;
        }
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === edit.path[i]);
        if (node.items.some((p) => isPair(p) && isScalar(p.key) && p.key.value === "<<")) {
            refuse(`${at || "the document"} merges another mapping (<<: *...)`);
        }
        if (pair === undefined) {
            return;
        }
        node = pair.value;
    }
}

/** The column (0-based) of an offset. */
function columnOf(text: string, offset: number): number {
    return offset - (text.lastIndexOf("\n", offset - 1) + 1);
}

/** The offset of the end of the line holding `offset` (before its newline). */
function lineEnd(text: string, offset: number): number {
    const nl = text.indexOf("\n", offset);
    return nl === -1 ? text.length : nl;
}

/** YAML text for `keys: value` nested in flow style: `a: { b: v }`. */
function flowPair(keys: readonly string[], value: ScalarValue): string {
    const [first, ...rest] = keys;
    return rest.length === 0 ? `${first}: ${yamlScalar(value)}` : `${first}: { ${flowPair(rest, value)} }`;
}

/** YAML lines for `keys: value` nested in block style at an indent, ended by `eol` between them. */
function blockPair(keys: readonly string[], value: ScalarValue, indent: number, eol: string): string {
    const [first, ...rest] = keys;
    const pad = " ".repeat(indent);
    return rest.length === 0 ? `${pad}${first}: ${yamlScalar(value)}` : `${pad}${first}:${eol}${blockPair(rest, value, indent + 2, eol)}`;
}

/** Applies one edit to the text; returns the new text. */
function applyOne(text: string, edit: StackEdit, file: string): string {
    const doc = parseChecked(text, file);
    checkNotShared(doc, edit, file);
    const node = doc.getIn(edit.path, true);

    if (edit.value === undefined) {
        if (node === undefined) {
            return text;
        }
        const parent = doc.getIn(edit.path.slice(0, -1), true);
        if (!isMap(parent)) {
            throw new Error(`cannot delete ${edit.path.join(".")}: its parent is not a mapping`);
        }
        const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === edit.path[edit.path.length - 1]);
        if (!pair || !isScalar(pair.key) || !pair.key.range) {
            return text;
        }
        const valueNode = pair.value as { range?: [number, number, number] } | null;
        const start = pair.key.range[0];
        const end = valueNode?.range ? valueNode.range[1] : pair.key.range[1];
        if (parent.flow) {
            // `{ a: 1, b: 2 }`: drop the pair and one adjacent comma.
            const after = text.slice(end).match(/^\s*,\s*/);
            if (after) {
                return text.slice(0, start) + text.slice(end + after[0].length);
            }
            const before = text.slice(0, start).match(/,\s*$/);
            return before ? text.slice(0, start - before[0].length) + text.slice(end) : text.slice(0, start) + text.slice(end);
        }
        // A block pair: drop its whole lines.
        const lineStart = text.lastIndexOf("\n", start - 1) + 1;
        const stop = lineEnd(text, Math.max(end - 1, start));
        return text.slice(0, lineStart) + text.slice(Math.min(stop + 1, text.length));
    }

    if (isScalar(node) && node.range) {
        if (node.value === null && node.range[0] === node.range[1]) {
            // `key:` with nothing after it: the value goes after the colon.
            return `${text.slice(0, node.range[0])} ${yamlScalar(edit.value)}${text.slice(node.range[1])}`;
        }
        return text.slice(0, node.range[0]) + yamlScalar(edit.value) + text.slice(node.range[1]);
    }
    if (node !== undefined) {
        throw new Error(`cannot set ${edit.path.join(".")}: it holds a mapping or a list, not a value`);
    }

    // The key is missing: find the deepest mapping that exists on its path.
    let depth = edit.path.length - 1;
    let parent: unknown = doc.getIn(edit.path.slice(0, depth), true);
    while (parent === undefined && depth > 0) {
        depth--;
        parent = doc.getIn(edit.path.slice(0, depth), true);
    }
    if (depth === 0) {
        parent = doc.contents;
    }
    const keys = edit.path.slice(depth);
    if (isScalar(parent) && parent.value === null && parent.range) {
        // `green:` with no value yet: give it a flow mapping.
        const r = parent.range;
        const lead = r[0] === r[1] ? " " : "";
        return `${text.slice(0, r[0])}${lead}{ ${flowPair(keys, edit.value)} }${text.slice(r[1])}`;
    }
    if (!isMap(parent)) {
        throw new Error(`cannot set ${edit.path.join(".")}: ${edit.path.slice(0, depth).join(".") || "the document"} is not a mapping`);
    }
    const map = parent as YAMLMap;
    const last = map.items[map.items.length - 1];
    if (map.flow) {
        if (!last) {
            // `{}` → `{ key: value }`
            const r = map.range!;
            const close = text.lastIndexOf("}", r[1]);
            return `${text.slice(0, close).replace(/\{\s*$/, "{ ")}${flowPair(keys, edit.value)} }${text.slice(close + 1)}`;
        }
        const lastValue = last.value as { range?: [number, number, number] } | null;
        const at = lastValue?.range ? lastValue.range[1] : (last.key as Scalar).range![1];
        return `${text.slice(0, at)}, ${flowPair(keys, edit.value)}${text.slice(at)}`;
    }
    if (!last || !isScalar(last.key) || !last.key.range) {
        throw new Error(`cannot set ${edit.path.join(".")}: an empty block mapping has nowhere to put it`);
    }
    const indent = columnOf(text, last.key.range[0]);
    const lastValue = last.value as { range?: [number, number, number] } | null;
    const end = lastValue?.range ? lastValue.range[1] : last.key.range[1];
    // New lines end as the file's lines do: a file written on Windows keeps its CRLF.
    const eol = text.includes("\r\n") ? "\r\n" : "\n";
    let at = lineEnd(text, Math.max(end - 1, last.key.range[0]));
    if (text[at - 1] === "\r") {
        at -= 1;
    }
    return `${text.slice(0, at)}${eol}${blockPair(keys, edit.value, indent, eol)}${text.slice(at)}`;
}

/** Sets or deletes a key in a plain object tree (the expected result of the edits). */
function applyToValue(root: unknown, edit: StackEdit): unknown {
    const copy = structuredClone(root) as Record<string, unknown>;
    let cur: Record<string, unknown> = copy;
    for (const k of edit.path.slice(0, -1)) {
        if (cur[k] === null || typeof cur[k] !== "object") {
            if (edit.value === undefined) {
                return copy;
            }
            cur[k] = {};
        }
        cur = cur[k] as Record<string, unknown>;
    }
    const last = edit.path[edit.path.length - 1];
    if (edit.value === undefined) {
        delete cur[last];
    } else {
        cur[last] = edit.value;
    }
    return copy;
}

function sameValue(a: unknown, b: unknown): boolean {
    return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(sortKeys);
    }
    if (v !== null && typeof v === "object") {
        return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
    }
    return v;
}

/**
 * Applies edits to a stack file's text. The result is checked: it parses, and
 * its content is the original's with exactly these edits; otherwise it throws
 * and the caller writes nothing.
 */
export function editText(text: string, edits: readonly StackEdit[], file = "stack file"): string {
    const before = yamlValue(file, parseChecked(text, file));
    let out = text;
    let expected = before;
    for (const edit of edits) {
        out = applyOne(out, edit, file);
        expected = applyToValue(expected, edit);
    }
    const after = yamlValue(file, parseChecked(out, file));
    if (!sameValue(after, expected)) {
        throw new Error(`slotshift: editing ${path.basename(file)} would change more than the keys asked for; nothing was written (please report this)`);
    }
    return out;
}

/** How a file is written; replaceable in tests to simulate a crash mid-write. */
export interface FileWriter {
    /** Creates `file` (a new temporary file) holding `data`; `options` are the mode and owner to give it. */
    writeFileSync(file: string, data: string, options?: TempFileOptions): void;
    renameSync(from: string, to: string): void;
    rmSync(file: string, options: { force: boolean }): void;
}

/** The mode and owner a temporary file takes from the file it replaces. */
export interface TempFileOptions {
    /** The mode of the file replaced; undefined for a new file (0o644 less the umask). */
    readonly mode?: number;
    readonly uid?: number;
    readonly gid?: number;
}

/** How writeAtomically writes. */
export interface WriteOptions {
    /**
     * The text the edit read. The file is read again just before the rename,
     * holding the stack file's lock, and nothing is written (a ConflictError)
     * when its bytes differ: another edit or an editor changed it meanwhile.
     */
    readonly expected?: string;
    /** How to wait for the lock the compare-and-swap takes (default: at most 2 s). */
    readonly lock?: LockOptions;
    /** The file operations (tests). */
    readonly io?: FileWriter;
}

/** How long a compare-and-swap waits for another edit's lock: blocking, so short. */
const CAS_LOCK_WAIT_MS = 2_000;

function isFileWriter(o: FileWriter | WriteOptions): o is FileWriter {
    return typeof (o as Partial<FileWriter>).renameSync === "function";
}

function escapeRegExp(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Removes temporary files of this target that processes no longer running left behind (killed with SIGKILL, power loss). */
function sweepTemps(dir: string, base: string): void {
    const own = new RegExp(`^\\.${escapeRegExp(base)}\\.slotshift-(\\d+)(?:-[0-9a-f]+)?\\.tmp$`);
    let names: string[];
    try {
        names = fs.readdirSync(dir);
    } catch {
        return;
    }
    for (const name of names) {
        const m = own.exec(name);
        if (!m || Number(m[1]) === process.pid) {
            continue;
        }
        try {
            process.kill(Number(m[1]), 0);
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code === "ESRCH") {
                fs.rmSync(path.join(dir, name), { force: true });
            }
        }
    }
}

/** The current bytes of the target, or undefined when there is none. */
function currentBytes(target: string, file: string): Buffer | undefined {
    try {
        const st = fs.statSync(target);
        if (st.size > MAX_STACK_FILE_BYTES) {
            return undefined;
        }
        return fs.readFileSync(target);
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT") {
            return undefined;
        }
        throw code === undefined ? e : new UsageError(`cannot read ${path.basename(file)} before writing it: ${(e as Error).message.split("\n")[0]}; nothing written`);
    }
}

/**
 * Writes a file atomically: the new content goes to a temporary file beside
 * the real file (symlinks are followed: the link stays a link and its target
 * changes), with the file's mode (and owner, where allowed), flushed, then
 * renamed over it. An interruption at any point leaves either the old file or
 * the new one, never a mix, and no temporary file (one a SIGKILL leaves is
 * removed by the next write).
 *
 * Refused in one line (a UsageError), nothing written: the directory is not
 * writable, the file is read-only or a directory, the current file is not
 * UTF-8. With `expected`: a ConflictError when the file changed since it was
 * read, or another slotshift edit holds its lock.
 *
 * The third argument may be a FileWriter (as before) or WriteOptions.
 */
export function writeAtomically(file: string, text: string, options: FileWriter | WriteOptions = {}): void {
    const opts: WriteOptions = isFileWriter(options) ? { io: options } : options;
    const io = opts.io ?? fsWriter;
    const target = resolveTarget(file);
    const dir = path.dirname(target);
    const name = path.basename(file);

    try {
        // A rename needs the directory writable; say so before anything is created there.
        fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    } catch (e) {
        throw writeRefusal(file, dir, e as NodeJS.ErrnoException);
    }
    let mode: number | undefined;
    let uid: number | undefined;
    let gid: number | undefined;
    try {
        const st = fs.statSync(target);
        if (st.isDirectory()) {
            throw new UsageError(`cannot write ${name}: ${target} is a directory, not a file (EISDIR); nothing written`);
        }
        if (!st.isFile()) {
            throw new UsageError(`cannot write ${name}: ${target} is not a regular file; nothing written`);
        }
        mode = st.mode & 0o7777;
        uid = st.uid;
        gid = st.gid;
        try {
            fs.accessSync(target, fs.constants.W_OK);
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code ?? "EACCES";
            throw new UsageError(`cannot write ${name}: ${target} is read-only (${code}); nothing written: make it writable (chmod u+w) if it should change`);
        }
    } catch (e) {
        if (e instanceof UsageError) {
            throw e;
        }
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
            throw writeRefusal(file, dir, e as NodeJS.ErrnoException);
        }
    }

    const release = opts.expected === undefined ? () => undefined : lockStackFileSync(file, { waitMs: CAS_LOCK_WAIT_MS, ...opts.lock });
    const temp = path.join(dir, `.${path.basename(target)}.slotshift-${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
    const unregister = onInterrupt(() => fs.rmSync(temp, { force: true }));
    try {
        sweepTemps(dir, path.basename(target));
        try {
            io.writeFileSync(temp, text, { mode, uid, gid });
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            throw typeof code === "string" ? writeRefusal(file, dir, e as NodeJS.ErrnoException) : e;
        }
        const now = currentBytes(target, file);
        if (now !== undefined) {
            // Never replace what could not be read back exactly (it was read with U+FFFD in place of bytes).
            decodeUtf8(file, now);
        }
        if (opts.expected !== undefined && (now === undefined || !now.equals(Buffer.from(opts.expected, "utf8")))) {
            throw new ConflictError(
                `${name} changed since it was read (by another edit or an editor)${now === undefined ? ": it is gone" : ""}; nothing written: run the command again`,
                "changed",
                file,
            );
        }
        try {
            io.renameSync(temp, target);
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            throw typeof code === "string" ? writeRefusal(file, dir, e as NodeJS.ErrnoException) : e;
        }
        syncDirectory(dir);
    } catch (e) {
        io.rmSync(temp, { force: true });
        throw e;
    } finally {
        unregister();
        release();
    }
}

/** Flushes a directory's entries (the rename) to disk, where the platform allows it. */
function syncDirectory(dir: string): void {
    let fd: number | undefined;
    try {
        fd = fs.openSync(dir, "r");
        fs.fsyncSync(fd);
    } catch {
        // not supported here (Windows, some file systems): the rename is still atomic
    } finally {
        if (fd !== undefined) {
            fs.closeSync(fd);
        }
    }
}

const fsWriter: FileWriter = {
    writeFileSync(file, data, options) {
        const fd = fs.openSync(file, "wx", options?.mode ?? 0o644);
        try {
            if (options?.mode !== undefined) {
                // The mode of the file it replaces, whatever the umask.
                fs.fchmodSync(fd, options.mode);
            }
            if (options?.uid !== undefined && options.gid !== undefined) {
                const st = fs.fstatSync(fd);
                if (st.uid !== options.uid || st.gid !== options.gid) {
                    try {
                        fs.fchownSync(fd, options.uid, options.gid);
                    } catch (e) {
                        // Only root (or a member of the group) may: others keep their own ownership.
                        const code = (e as NodeJS.ErrnoException).code;
                        if (code !== "EPERM" && code !== "EINVAL") {
                            throw e;
                        }
                    }
                }
            }
            fs.writeFileSync(fd, data);
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
    },
    renameSync: fs.renameSync,
    rmSync: fs.rmSync,
};
