/**
 * Edits of a stack file that touch only the keys they change: every other
 * byte (comments, order, quoting, blank lines, flow or block style) stays as
 * the person who wrote it left it. Each edit is spliced into the text at the
 * position the YAML parser reports; the result is parsed again and checked to
 * differ from the original in exactly the edited keys, or nothing is written.
 */
import * as fs from "fs";
import * as path from "path";
import { Document, isMap, isPair, isScalar, parse, parseDocument, Scalar, YAMLMap } from "yaml";
import { UsageError } from "./stackFile";

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
    const doc = parseDocument(text, { keepSourceTokens: true });
    if (doc.errors.length > 0) {
        const e = doc.errors[0];
        const where = e.linePos ? `${e.linePos[0].line}:${e.linePos[0].col}` : "?";
        throw new UsageError(`${path.basename(file)}:${where}: YAML syntax error: ${e.message.split("\n")[0]}`);
    }
    return doc;
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
    const before = parseChecked(text, file).toJS() as unknown;
    let out = text;
    let expected = before;
    for (const edit of edits) {
        out = applyOne(out, edit, file);
        expected = applyToValue(expected, edit);
    }
    const after = parseChecked(out, file).toJS() as unknown;
    if (!sameValue(after, expected)) {
        throw new Error(`slotshift: editing ${path.basename(file)} would change more than the keys asked for; nothing was written (please report this)`);
    }
    return out;
}

/** How a file is written; replaceable in tests to simulate a crash mid-write. */
export interface FileWriter {
    writeFileSync(file: string, data: string): void;
    renameSync(from: string, to: string): void;
    rmSync(file: string, options: { force: boolean }): void;
}

/**
 * Writes a file atomically: the new content goes to a temporary file beside it,
 * flushed, then renamed over the original. An interruption at any point leaves
 * either the old file or the new one, never a mix.
 */
export function writeAtomically(file: string, text: string, io: FileWriter = fsWriter): void {
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.slotshift-${process.pid}.tmp`);
    try {
        io.writeFileSync(temp, text);
        io.renameSync(temp, file);
    } catch (e) {
        io.rmSync(temp, { force: true });
        throw e;
    }
}

const fsWriter: FileWriter = {
    writeFileSync(file, data) {
        const fd = fs.openSync(file, "w", 0o644);
        try {
            fs.writeSync(fd, data);
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
    },
    renameSync: fs.renameSync,
    rmSync: fs.rmSync,
};
