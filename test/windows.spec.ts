/**
 * Release windows (rollout/windows.ts): the schema and its refusals, and the wall-clock arithmetic,
 * daylight saving time included, at exact instants. Offsets and transition times are the tz
 * database's: Europe/Berlin CET +01:00 / CEST +02:00, changing at 01:00 UTC on the last Sundays of
 * March and October; America/New_York EST -05:00 / EDT -04:00, changing at 02:00 local on the second
 * Sunday of March and the first of November; Asia/Kolkata +05:30 all year.
 */
import { expect } from "chai";
import * as fc from "fast-check";
import { DAYS, Day, Window, describeWindow, isInside, nextOpening, timeZoneProblem, windowSchema, windowsSchema } from "../rollout/windows";

const parse = (w: unknown): Window[] => windowsSchema().parse([w]);
const win = (days: string | string[], start: string, end: string, timeZone: string): Window[] => parse({ days, start, end, timeZone });
const at = (iso: string) => new Date(iso);
const inside = (ws: Window[], iso: string) => isInside(ws, at(iso)).inside;
const next = (ws: Window[], iso: string) => nextOpening(ws, at(iso)).toISOString();

/** The refusal texts of a list of windows, as "path: message". */
function refusals(value: unknown): string[] {
    const r = windowsSchema().safeParse(value);
    expect(r.success, `expected ${JSON.stringify(value)} to be refused`).to.equal(false);
    return r.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("release windows", () => {
    describe("schema", () => {
        it("takes days as a list, a range (wrapping the week too) or one day, in week order", () => {
            const days = (d: unknown) => parse({ days: d, start: "22:00", end: "02:00", timeZone: "Europe/Berlin" })[0].days;
            expect(days("mon-fri")).to.deep.equal(["mon", "tue", "wed", "thu", "fri"]);
            expect(days("sat-mon")).to.deep.equal(["mon", "sat", "sun"]);
            expect(days("sun")).to.deep.equal(["sun"]);
            expect(days(["sun", "sat", "mon"])).to.deep.equal(["mon", "sat", "sun"]);
            expect(days("mon-sun")).to.deep.equal([...DAYS]);
            expect(days("tue-mon")).to.deep.equal([...DAYS]);
        });

        it("keeps the time zone as written, aliases and UTC included", () => {
            for (const zone of ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Calcutta", "UTC", "Etc/UTC", "US/Eastern", "Europe/Kyiv", "America/Argentina/Buenos_Aires", "Etc/GMT-14"]) {
                expect(timeZoneProblem(zone), zone).to.equal(undefined);
                expect(win("sun", "01:00", "02:00", zone)[0].timeZone).to.equal(zone);
            }
        });

        it("refuses time zones that are not tz database names, saying what is allowed with an example", () => {
            const text = "an IANA time zone name as the tz database spells it, e.g. Europe/Berlin, America/New_York or UTC";
            expect(timeZoneProblem("Mars/Base")).to.equal(`${text}; this one is not in the tz database`);
            expect(timeZoneProblem("europe/berlin")).to.equal(`${text}; the tz database spells it Europe/Berlin`);
            expect(timeZoneProblem("utc")).to.equal(`${text}; the tz database spells it UTC`);
            for (const abbreviation of ["EST", "CET", "GMT", "EST5EDT"]) {
                expect(timeZoneProblem(abbreviation), abbreviation).to.equal(`${text}, not an abbreviation or an offset`);
            }
            for (const other of ["+05:30", "UTC+1", "", "Europe/", "/Berlin"]) {
                expect(timeZoneProblem(other), other).to.match(new RegExp(`^${text.replace(/[.]/g, "\\.")}`));
            }
            expect(refusals([{ days: "sun", start: "01:00", end: "02:00", timeZone: 1 }])).to.deep.equal([`0.timeZone: ${text}`]);
        });

        it("refuses start equal to end, and times that are not HH:MM from 00:00 to 23:59", () => {
            expect(refusals([{ days: "sun", start: "22:00", end: "22:00", timeZone: "UTC" }])).to.deep.equal([
                `0.end: an end other than the start (an end earlier than the start crosses midnight), e.g. start "22:00", end "02:00"`,
            ]);
            const time = "a 24-hour time HH:MM from 00:00 to 23:59, e.g. 22:00";
            for (const bad of ["24:00", "2:00", "22:60", "22.00", "22:00:00", "", 2200]) {
                for (const problem of refusals([{ days: "sun", start: bad, end: "02:00", timeZone: "UTC" }])) {
                    expect(problem, String(bad)).to.match(/^0\.start: a 24-hour time HH:MM from 00:00 to 23:59, e\.g\. 22:00/);
                }
            }
            expect(refusals([{ days: "sun", start: "00:00", end: "24:00", timeZone: "UTC" }])).to.deep.equal([`0.end: ${time}`]);
        });

        it("refuses days that are empty, repeated, unknown or a range of one day, saying what is allowed", () => {
            const w = (days: unknown) => [{ days, start: "22:00", end: "02:00", timeZone: "UTC" }];
            expect(refusals(w([]))).to.deep.equal(['0.days: at least one day, e.g. ["sat", "sun"] or "mon-fri"']);
            expect(refusals(w(["sat", "sun", "sat"]))).to.deep.equal(['0.days.2: days without repeats, e.g. ["sat", "sun"]']);
            expect(refusals(w(["sat", "Sun"]))).to.deep.equal(["0.days.1: a day: one of mon, tue, wed, thu, fri, sat, sun"]);
            const range =
                '0.days: a day from mon, tue, wed, thu, fri, sat, sun, a range of two different days, e.g. "mon-fri" (a range may wrap the week, e.g. "sat-mon"), or a list, e.g. ["sat", "sun"]';
            for (const bad of ["mon-mon", "monday-friday", "mon-xyz", "mon - fri", "Mon-Fri", "weekdays", ""]) {
                expect(refusals(w(bad)), bad).to.deep.equal([range]);
            }
            const days = '0.days: a list of days from mon, tue, wed, thu, fri, sat, sun without repeats, e.g. ["sat", "sun"], a range, e.g. "mon-fri", or one day, e.g. "sun"';
            expect(refusals(w(5))).to.deep.equal([days]);
            expect(refusals(w(undefined))).to.deep.equal([days]);
        });

        it("refuses a list that is empty, too long or not a list, and unknown keys, saying what is allowed", () => {
            const list = ': a list of 1 to 20 windows, e.g. [{ days: "mon-fri", start: "22:00", end: "02:00", timeZone: "Europe/Berlin" }]';
            const one = { days: "mon-fri", start: "22:00", end: "02:00", timeZone: "Europe/Berlin" };
            expect(refusals([])).to.deep.equal([list]);
            expect(refusals(one)).to.deep.equal([list]);
            expect(refusals(Array.from({ length: 21 }, () => one))).to.deep.equal([list]);
            expect(windowsSchema().parse(Array.from({ length: 20 }, () => one))).to.have.length(20);
            expect(refusals(["mon-fri 22:00-02:00"])).to.deep.equal(['0: a window, e.g. { days: "mon-fri", start: "22:00", end: "02:00", timeZone: "Europe/Berlin" }']);
            const extra = windowsSchema().safeParse([{ ...one, timezone: "UTC" }]);
            expect(extra.error?.issues.map((i) => i.code)).to.deep.equal(["unrecognized_keys"]);
            expect(windowSchema().safeParse({ ...one, end: "22:00" }).success).to.equal(false);
        });

        it("describes a window as days, times and zone", () => {
            expect(describeWindow(win("mon-fri", "22:00", "02:00", "Europe/Berlin")[0])).to.equal("mon-fri 22:00-02:00 Europe/Berlin");
            expect(describeWindow(win("sat-mon", "09:00", "17:00", "UTC")[0])).to.equal("sat-mon 09:00-17:00 UTC");
            expect(describeWindow(win(["mon", "wed", "thu", "fri", "sun"], "09:00", "17:00", "UTC")[0])).to.equal("sun-mon,wed-fri 09:00-17:00 UTC");
            expect(describeWindow(win(["wed"], "09:00", "17:00", "UTC")[0])).to.equal("wed 09:00-17:00 UTC");
            expect(describeWindow(win(["mon", "wed", "fri"], "09:00", "17:00", "UTC")[0])).to.equal("mon,wed,fri 09:00-17:00 UTC");
            expect(describeWindow(win("mon-sun", "09:00", "17:00", "UTC")[0])).to.equal("mon-sun 09:00-17:00 UTC");
            expect(describeWindow(win(["tue", "thu", "sat", "sun"], "09:00", "17:00", "UTC")[0])).to.equal("tue,thu,sat-sun 09:00-17:00 UTC");
            expect(describeWindow(win("fri-tue", "09:00", "17:00", "UTC")[0])).to.equal("fri-tue 09:00-17:00 UTC");
        });
    });

    describe("wall-clock arithmetic", () => {
        it("opens at start, closes at end (excluded), on the listed days only", () => {
            // 2026-06-01 is a Monday; Berlin is at +02:00 (CEST).
            const ws = win("mon-fri", "09:00", "17:00", "Europe/Berlin");
            expect(inside(ws, "2026-06-01T06:59:59.999Z")).to.equal(false);
            expect(isInside(ws, at("2026-06-01T07:00:00Z"))).to.deep.equal({ inside: true, window: ws[0] });
            expect(inside(ws, "2026-06-01T14:59:59.999Z")).to.equal(true);
            expect(isInside(ws, at("2026-06-01T15:00:00Z"))).to.deep.equal({ inside: false });
            expect(inside(ws, "2026-06-06T10:00:00Z")).to.equal(false); // Saturday
            expect(next(ws, "2026-06-01T07:00:00.000Z")).to.equal("2026-06-01T07:00:00.000Z");
            expect(next(ws, "2026-06-01T15:00:00Z")).to.equal("2026-06-02T07:00:00.000Z");
        });

        it("gives the first window in list order an instant is inside", () => {
            const ws = [...win("mon", "08:00", "12:00", "UTC"), ...win("mon", "10:00", "14:00", "UTC")];
            expect(isInside(ws, at("2026-06-01T09:00:00Z")).window).to.equal(ws[0]);
            expect(isInside(ws, at("2026-06-01T11:00:00Z")).window).to.equal(ws[0]);
            expect(isInside(ws, at("2026-06-01T13:00:00Z")).window).to.equal(ws[1]);
            expect(next([ws[1], ...win("tue", "00:00", "01:00", "Asia/Kolkata")], "2026-06-01T14:00:00Z")).to.equal("2026-06-01T18:30:00.000Z");
        });

        it("crosses midnight: 22:00-02:00 belongs to the day it starts", () => {
            // Friday 2026-06-05 22:00 CEST to Saturday 02:00; Sunday is not listed, so Monday 01:00 is outside.
            const ws = win("mon-fri", "22:00", "02:00", "Europe/Berlin");
            expect(inside(ws, "2026-06-05T19:59:59.999Z")).to.equal(false);
            expect(inside(ws, "2026-06-05T20:00:00Z")).to.equal(true);
            expect(inside(ws, "2026-06-05T23:00:00Z")).to.equal(true); // Saturday 01:00
            expect(inside(ws, "2026-06-05T23:59:59.999Z")).to.equal(true); // Saturday 01:59:59.999
            expect(inside(ws, "2026-06-06T00:00:00Z")).to.equal(false); // Saturday 02:00
            expect(inside(ws, "2026-06-07T23:00:00Z")).to.equal(false); // Monday 01:00, after an unlisted Sunday
            expect(inside(ws, "2026-06-08T23:00:00Z")).to.equal(true); // Tuesday 01:00, after Monday
            expect(next(ws, "2026-06-06T00:00:00Z")).to.equal("2026-06-08T20:00:00.000Z");
        });

        it("wraps the week: sun 23:00-01:00 holds Monday 00:30", () => {
            const ws = win("sun", "23:00", "01:00", "Europe/Berlin");
            expect(inside(ws, "2026-06-07T22:30:00Z")).to.equal(true); // Monday 2026-06-08 00:30 CEST
            expect(inside(ws, "2026-06-07T21:00:00Z")).to.equal(true); // Sunday 23:00
            expect(inside(ws, "2026-06-07T23:00:00Z")).to.equal(false); // Monday 01:00
            expect(inside(ws, "2026-06-06T22:30:00Z")).to.equal(false); // Sunday 00:30, after an unlisted Saturday
            expect(next(ws, "2026-06-07T23:00:00Z")).to.equal("2026-06-14T21:00:00.000Z");
        });

        it("finds the next opening across a week: Friday 23:00 with mon-fri 22:00-23:00 is Monday 22:00 local", () => {
            const ws = win("mon-fri", "22:00", "23:00", "Europe/Berlin");
            // Friday 2026-06-12 23:00 CEST; Monday 2026-06-15 22:00 CEST.
            expect(inside(ws, "2026-06-12T21:00:00Z")).to.equal(false);
            expect(next(ws, "2026-06-12T21:00:00Z")).to.equal("2026-06-15T20:00:00.000Z");
            // Across spring forward: Friday 2026-03-27 23:00 CET, Monday 2026-03-30 22:00 CEST.
            expect(next(ws, "2026-03-27T22:00:00Z")).to.equal("2026-03-30T20:00:00.000Z");
            // A whole week: just after Tuesday's window closes, the next is Wednesday's; just after
            // Friday's, Monday's; from inside, the instant itself.
            expect(next(win("tue", "22:00", "23:00", "Europe/Berlin"), "2026-06-09T21:00:00Z")).to.equal("2026-06-16T20:00:00.000Z");
            expect(next(ws, "2026-06-12T20:59:59.999Z")).to.equal("2026-06-12T20:59:59.999Z");
        });

        it("Asia/Kolkata, without daylight saving time: +05:30 all year", () => {
            const ws = win("mon-fri", "09:00", "17:30", "Asia/Kolkata");
            // Monday 2026-06-01 09:00 IST is 03:30 UTC; 17:30 IST is 12:00 UTC; so in January and March too.
            for (const day of ["2026-01-05", "2026-03-30", "2026-06-01", "2026-11-02"]) {
                expect(inside(ws, `${day}T03:29:59.999Z`), day).to.equal(false);
                expect(inside(ws, `${day}T03:30:00Z`), day).to.equal(true);
                expect(inside(ws, `${day}T11:59:59.999Z`), day).to.equal(true);
                expect(inside(ws, `${day}T12:00:00Z`), day).to.equal(false);
            }
            expect(next(ws, "2026-06-05T12:00:00Z")).to.equal("2026-06-08T03:30:00.000Z");
            // Midnight IST is 18:30 UTC the day before.
            expect(next(win("sat", "00:00", "00:30", "Asia/Kolkata"), "2026-06-05T12:00:00Z")).to.equal("2026-06-05T18:30:00.000Z");
        });
    });

    describe("daylight saving time", () => {
        it("Europe/Berlin 2026-03-29 (spring forward at 01:00 UTC): a window starting in the skipped hour opens at 03:00 CEST", () => {
            const ws = win("sun", "02:30", "04:00", "Europe/Berlin");
            expect(inside(ws, "2026-03-29T00:59:59.999Z")).to.equal(false); // 01:59:59.999 CET
            expect(inside(ws, "2026-03-29T01:00:00Z")).to.equal(true); // 03:00 CEST
            expect(inside(ws, "2026-03-29T01:59:59.999Z")).to.equal(true);
            expect(inside(ws, "2026-03-29T02:00:00Z")).to.equal(false); // 04:00 CEST: one real hour
            expect(next(ws, "2026-03-29T00:00:00Z")).to.equal("2026-03-29T01:00:00.000Z");
            // The Sunday before and after, it opens at 02:30 local: 01:30 and 00:30 UTC.
            expect(next(ws, "2026-03-22T00:00:00Z")).to.equal("2026-03-22T01:30:00.000Z");
            expect(next(ws, "2026-03-29T02:00:00Z")).to.equal("2026-04-05T00:30:00.000Z");
            // Wholly inside the skipped hour: does not open that day.
            const gap = win("sun", "02:00", "02:30", "Europe/Berlin");
            expect(next(gap, "2026-03-28T12:00:00Z")).to.equal("2026-04-05T00:00:00.000Z");
            // Starting before the gap and ending after it: 01:30 CET to 03:30 CEST, one real hour.
            const across = win("sun", "01:30", "03:30", "Europe/Berlin");
            expect(next(across, "2026-03-29T00:00:00Z")).to.equal("2026-03-29T00:30:00.000Z");
            expect(inside(across, "2026-03-29T01:00:00Z")).to.equal(true);
            expect(inside(across, "2026-03-29T01:29:59.999Z")).to.equal(true);
            expect(inside(across, "2026-03-29T01:30:00Z")).to.equal(false);
        });

        it("Europe/Berlin 2026-10-25 (fall back at 01:00 UTC): both passes of the repeated hour are inside", () => {
            const ws = win("sun", "02:00", "03:00", "Europe/Berlin");
            expect(inside(ws, "2026-10-24T23:59:59.999Z")).to.equal(false); // 01:59:59.999 CEST
            expect(next(ws, "2026-10-24T22:00:00Z")).to.equal("2026-10-25T00:00:00.000Z"); // 02:00 CEST
            expect(inside(ws, "2026-10-25T00:59:59.999Z")).to.equal(true); // 02:59:59.999 CEST
            expect(inside(ws, "2026-10-25T01:00:00Z")).to.equal(true); // 02:00 CET
            expect(inside(ws, "2026-10-25T01:59:59.999Z")).to.equal(true); // 02:59:59.999 CET
            expect(inside(ws, "2026-10-25T02:00:00Z")).to.equal(false); // 03:00 CET: two real hours
            // A window within the repeated hour is open twice.
            const half = win("sun", "02:00", "02:30", "Europe/Berlin");
            expect(inside(half, "2026-10-25T00:15:00Z")).to.equal(true);
            expect(inside(half, "2026-10-25T00:30:00Z")).to.equal(false);
            expect(next(half, "2026-10-25T00:30:00Z")).to.equal("2026-10-25T01:00:00.000Z");
            expect(inside(half, "2026-10-25T01:29:59.999Z")).to.equal(true);
            expect(next(half, "2026-10-25T01:30:00Z")).to.equal("2026-11-01T01:00:00.000Z");
            expect(next(win("sun", "02:40", "02:50", "Europe/Berlin"), "2026-10-25T00:55:00Z")).to.equal("2026-10-25T01:40:00.000Z");
        });

        it("America/New_York 2026-03-08 (spring forward at 07:00 UTC, 02:00 EST to 03:00 EDT)", () => {
            const ws = win("sun", "02:30", "03:30", "America/New_York");
            expect(inside(ws, "2026-03-08T06:59:59.999Z")).to.equal(false); // 01:59:59.999 EST
            expect(inside(ws, "2026-03-08T07:00:00Z")).to.equal(true); // 03:00 EDT
            expect(inside(ws, "2026-03-08T07:29:59.999Z")).to.equal(true);
            expect(inside(ws, "2026-03-08T07:30:00Z")).to.equal(false); // 03:30 EDT: half a real hour
            expect(next(ws, "2026-03-08T05:00:00Z")).to.equal("2026-03-08T07:00:00.000Z");
            expect(next(win("sun", "02:15", "02:45", "America/New_York"), "2026-03-08T05:00:00Z")).to.equal("2026-03-15T06:15:00.000Z");
        });

        it("America/New_York 2026-11-01 (fall back at 06:00 UTC, 02:00 EDT to 01:00 EST): 01:00-02:00 lasts two real hours", () => {
            const ws = win("sun", "01:00", "02:00", "America/New_York");
            expect(inside(ws, "2026-11-01T04:59:59.999Z")).to.equal(false); // 00:59:59.999 EDT
            expect(next(ws, "2026-11-01T00:00:00Z")).to.equal("2026-11-01T05:00:00.000Z"); // 01:00 EDT
            expect(inside(ws, "2026-11-01T05:59:59.999Z")).to.equal(true);
            expect(inside(ws, "2026-11-01T06:00:00Z")).to.equal(true); // 01:00 EST
            expect(inside(ws, "2026-11-01T06:59:59.999Z")).to.equal(true);
            expect(inside(ws, "2026-11-01T07:00:00Z")).to.equal(false); // 02:00 EST
            // Across midnight into the repeated hour: sat 23:00-01:30 ends at the first 01:30 (EDT).
            const night = win("sat", "23:00", "01:30", "America/New_York");
            expect(inside(night, "2026-11-01T03:00:00Z")).to.equal(true); // Saturday 23:00 EDT
            expect(inside(night, "2026-11-01T05:29:59.999Z")).to.equal(true); // 01:29:59.999 EDT
            expect(inside(night, "2026-11-01T05:30:00Z")).to.equal(false); // 01:30 EDT
            expect(inside(night, "2026-11-01T06:00:00Z")).to.equal(true); // 01:00 EST, Sunday morning after a Saturday again
            expect(inside(night, "2026-11-01T06:30:00Z")).to.equal(false); // 01:30 EST
            expect(next(night, "2026-11-01T05:30:00Z")).to.equal("2026-11-01T06:00:00.000Z");
        });

        it("refuses an empty list and an invalid date", () => {
            expect(() => nextOpening([], at("2026-06-01T00:00:00Z"))).to.throw(RangeError, "no windows");
            expect(() => nextOpening(win("sun", "01:00", "02:00", "UTC"), new Date(Number.NaN))).to.throw(RangeError, "not a valid date");
            expect(() => isInside(win("sun", "01:00", "02:00", "UTC"), new Date(Number.NaN))).to.throw(RangeError, "not a valid date");
            expect(isInside([], at("2026-06-01T00:00:00Z"))).to.deep.equal({ inside: false });
        });
    });

    describe("properties", () => {
        // Zones with daylight saving time, half-hour and 45-minute offsets, a half-hour DST shift
        // (Lord Howe) and southern-hemisphere seasons.
        const ZONES = [
            "Europe/Berlin",
            "America/New_York",
            "Asia/Kolkata",
            "UTC",
            "Australia/Lord_Howe",
            "Australia/Sydney",
            "America/Santiago",
            "Pacific/Chatham",
            "Asia/Kathmandu",
            "America/St_Johns",
            "Europe/London",
        ] as const;
        const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
        // Minutes of the day, biased to the small hours where the clocks change.
        const minute = fc.oneof(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 0, max: 240 }));
        const windowArb = fc
            .record({ days: fc.subarray([...DAYS], { minLength: 1 }), start: minute, end: minute, timeZone: fc.constantFrom(...ZONES) })
            .filter((w) => w.start !== w.end)
            .map((w) => windowSchema().parse({ days: w.days, start: hhmm(w.start), end: hhmm(w.end), timeZone: w.timeZone }));
        const windowsArb = fc.array(windowArb, { minLength: 1, maxLength: 3 });

        // Instants the clocks change, found once with Intl alone, so that instants near them are drawn often.
        const changes: number[] = [];
        before(() => {
            for (const timeZone of ZONES) {
                const f = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" });
                const offset = (t: number) => f.formatToParts(t).find((p) => p.type === "timeZoneName")!.value;
                for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 3_600_000) {
                    if (offset(t) !== offset(t + 3_600_000)) {
                        changes.push(t);
                    }
                }
            }
            // Two a year in each of the eight zones with daylight saving time.
            expect(changes).to.have.length(16);
        });
        const instantArb = fc.oneof(
            fc.date({ min: new Date("2020-01-01T00:00:00Z"), max: new Date("2035-12-31T00:00:00Z"), noInvalidDate: true }),
            fc
                .tuple(fc.nat(), fc.integer({ min: -2 * 86_400_000, max: 2 * 86_400_000 }))
                .map(([i, d]) => new Date(changes[i % changes.length] + d)),
        );

        it("nextOpening is at or after the instant, inside a window, and nothing sampled before it is", () => {
            fc.assert(
                fc.property(windowsArb, instantArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }), (ws, t, fractions) => {
                    const n = nextOpening(ws, t);
                    expect(n.getTime()).to.be.at.least(t.getTime());
                    expect(isInside(ws, n).inside).to.equal(true);
                    const gap = n.getTime() - t.getTime();
                    const samples = [t.getTime(), n.getTime() - 1, n.getTime() - 1000, n.getTime() - 60_000, ...fractions.map((f) => t.getTime() + Math.floor(f * gap))];
                    for (const s of samples) {
                        if (s >= t.getTime() && s < n.getTime()) {
                            expect(isInside(ws, new Date(s)).inside, new Date(s).toISOString()).to.equal(false);
                        }
                    }
                    // The list's opening is its earliest window's.
                    expect(n.getTime()).to.equal(Math.min(...ws.map((w) => nextOpening([w], t).getTime())));
                }),
                { numRuns: 300 },
            );
        });

        it("nextOpening equals a minute-by-minute search (offsets and changes of these zones fall on whole minutes)", () => {
            fc.assert(
                fc.property(windowArb, instantArb, (w, t) => {
                    let expected = t.getTime();
                    if (!isInside([w], t).inside) {
                        expected = Math.ceil((t.getTime() + 1) / 60_000) * 60_000;
                        while (!isInside([w], new Date(expected)).inside) {
                            expected += 60_000;
                        }
                    }
                    expect(nextOpening([w], t).toISOString()).to.equal(new Date(expected).toISOString());
                }),
                { numRuns: 40 },
            );
        });

        it("in a zone of fixed offset, isInside is plain arithmetic on the local time", () => {
            const fixed = { UTC: 0, "Asia/Kolkata": 330, "Asia/Kathmandu": 345 } as const;
            fc.assert(
                fc.property(
                    fc.record({
                        days: fc.subarray([...DAYS], { minLength: 1 }),
                        start: fc.integer({ min: 0, max: 1439 }),
                        end: fc.integer({ min: 0, max: 1439 }),
                        timeZone: fc.constantFrom(...(Object.keys(fixed) as (keyof typeof fixed)[])),
                    }),
                    fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2040-01-01T00:00:00Z"), noInvalidDate: true }),
                    (w, t) => {
                        fc.pre(w.start !== w.end);
                        const local = t.getTime() + fixed[w.timeZone] * 60_000;
                        const day = Math.floor(local / 86_400_000);
                        const m = Math.floor((local - day * 86_400_000) / 60_000);
                        const listed = (d: number): boolean => w.days.includes(DAYS[(((d + 3) % 7) + 7) % 7] as Day);
                        const expected = w.start < w.end ? listed(day) && w.start <= m && m < w.end : (listed(day) && m >= w.start) || (listed(day - 1) && m < w.end);
                        const ws = parse({ days: w.days, start: hhmm(w.start), end: hhmm(w.end), timeZone: w.timeZone });
                        expect(isInside(ws, t).inside).to.equal(expected);
                    },
                ),
                { numRuns: 500 },
            );
        });
    });
});
