/**
 * Release windows: the weekly, wall-clock times in which a release may raise the candidate's
 * traffic (issue 20: the release process puts prod releases in a scheduled maintenance window,
 * off-peak). The schema of a list of windows, and the pure time arithmetic a decision rule
 * needs: is an instant inside some window, when does the next one open, and a window as text.
 *
 * A window is `{ days, start, end, timeZone }`: on each listed day (`days` is a list such as
 * `["sat", "sun"]`, a range such as `"mon-fri"` or `"sat-mon"`, or one day), from `start` (included) to `end`
 * (excluded), in the local wall-clock time of the IANA zone `timeZone`. An `end` earlier than the
 * `start` crosses midnight and belongs to the day it starts: `fri 22:00-02:00` is Friday 22:00 to
 * Saturday 02:00, and `sun 23:00-01:00` holds Monday 00:30 (the week wraps).
 *
 * Daylight saving time: a window is a set of wall-clock readings, so an instant is inside it exactly
 * when the zone's clock reads a time inside it at that instant. Consequences, each tested
 * (test/windows.spec.ts):
 * - Spring forward (e.g. Europe/Berlin 2026-03-29, 02:00 CET becomes 03:00 CEST): a window that starts
 *   in the skipped hour opens at the first instant after the gap (`sun 02:30-04:00` opens at
 *   03:00 CEST and lasts one real hour); one that starts before the gap and ends after it is shorter
 *   by the gap; one wholly inside the gap (`sun 02:00-02:30`) does not open that day.
 * - Fall back (e.g. Europe/Berlin 2026-10-25, 03:00 CEST becomes 02:00 CET): both passes of the
 *   repeated hour are inside a window that covers it, so `sun 02:00-03:00` lasts two real hours, and
 *   `sun 02:00-02:30` is open twice (02:00-02:30 CEST and 02:00-02:30 CET).
 * - A zone without daylight saving time (e.g. Asia/Kolkata, UTC+05:30) is plain arithmetic.
 *
 * Time zones are validated with Node's Intl (ICU's copy of the tz database; no library needed):
 * any name `new Intl.DateTimeFormat(..., { timeZone })` accepts that is spelt as the tz database
 * spells its names (`Area/Location` with capitalised parts, or `UTC`). So `Europe/Berlin`, `UTC`,
 * `Etc/UTC`, `Asia/Kolkata` and the tz database's backward-compatible links such as `US/Eastern` are
 * allowed; abbreviations (`EST`, `CET`, `GMT`), UTC offsets (`+05:30`), a wrong case
 * (`europe/berlin`) and unknown names are not. `Intl.supportedValuesOf("timeZone")` is not used: in
 * Node 20 it lists ICU's canonical names only (it has `Asia/Calcutta` but neither `Asia/Kolkata`
 * nor `UTC`), so it would refuse names people write. A window keeps the name as written.
 *
 * `nextOpening` is exact to the millisecond and independent of the minute: within a stretch of
 * constant UTC offset the wall clock runs with real time, so it jumps straight to the next start
 * time, and where the offset changes on the way it finds the change by bisection and looks again
 * there. It assumes a zone's offset does not change twice within one day (true of every zone in the
 * tz database).
 */
import { z } from "zod";
import { pattern } from "./config/fields";

/** The days of the week as windows name them, Monday first. */
export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Day = (typeof DAYS)[number];

/** A window as the schema gives it: `days` in week order (Monday first), without repeats, never empty. */
export interface Window {
    readonly days: readonly Day[];
    /** "HH:MM", 00:00 to 23:59: the first minute inside. */
    readonly start: string;
    /** "HH:MM", 00:00 to 23:59, not `start`: the first minute after; earlier than `start` crosses midnight. */
    readonly end: string;
    /** An IANA time zone name, as written. */
    readonly timeZone: string;
}

/** The at most 20 windows a list may hold. */
export const MAX_WINDOWS = 20;

const EXAMPLE = `{ days: "mon-fri", start: "22:00", end: "02:00", timeZone: "Europe/Berlin" }`;
const WINDOWS_TEXT = `a list of 1 to ${MAX_WINDOWS} windows, e.g. [${EXAMPLE}]`;
const DAYS_TEXT = `a list of days from ${DAYS.join(", ")} without repeats, e.g. ["sat", "sun"], a range, e.g. "mon-fri", or one day, e.g. "sun"`;
const TIME_TEXT = "a 24-hour time HH:MM from 00:00 to 23:59, e.g. 22:00";
const ZONE_TEXT = "an IANA time zone name as the tz database spells it, e.g. Europe/Berlin, America/New_York or UTC";

/** `Area/Location[/More]` with capitalised parts, or `UTC`: the spelling of the tz database's names. */
const ZONE_SHAPE = /^(UTC|[A-Z][A-Za-z0-9_+-]*(\/[A-Z][A-Za-z0-9_+-]*)+)$/;
const DAY_RANGE = /^([a-z]{3})-([a-z]{3})$/;

const isDay = (s: string): s is Day => (DAYS as readonly string[]).includes(s);

/** What is wrong with a time zone name, or undefined when it is allowed. */
export function timeZoneProblem(name: string): string | undefined {
    let resolved: string;
    try {
        resolved = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
    } catch {
        return ZONE_SHAPE.test(name) ? `${ZONE_TEXT}; this one is not in the tz database` : ZONE_TEXT;
    }
    if (resolved !== name && resolved.toLowerCase() === name.toLowerCase()) {
        return `${ZONE_TEXT}; the tz database spells it ${resolved}`;
    }
    return ZONE_SHAPE.test(name) ? undefined : `${ZONE_TEXT}, not an abbreviation or an offset`;
}

/** The days a `days` value names, in week order, or what is wrong with it. */
function parseDays(value: string | readonly string[]): { days: Day[] } | { problem: string; index?: number } {
    if (typeof value === "string") {
        if (isDay(value)) {
            return { days: [value] };
        }
        const m = DAY_RANGE.exec(value);
        const [from, to] = m === null ? [] : [m[1], m[2]];
        if (from === undefined || to === undefined || !isDay(from) || !isDay(to) || from === to) {
            return {
                problem: `a day from ${DAYS.join(", ")}, a range of two different days, e.g. "mon-fri" (a range may wrap the week, e.g. "sat-mon"), or a list, e.g. ["sat", "sun"]`,
            };
        }
        const days: Day[] = [];
        for (let i = DAYS.indexOf(from); ; i = (i + 1) % 7) {
            days.push(DAYS[i]);
            if (DAYS[i] === to) {
                break;
            }
        }
        return { days: DAYS.filter((d) => days.includes(d)) };
    }
    if (value.length === 0) {
        return { problem: `at least one day, e.g. ["sat", "sun"] or "mon-fri"` };
    }
    const seen = new Set<Day>();
    for (const [index, d] of value.entries()) {
        if (!isDay(d)) {
            return { problem: `a day: one of ${DAYS.join(", ")}`, index };
        }
        if (seen.has(d)) {
            return { problem: `days without repeats, e.g. ["sat", "sun"]`, index };
        }
        seen.add(d);
    }
    return { days: DAYS.filter((d) => seen.has(d)) };
}

const daysSchema = () =>
    z.union([z.array(z.string({ error: DAYS_TEXT }), { error: DAYS_TEXT }), z.string({ error: DAYS_TEXT })], { error: DAYS_TEXT }).transform((value, ctx) => {
        const r = parseDays(value);
        if ("problem" in r) {
            ctx.addIssue({ code: "custom", message: r.problem, path: r.index === undefined ? [] : [r.index] });
            return z.NEVER;
        }
        return r.days;
    });

const timeSchema = () => pattern(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, TIME_TEXT, 5);

const timeZoneSchema = () =>
    z
        .string({ error: ZONE_TEXT })
        .max(100, { error: ZONE_TEXT })
        .superRefine((name, ctx) => {
            const problem = timeZoneProblem(name);
            if (problem !== undefined) {
                ctx.addIssue({ code: "custom", message: problem });
            }
        });

/** One window: `{ days, start, end, timeZone }`. */
export function windowSchema() {
    return z
        .strictObject(
            {
                days: daysSchema(),
                start: timeSchema(),
                end: timeSchema(),
                timeZone: timeZoneSchema(),
            },
            // Only the object's own type: an unknown key keeps its own issue, which names the key.
            { error: (issue) => (issue.code === "invalid_type" ? `a window, e.g. ${EXAMPLE}` : undefined) },
        )
        .refine((w) => w.start !== w.end, {
            error: `an end other than the start (an end earlier than the start crosses midnight), e.g. start "22:00", end "02:00"`,
            path: ["end"],
        })
        .transform((w): Window => ({ days: w.days, start: w.start, end: w.end, timeZone: w.timeZone }));
}

/** A list of 1 to 20 windows (`slotshift:promotion.windows`, to come). */
export function windowsSchema() {
    return z
        .array(windowSchema(), { error: WINDOWS_TEXT })
        .min(1, { error: WINDOWS_TEXT })
        .max(MAX_WINDOWS, { error: WINDOWS_TEXT });
}

/** A window as text, e.g. "mon-fri 22:00-02:00 Europe/Berlin" or "mon,wed-fri 09:00-17:00 UTC". */
export function describeWindow(w: Window): string {
    return `${describeDays(w.days)} ${w.start}-${w.end} ${w.timeZone}`;
}

/** Days as runs of consecutive days, a run that wraps the week included: "sat-mon", "mon,wed-fri". */
function describeDays(days: readonly Day[]): string {
    const listed = DAYS.map((d) => days.includes(d));
    if (listed.every(Boolean)) {
        return "mon-sun";
    }
    const runs: string[] = [];
    // Runs in week order, Monday's first: a run through Monday starts where it starts, so that it is
    // not cut at Sunday.
    let first = listed.findIndex(Boolean);
    if (first < 0) {
        return "";
    }
    while (first === 0 && listed[6]) {
        first = 6;
        while (listed[first - 1]) {
            first--;
        }
    }
    for (let k = 0; k < 7; ) {
        const i = (first + k) % 7;
        if (!listed[i]) {
            k++;
            continue;
        }
        let n = 1;
        while (k + n < 7 && listed[(i + n) % 7]) {
            n++;
        }
        runs.push(n === 1 ? DAYS[i] : `${DAYS[i]}-${DAYS[(i + n - 1) % 7]}`);
        k += n;
    }
    return runs.join(",");
}

/** Whether an instant is inside some window, and the first (in list order) it is inside. */
export function isInside(windows: readonly Window[], at: Date): { inside: boolean; window?: Window } {
    const t = instant(at);
    const window = windows.find((w) => insideAt(w, t));
    return window === undefined ? { inside: false } : { inside: true, window };
}

/**
 * The first instant at or after `at` at which some window is open: `at` itself when one is.
 *
 * @throws RangeError for an empty list or an invalid date, Error if no window opens within a year
 * (which no window the schema allows can do)
 */
export function nextOpening(windows: readonly Window[], at: Date): Date {
    const t = instant(at);
    if (windows.length === 0) {
        throw new RangeError("no windows: a list of 1 or more windows opens at some time");
    }
    return new Date(Math.min(...windows.map((w) => nextOpeningOf(w, t))));
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** How far nextOpening looks: far past any real window's next opening (at most about two weeks away). */
const HORIZON = 366 * DAY;

function instant(at: Date): number {
    const t = at.getTime();
    if (!Number.isFinite(t)) {
        throw new RangeError("not a valid date");
    }
    return t;
}

/** "HH:MM" as minutes after midnight. */
function minutesOf(hhmm: string): number {
    const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
    if (m === null) {
        throw new RangeError(`${JSON.stringify(hhmm)} is not a time HH:MM`);
    }
    return Number(m[1]) * 60 + Number(m[2]);
}

/** A zone's wall clock at an instant: the local date as days since 1970-01-01, and the local time of day in milliseconds. */
interface WallClock {
    readonly day: number;
    readonly ms: number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
    let f = formats.get(timeZone);
    if (f === undefined) {
        f = new Intl.DateTimeFormat("en-US", {
            timeZone,
            hourCycle: "h23",
            era: "short",
            year: "numeric",
            month: "numeric",
            day: "numeric",
            hour: "numeric",
            minute: "numeric",
            second: "numeric",
        });
        formats.set(timeZone, f);
    }
    return f;
}

function wallClock(timeZone: string, t: number): WallClock {
    const p: Record<string, string> = {};
    for (const part of formatFor(timeZone).formatToParts(t)) {
        p[part.type] = part.value;
    }
    const year = p.era === "BC" || p.era === "B" ? 1 - Number(p.year) : Number(p.year);
    const date = new Date(0);
    date.setUTCFullYear(year, Number(p.month) - 1, Number(p.day));
    const ms = ((Number(p.hour) * 60 + Number(p.minute)) * 60 + Number(p.second)) * 1000 + (((t % 1000) + 1000) % 1000);
    return { day: Math.round(date.getTime() / DAY), ms };
}

/** The zone's UTC offset at an instant, in milliseconds. */
function offsetAt(timeZone: string, t: number): number {
    const w = wallClock(timeZone, t);
    return w.day * DAY + w.ms - t;
}

/** The day of the week of a day number, as an index into DAYS (1970-01-01 was a Thursday). */
const dayIndex = (day: number): number => (((day + 3) % 7) + 7) % 7;

function insideAt(w: Window, t: number): boolean {
    const c = wallClock(w.timeZone, t);
    const minute = Math.floor(c.ms / MINUTE);
    const start = minutesOf(w.start);
    const end = minutesOf(w.end);
    const listed = (day: number) => w.days.includes(DAYS[dayIndex(day)]);
    if (start < end) {
        return listed(c.day) && start <= minute && minute < end;
    }
    // Across midnight: the evening of a listed day, or the morning after one.
    return (listed(c.day) && minute >= start) || (listed(c.day - 1) && minute < end);
}

function nextOpeningOf(w: Window, from: number): number {
    const start = minutesOf(w.start) * MINUTE;
    for (let t = from; t - from <= HORIZON; ) {
        if (insideAt(w, t)) {
            return t;
        }
        const c = wallClock(w.timeZone, t);
        // Wall-clock time to the next start on a listed day; a week ahead at most, as days is never empty.
        let ahead = Number.POSITIVE_INFINITY;
        for (let k = 0; k <= 7 && ahead === Number.POSITIVE_INFINITY; k++) {
            if (w.days.includes(DAYS[dayIndex(c.day + k)]) && k * DAY + start > c.ms) {
                ahead = k * DAY + start - c.ms;
            }
        }
        if (ahead === Number.POSITIVE_INFINITY) {
            throw new RangeError(`window ${describeWindow(w)} lists no days`);
        }
        // A day at most per step, so that no two offset changes fall within one.
        const next = t + Math.min(ahead, DAY);
        const offset = offsetAt(w.timeZone, t);
        if (offsetAt(w.timeZone, next) === offset) {
            t = next;
            continue;
        }
        // The offset changes on the way: the wall clock jumps there, forward over part of the way or
        // back into a window. Find the first instant of the new offset and look again from there.
        let lo = t;
        let hi = next;
        while (hi - lo > 1) {
            const mid = lo + Math.floor((hi - lo) / 2);
            if (offsetAt(w.timeZone, mid) === offset) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        t = hi;
    }
    throw new Error(`window ${describeWindow(w)} does not open within a year of ${new Date(from).toISOString()}`);
}
