/**
 * The CLI's untrusted inputs, checked before anything reads them: the JSON
 * files given to `--previous FILE` and `--reference STACK=FILE`, the stacks
 * `--reference` names, and `--now`.
 *
 * Every refusal is a UsageError of one line that names the option, what is
 * wrong and what is allowed. A file's contents are never echoed (a wrong file
 * may be anything: a key, a token): a refusal gives a position at most, or a
 * short value of a field of the `rollout` output once the file is known to be
 * JSON. Reads are bounded: a file larger than MAX_JSON_BYTES is refused, and
 * so is anything that is not a regular file (a FIFO, a device, a directory)
 * before a byte of it is read, so `/dev/zero` or a pipe with no writer never
 * hangs the CLI.
 */
import * as fs from "fs";
import type { StackOutputs } from "./engine";
import { UsageError } from "./stackFile";
import { SlotColour, otherSlot } from "../rollout/config";
import { RolloutState, readRolloutState } from "../rollout/state";

/** The largest JSON document `--previous` and `--reference` read: 4 MiB (a stack's outputs are a few KiB). */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;

/** The deepest nesting of arrays and objects such a document may have. */
export const MAX_JSON_DEPTH = 64;

/** How far after now a `rollout.stepTakenAt` may be before the file is refused: the skew of two clocks. */
export const STEP_TAKEN_SKEW_MINUTES = 5;

/** The example a `--now` refusal gives. */
export const NOW_EXAMPLE = "2026-11-26T14:00:00Z";

/** The example a refusal of a time in a `rollout` output gives (what slotshift writes). */
const OUTPUT_TIME_EXAMPLE = "2026-11-26T14:00:00.000Z";

/** The longest file name a refusal shows as given; longer ones are cut. */
const SHOWN_NAME = 120;

/** The longest value of a field a refusal shows; longer ones are cut. */
const SHOWN_VALUE = 40;

/**
 * A name the user typed (a file, a stack) for a message: as it is when it is
 * printable ASCII without spaces and short; else double-quoted with anything
 * unprintable escaped and cut to SHOWN_NAME characters. Always one line.
 */
export function showName(text: string): string {
    if (text.length > 0 && text.length <= SHOWN_NAME && /^[\x21-\x7e]+$/.test(text) && !/["'`\\]/.test(text)) {
        return text;
    }
    return quoted(text, SHOWN_NAME);
}

/** A string for a message: double-quoted, unprintables escaped, at most `max` characters (then `...`). */
function quoted(text: string, max: number): string {
    return `"${cut(text, max, true)}"`;
}

/** Text for a message: unprintables (and, when `quoting`, `"` and `\\`) escaped, at most `max` characters (then `...`). */
function cut(text: string, max: number, quoting = false): string {
    let body = "";
    for (const ch of text) {
        const e = /^[\x20-\x7e]$/.test(ch) && !(quoting && (ch === '"' || ch === "\\")) ? ch : escapeChar(ch);
        if (body.length + e.length > max) {
            return `${body}...`;
        }
        body += e;
    }
    return body;
}

function escapeChar(ch: string): string {
    let out = "";
    for (let i = 0; i < ch.length; i++) {
        out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, "0")}`;
    }
    return out;
}

/** A value read from a file, for a message: short, one line. */
function showField(value: unknown): string {
    if (typeof value === "string") {
        return quoted(value, SHOWN_VALUE);
    }
    if (value === null || typeof value === "number" || typeof value === "boolean") {
        return String(value);
    }
    let text: string;
    try {
        text = JSON.stringify(value) ?? String(value);
    } catch {
        text = String(value);
    }
    return cut(text, SHOWN_VALUE);
}

// ---------------------------------------------------------------------------------------------
// Times

const ISO_UTC_NOW = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?Z$/;
const ISO_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * A strict ISO 8601 time with a date and a time of day: `YYYY-MM-DDTHH:MM[:SS[.fraction]]`
 * then `Z` (or, with `offsets`, `+HH:MM` / `-HH:MM`), naming a real instant: no February 30th,
 * no 24:00, no second 60, a year from 1970 on. Undefined for anything else.
 */
export function parseIsoTime(text: string, offsets = false): Date | undefined {
    const m = (offsets ? ISO_OFFSET : ISO_UTC_NOW).exec(text);
    if (!m) {
        return undefined;
    }
    const [year, month, day, hour, minute] = m.slice(1, 6).map(Number);
    const second = m[6] === undefined ? 0 : Number(m[6]);
    const ms = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
    const d = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms));
    const same =
        d.getUTCFullYear() === year &&
        d.getUTCMonth() === month - 1 &&
        d.getUTCDate() === day &&
        d.getUTCHours() === hour &&
        d.getUTCMinutes() === minute &&
        d.getUTCSeconds() === second;
    if (!same || year < 1970) {
        return undefined;
    }
    if (offsets && m[8] !== "Z") {
        const oh = Number(m[9]);
        const om = Number(m[10]);
        if (oh > 23 || om > 59) {
            return undefined;
        }
        const sign = m[8].startsWith("-") ? -1 : 1;
        return new Date(d.getTime() - sign * (oh * 60 + om) * 60000);
    }
    return d;
}

/** Why the fields of a time that matches the form name no instant. */
function unreal(m: RegExpExecArray): string {
    const [year, month, day, hour, minute] = m.slice(1, 6).map(Number);
    const second = m[6] === undefined ? 0 : Number(m[6]);
    if (year < 1970) {
        return `${year} is before 1970`;
    }
    if (month < 1 || month > 12) {
        return `there is no month ${m[2]}`;
    }
    const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (day < 1 || day > days) {
        return `${m[1]}-${m[2]} has ${days} days`;
    }
    if (hour > 23) {
        return "hours run from 00 to 23";
    }
    if (minute > 59) {
        return "minutes run from 00 to 59";
    }
    return second > 59 ? "seconds run from 00 to 59" : "no such time";
}

/**
 * Parses a `--now` value: a strict ISO 8601 UTC time, `YYYY-MM-DDTHH:MM[:SS[.fraction]]Z`,
 * that is a real date (`2026-02-30T10:00:00Z` is refused, not rolled over to March).
 *
 * @throws UsageError of one line: `--now "1" is not an ISO 8601 UTC time; allowed: YYYY-MM-DDTHH:MM[:SS[.fraction]]Z, e.g. 2026-11-26T14:00:00Z`
 */
export function parseNow(text: string, option = "--now"): Date {
    const at = parseIsoTime(text);
    if (at !== undefined) {
        return at;
    }
    const form = "YYYY-MM-DDTHH:MM[:SS[.fraction]]Z";
    const m = ISO_UTC_NOW.exec(text);
    if (m) {
        throw new UsageError(`${option} ${quoted(text, SHOWN_VALUE)} is not a real time (${unreal(m)}); allowed: ${form}, a real date and time from 1970 on, e.g. ${NOW_EXAMPLE}`);
    }
    throw new UsageError(`${option} ${quoted(text, SHOWN_VALUE)} is not an ISO 8601 UTC time; allowed: ${form}, e.g. ${NOW_EXAMPLE}`);
}

// ---------------------------------------------------------------------------------------------
// Bounded JSON files

/** Where a file came from, for messages. */
export interface JsonFileSource {
    /** How the file is named in messages, e.g. `--previous prev.json` or `--reference staging=s.json`. */
    readonly label: string;
    /** What the file should be, e.g. `what 'pulumi stack output --json --stack prod' writes`. */
    readonly expected: string;
}

const ERRNO_WORDS: Readonly<Record<string, string>> = {
    ENOENT: "there is no such file",
    EACCES: "permission denied",
    EPERM: "permission denied",
    ENOTDIR: "a part of the path is not a directory",
    ELOOP: "too many symbolic links",
    ENAMETOOLONG: "the file name is too long",
    EISDIR: "it is a directory",
    EMFILE: "too many open files",
    EIO: "an I/O error",
};

function cannotRead(src: JsonFileSource, e: unknown): UsageError {
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    const why = (code !== undefined && ERRNO_WORDS[code]) || (code !== undefined && /^[A-Z0-9_]{1,20}$/.test(code) ? code : "an unknown error");
    return new UsageError(`${src.label}: cannot read it (${why}); allowed: a readable file holding ${src.expected}; nothing written`);
}

/** What kind of thing a stat names, when it is not a regular file. */
function notRegular(st: fs.Stats): string | undefined {
    if (st.isFile()) {
        return undefined;
    }
    if (st.isDirectory()) {
        return "a directory";
    }
    if (st.isFIFO()) {
        return "a pipe (FIFO)";
    }
    if (st.isCharacterDevice() || st.isBlockDevice()) {
        return "a device";
    }
    if (st.isSocket()) {
        return "a socket";
    }
    return "not a regular file";
}

function refuseKind(src: JsonFileSource, kind: string): UsageError {
    return new UsageError(`${src.label} is ${kind}; allowed: a regular file of at most ${MAX_JSON_BYTES / 1048576} MiB holding ${src.expected} (save it to a file first); nothing written`);
}

function tooLarge(src: JsonFileSource): UsageError {
    return new UsageError(`${src.label} is larger than ${MAX_JSON_BYTES / 1048576} MiB; allowed: a file of at most ${MAX_JSON_BYTES / 1048576} MiB holding ${src.expected}; nothing written`);
}

/**
 * Reads at most MAX_JSON_BYTES of a regular file. A FIFO, a device, a socket or a directory is
 * refused before it is opened for reading (opening a FIFO with no writer would block), and the
 * opened file is checked again; a file that grows past the bound while being read is refused.
 */
function readBounded(file: string, src: JsonFileSource): Buffer {
    let st: fs.Stats;
    try {
        st = fs.statSync(file);
    } catch (e) {
        throw cannotRead(src, e);
    }
    const kind = notRegular(st);
    if (kind !== undefined) {
        throw refuseKind(src, kind);
    }
    if (st.size > MAX_JSON_BYTES) {
        throw tooLarge(src);
    }
    let fd: number;
    try {
        // Non-blocking: should the path have become a FIFO since the stat, opening it does not wait for a writer.
        fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    } catch (e) {
        throw cannotRead(src, e);
    }
    try {
        const kindNow = notRegular(fs.fstatSync(fd));
        if (kindNow !== undefined) {
            throw refuseKind(src, kindNow);
        }
        const chunks: Buffer[] = [];
        let total = 0;
        // Each pass reads at least one byte or ends the loop, and the loop ends past the bound:
        // at most MAX_JSON_BYTES / CHUNK + 2 passes for a file that hands out whole chunks.
        const CHUNK = 64 * 1024;
        for (;;) {
            const buf = Buffer.alloc(CHUNK);
            let n: number;
            try {
                n = fs.readSync(fd, buf, 0, CHUNK, null);
            } catch (e) {
                throw cannotRead(src, e);
            }
            if (n === 0) {
                break;
            }
            total += n;
            if (total > MAX_JSON_BYTES) {
                throw tooLarge(src);
            }
            chunks.push(n === CHUNK ? buf : buf.subarray(0, n));
        }
        return Buffer.concat(chunks, total);
    } finally {
        fs.closeSync(fd);
    }
}

/** The line and column (1-based) of a character offset in a text. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
    let line = 1;
    let start = 0;
    const end = Math.min(offset, text.length);
    for (let i = 0; i < end; i++) {
        if (text.charCodeAt(i) === 10) {
            line++;
            start = i + 1;
        }
    }
    return { line, column: end - start + 1 };
}

/** Whether JSON.parse of a text fails only for want of more text (or does not fail). */
function endsEarly(text: string): boolean {
    try {
        JSON.parse(text);
        return true;
    } catch (e) {
        const message = e instanceof Error ? e.message : "";
        const pos = /at position (\d+)/.exec(message);
        return /Unexpected end of JSON input/.test(message) || (pos !== null && Number(pos[1]) >= text.length);
    }
}

/**
 * Where JSON.parse stopped in a text it refused: the position its message gives, else (its
 * message quotes the text instead) the end of the shortest prefix it refuses for more than want
 * of text, found by bisection (about 22 parses for 4 MiB). Undefined when it only ends early.
 */
function errorOffset(text: string, message: string): number | undefined {
    const pos = /at position (\d+)/.exec(message);
    if (pos !== null && Number(pos[1]) < text.length) {
        return Number(pos[1]);
    }
    if (endsEarly(text)) {
        return undefined;
    }
    let lo = 0;
    let hi = text.length;
    // Invariant: the prefix of length lo ends early; the one of length hi is refused.
    while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (endsEarly(text.slice(0, mid))) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return hi - 1;
}

/** The deepest nesting of arrays and objects in a JSON text (strings skipped). */
function nestingDepth(text: string): number {
    let depth = 0;
    let max = 0;
    let inString = false;
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (inString) {
            if (c === 92) {
                i++;
            } else if (c === 34) {
                inString = false;
            }
        } else if (c === 34) {
            inString = true;
        } else if (c === 91 || c === 123) {
            depth++;
            max = Math.max(max, depth);
        } else if (c === 93 || c === 125) {
            depth--;
        }
    }
    return max;
}

/**
 * Reads a JSON document of at most MAX_JSON_BYTES from a regular file. Never echoes a byte of
 * it: a refusal names the file, says what is wrong (with the line and column where JSON.parse
 * stopped, when it says) and what is allowed.
 *
 * @throws UsageError of one line, e.g. `--previous prev.json is not JSON (expected what 'pulumi stack output --json --stack prod' writes); nothing written`
 */
export function readJsonFile(file: string, src: JsonFileSource): unknown {
    const bytes = readBounded(file, src);
    if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
        throw new UsageError(
            `${src.label} is UTF-16 text; allowed: UTF-8 JSON, ${src.expected} (in PowerShell: ... | Out-File -Encoding utf8 FILE); nothing written`,
        );
    }
    let text: string;
    try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
        throw new UsageError(`${src.label} is not UTF-8 text (expected ${src.expected}); nothing written`);
    }
    if (text.charCodeAt(0) === 0xfeff) {
        text = text.slice(1);
    }
    if (text.trim() === "") {
        throw new UsageError(`${src.label} is empty (expected ${src.expected}); nothing written`);
    }
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (e) {
        // JSON.parse quotes the text it stopped at: only its position is kept.
        const message = e instanceof Error ? e.message : "";
        const offset = /Unexpected end of JSON input/.test(message) ? undefined : errorOffset(text, message);
        let where = ": it ends early";
        if (offset !== undefined) {
            const { line, column } = lineAndColumn(text, offset);
            where = ` at line ${line}, column ${column}`;
        }
        throw new UsageError(`${src.label} is not JSON${where} (expected ${src.expected}); nothing written`);
    }
    if (nestingDepth(text) > MAX_JSON_DEPTH) {
        throw new UsageError(`${src.label} nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels (expected ${src.expected}); nothing written`);
    }
    return value;
}

// ---------------------------------------------------------------------------------------------
// Stack outputs and the rollout output

/** How a file of stack outputs is read. */
export interface ReadOutputsOptions {
    /** The option that named the file, for messages: `--previous` or `--reference`. @default "--previous" */
    readonly option?: string;
    /**
     * The stack whose outputs the file should hold: named in what is expected, and with
     * `--reference` in `STACK=FILE`.
     */
    readonly stack?: string;
    /** The time the `rollout` output's stepTakenAt may not be after (by more than 5 minutes). @default the current time */
    readonly now?: Date;
}

/** How a file is named in messages: `--previous FILE`, `--reference STACK=FILE`. */
export function optionLabel(file: string, options: ReadOutputsOptions = {}): string {
    const option = options.option ?? "--previous";
    return option === "--reference" && options.stack !== undefined ? `${option} ${showName(options.stack)}=${showName(file)}` : `${option} ${showName(file)}`;
}

/** What the file should hold, for messages. */
function expectedOf(options: ReadOutputsOptions): string {
    return `what 'pulumi stack output --json${options.stack === undefined ? "" : ` --stack ${showName(options.stack)}`}' writes`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Reads a file written by `pulumi stack output --json` (or a whole plan document, whose
 * `outputs` are taken), bounded and never echoed (readJsonFile), and checks the `rollout` output
 * it holds, if any (checkRolloutOutput). Returns the outputs as they are in the file.
 *
 * @throws UsageError of one line naming the option, the file, the field and what is allowed
 */
export function readStackOutputs(file: string, options: ReadOutputsOptions = {}): StackOutputs {
    const label = optionLabel(file, options);
    const expected = expectedOf(options);
    const value = readJsonFile(file, { label, expected });
    if (!isRecord(value)) {
        throw new UsageError(`${label} is JSON but ${kindOf(value)}, not an object of stack outputs (expected ${expected}); nothing written`);
    }
    let outputs: Record<string, unknown> = value;
    // A whole plan document is accepted too: its outputs are what the next update reads.
    if ("resources" in value && "outputs" in value) {
        if (!isRecord(value.outputs)) {
            throw new UsageError(`${label} is a plan document whose outputs are not an object (expected ${expected}, or what 'slotshift plan --json' writes); nothing written`);
        }
        outputs = value.outputs;
    }
    checkRolloutOutput(outputs.rollout, label, options.now ?? new Date());
    return outputs;
}

/** The fields of a `rollout` output that hold times. */
const TIME_FIELDS = ["stepTakenAt", "trafficSince", "finalizedAt", "nextMoveAt", "warmUntil"] as const;

/** What kind of JSON value a value is, for messages. */
function kindOf(value: unknown): string {
    return Array.isArray(value) ? "a list" : value === null ? "null" : typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** The value at a path of a raw value, for messages. */
function valueAt(root: unknown, path: readonly string[]): unknown {
    let cur: unknown = root;
    for (const p of path) {
        if (cur === null || typeof cur !== "object") {
            return undefined;
        }
        cur = (cur as Record<string, unknown>)[p];
    }
    return cur;
}

/**
 * Checks a `rollout` output read from a file: its shape (`readRolloutState`), then what every
 * output slotshift writes holds: the weights sum to 100; the candidate is the slot that is not
 * live (null only with strategy direct, and then live carries everything); the steps rise
 * strictly from 1 and end at 100; the candidate's weight is 0 or one of the steps, and `step` and
 * `phase` are the ones that weight makes; every time is an ISO 8601 time; `stepTakenAt` is no
 * later than `now` (give or take STEP_TAKEN_SKEW_MINUTES).
 *
 * @param value the `rollout` output; undefined or null (a stack never updated) passes
 * @param label how the file is named in messages, e.g. `--previous prev.json`
 * @returns the state read, or undefined for none
 * @throws UsageError of one line, e.g. `--previous prev.json: rollout.weights sum to 120 (blue 60, green 60); allowed: they sum to 100`
 */
export function checkRolloutOutput(value: unknown, label: string, now: Date): RolloutState | undefined {
    let s: RolloutState | undefined;
    try {
        s = readRolloutState(value);
    } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        const m = /^the rollout output is not one slotshift wrote: (.*?): (.*)$/.exec(message);
        if (!m) {
            throw new UsageError(`${label}: the rollout output is not one slotshift wrote (${cut(message.replace(/\s+/g, " "), 160)}); allowed: what slotshift writes`);
        }
        const path = m[1] === "(root)" ? [] : m[1].split(".");
        const field = ["rollout", ...path].join(".");
        const given = valueAt(value, path);
        // The whole output of the wrong kind is named by its kind: it may be anything.
        const is = given === undefined ? "is missing" : path.length === 0 ? `is ${kindOf(given)}` : `is ${showField(given)}`;
        throw new UsageError(`${label}: ${field} ${is}; allowed: what slotshift writes there (${m[2].replace(/\s+/g, " ").slice(0, 120)})`);
    }
    if (s === undefined) {
        return undefined;
    }
    const refuse = (text: string) => new UsageError(`${label}: ${text}`);
    const { blue, green } = s.weights;
    if (blue + green !== 100) {
        throw refuse(`rollout.weights sum to ${blue + green} (blue ${blue}, green ${green}); allowed: they sum to 100`);
    }
    const other: SlotColour = otherSlot(s.live);
    if (s.candidate === s.live) {
        throw refuse(`rollout.candidate is ${s.candidate}, the same slot as rollout.live; allowed: ${other} (the slot that is not live), or null with strategy direct`);
    }
    if (s.candidate === null && s.strategy !== "direct") {
        throw refuse(`rollout.candidate is null with strategy ${s.strategy}; allowed: ${other} (the slot that is not live); null only with strategy direct`);
    }
    if (s.candidate === null && s.weights[other] !== 0) {
        throw refuse(`rollout.weights.${other} is ${s.weights[other]} with no candidate; allowed: 0 (live ${s.live} carries all traffic)`);
    }
    const rising = s.steps.length > 0 && s.steps.every((w, i) => w >= 1 && w <= 100 && (i === 0 || w > s.steps[i - 1])) && s.steps[s.steps.length - 1] === 100;
    if (!rising) {
        throw refuse(`rollout.steps is ${showField([...s.steps])}; allowed: whole percentages from 1 to 100 that rise strictly and end at 100, e.g. [5,25,50,100]`);
    }
    const w = s.candidate === null ? 0 : s.weights[s.candidate];
    const wKey = s.candidate === null ? "the candidate's weight" : `rollout.weights.${s.candidate}`;
    if (w !== 0 && !s.steps.includes(w)) {
        throw refuse(`${wKey} is ${w}, not one of rollout.steps ${showField([...s.steps])}; allowed: 0 or one of the steps`);
    }
    const step = w === 0 ? 0 : s.steps.indexOf(w) + 1;
    if (s.step !== step) {
        throw refuse(`rollout.step is ${s.step} but ${wKey} is ${w}${w === 0 ? "" : ` (step ${step} of ${showField([...s.steps])})`}; allowed: ${step}`);
    }
    const phases: readonly string[] = s.strategy === "direct" ? ["stable"] : w === 0 ? ["staged", "stable"] : w === 100 ? ["shifted"] : ["shifting"];
    if (!phases.includes(s.phase)) {
        throw refuse(`rollout.phase is ${s.phase} but ${s.strategy === "direct" ? "the strategy is direct" : `${wKey} is ${w}`}; allowed: ${phases.join(" or ")}`);
    }
    for (const field of TIME_FIELDS) {
        const t = s[field];
        if (t !== null && parseIsoTime(t, true) === undefined) {
            throw refuse(`rollout.${field} is ${showField(t)}; allowed: an ISO 8601 time${field === "stepTakenAt" ? "" : " or null"}, e.g. ${OUTPUT_TIME_EXAMPLE}`);
        }
    }
    // Times of fields newer outputs hold (`aborted.at`, `history[].at`), where present.
    const aborted = valueAt(value, ["aborted", "at"]);
    if (typeof aborted === "string" && parseIsoTime(aborted, true) === undefined) {
        throw refuse(`rollout.aborted.at is ${showField(aborted)}; allowed: an ISO 8601 time, e.g. ${OUTPUT_TIME_EXAMPLE}`);
    }
    const history = valueAt(value, ["history"]);
    if (Array.isArray(history)) {
        const bad = history.findIndex((h) => typeof valueAt(h, ["at"]) === "string" && parseIsoTime(valueAt(h, ["at"]) as string, true) === undefined);
        if (bad >= 0) {
            throw refuse(`rollout.history[${bad}].at is ${showField(valueAt(history[bad], ["at"]))}; allowed: an ISO 8601 time, e.g. ${OUTPUT_TIME_EXAMPLE}`);
        }
    }
    const taken = parseIsoTime(s.stepTakenAt, true)!;
    if (taken.getTime() > now.getTime() + STEP_TAKEN_SKEW_MINUTES * 60000) {
        throw refuse(
            `rollout.stepTakenAt is ${showField(s.stepTakenAt)}, more than ${STEP_TAKEN_SKEW_MINUTES} minutes after now (${now.toISOString()}); allowed: a time no later than now (is the file from a later update, or is --now too early?)`,
        );
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// --reference

/**
 * Checks that every stack `--reference` names is the one the stack promotes from
 * (`slotshift:promotion.from`, its last path segment): the only reference the program reads.
 *
 * @param promotionFrom the stack's `slotshift:promotion.from` (`staging` or `org/project/staging`); undefined when it promotes from none
 * @param references    the references given, by stack name
 * @throws UsageError of one line, e.g.
 *   `--reference qa: this stack promotes from staging (slotshift:promotion.from), not from qa; allowed: --reference staging=FILE`
 */
export function checkReferences(promotionFrom: string | undefined, references: Record<string, unknown>, option = "--reference"): void {
    const source = promotionFrom?.split("/").pop();
    for (const stack of Object.keys(references)) {
        if (stack === source) {
            continue;
        }
        if (source === undefined || source === "") {
            throw new UsageError(
                `${option} ${showName(stack)}: this stack promotes from no stack (slotshift:promotion.from is not set), so no reference is read; allowed: no ${option}`,
            );
        }
        throw new UsageError(
            `${option} ${showName(stack)}: this stack promotes from ${showName(source)} (slotshift:promotion.from), not from ${showName(stack)}; allowed: ${option} ${showName(source)}=FILE`,
        );
    }
}
