/**
 * `slotshift status` and `slotshift history` through a whole prod release, and reading what is
 * deployed from the Pulumi CLI (cli/deployed.ts) with a fake `pulumi` on the PATH.
 *
 * The release is walked on a copy of the real stack files: each edit is made by the CLI's own
 * change functions (written to the file), each `pulumi up` is the very decision the program makes
 * (`decide`), whose state becomes the `rollout` output the next status reads. At each point the
 * status's phase, slots and countdown are checked, and above all that the command it suggests is
 * accepted by `applyChange` (the dry run of the decision) at that time: the suggestion is legal.
 */
import { expect } from "chai";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeRecord } from "../analysis/record";
import { Change, StackView, applyChange, decommissionChange, finalizeChange, nextChange, retryChange, rollbackChange, startChange, viewStack } from "../cli/commands";
import { readDeployed } from "../cli/deployed";
import { configEdit, editText } from "../cli/stackEdit";
import { Status, Suggestion, clock, duration, renderHistory, renderStatus, shortDigest, status } from "../cli/status";
import { decide } from "../rollout/decide";
import { ConfigError } from "../rollout/errors";
import { RolloutState, readRolloutState } from "../rollout/state";
import { ROOT } from "./helpers";

/** The fixtures of this spec. */
const FIXTURES = path.join(__dirname, "fixtures", "status");

/** A project folder with copies of the real stack files; prod stable on blue 1.0.0, green empty. */
function project(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-status-"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    for (const stack of ["dev", "staging", "prod"]) {
        const name = `Pulumi.${stack}.yaml`;
        let text = fs.readFileSync(path.join(ROOT, name), "utf8");
        if (stack === "prod") {
            text = editText(text, [configEdit("slotshift:slots.green", undefined)]);
        }
        fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
}

const T0 = Date.parse("2026-11-26T10:00:00.000Z");
/** `minutes` after the release began. */
const at = (minutes: number) => new Date(T0 + minutes * 60000);

/** A fake digest per version, as the registry would give. */
const digestOf = (version: string | null) => (version === null ? null : `sha256:${createHash("sha256").update(version).digest("hex")}`);

/** The change makers by the command names status suggests. */
function changeOf(name: string): (view: StackView) => Change {
    const byName: Record<string, ((view: StackView) => Change) | undefined> = {
        next: nextChange,
        finalize: finalizeChange,
        rollback: rollbackChange,
        retry: retryChange,
        decommission: decommissionChange,
    };
    const f = byName[name];
    if (f === undefined) {
        throw new Error(`status suggested slotshift ${name}, which cli/commands.ts has no change for`);
    }
    return f;
}

/** Whether a suggested command is accepted by the decision at its time (now for run, `at` for wait). */
function acceptedAt(view: StackView, x: Suggestion, now: Date): void {
    expect(x.checked, `${x.command} was checked`).to.equal(true);
    const when = x.kind === "wait" ? new Date(x.at!) : now;
    const m = /^(slotshift (\S+)|pulumi up) --stack (\S+)$/.exec(x.command);
    expect(m, x.command).to.not.equal(null);
    expect(m![3]).to.equal(view.stack);
    // From the stack file alone, viewStack takes what the file implies as deployed, as status does.
    const v = view;
    // `pulumi up` decides the stack file as it is; a slotshift command, its edit (applyChange's dry run).
    const decideAt = (t: Date) =>
        m![2] === undefined
            ? decide(v.config, { now: t, previous: v.deployed, promotionSource: v.promotionSource, digestsKnown: false })
            : applyChange(v, changeOf(m![2])(v), { dryRun: true, now: t });
    expect(() => decideAt(when), `${x.command} at ${when.toISOString()}`).to.not.throw();
    if (x.kind === "wait") {
        // And refused now: else there would be nothing to wait for.
        let refused = false;
        try {
            decideAt(now);
        } catch (e) {
            refused = ConfigError.isInstance(e);
        }
        expect(refused, `${x.command} is refused before ${x.at}`).to.equal(true);
    }
}

/** A stack walked by CLI edits and simulated updates. */
class Release {
    readonly dir = project();
    outputs: Record<string, unknown> | undefined;

    view(): StackView {
        return viewStack({ root: this.dir, stack: "prod", previous: this.outputs });
    }

    /** `pulumi up --stack prod` at a time: the program's decision, its state the next `rollout` output. */
    up(minutes: number): RolloutState {
        const view = this.view();
        const d = decide(view.config, { now: at(minutes), previous: this.outputs === undefined ? undefined : view.deployed, promotionSource: view.promotionSource, digestsKnown: false });
        const rollout = { ...d.state, digests: { blue: digestOf(d.state.versions.blue), green: digestOf(d.state.versions.green) } };
        this.outputs = { rollout: JSON.parse(JSON.stringify(rollout)) as unknown };
        return readRolloutState(this.outputs.rollout)!;
    }

    /** A CLI edit at a time, written (refused edits throw). */
    edit(make: (view: StackView) => Change, minutes: number): void {
        const view = this.view();
        applyChange(view, make(view), { now: at(minutes) });
    }

    /** The status at a time, checked: the suggestion and each alternative is legal. */
    status(minutes: number): Status {
        const view = this.view();
        const s = status(view, at(minutes));
        if (s.next !== null && s.next.kind !== "template") {
            acceptedAt(view, s.next, at(minutes));
        }
        for (const x of s.alternatives.filter((a) => a.kind !== "template")) {
            acceptedAt(view, x, at(minutes));
        }
        // It renders, and `--json` is a plain JSON document.
        expect(renderStatus(s)).to.match(/^stack prod \(environment prod, strategy canary\)/);
        expect(JSON.parse(JSON.stringify(s))).to.deep.equal(s);
        return s;
    }
}

const roles = (s: Status) => Object.fromEntries(s.slots.map((x) => [x.colour, x.role]));

describe("slotshift status", () => {
    describe("through a prod release, from the deployed outputs", () => {
        const r = new Release();
        const seen: Record<string, Status> = {};

        before(() => {
            r.up(-60);
            seen.stable = r.status(-30);
            r.edit((v) => startChange(v, "1.1.0", { sha: "e4f5a6b1c2d3e4f5", build: "131" }), 0);
            seen.startedNotUp = r.status(0);
            r.up(1);
            seen.staged = r.status(2);
            r.edit(nextChange, 3);
            r.up(3);
            seen.at5held = r.status(5);
            seen.at5free = r.status(9);
            r.edit(nextChange, 10);
            r.up(10);
            seen.at25held = r.status(10.5);
            r.edit(nextChange, 20);
            r.up(20);
            r.edit(nextChange, 30);
            r.up(30);
            seen.at100 = r.status(31);
            r.edit(finalizeChange, 40);
            r.up(40);
            seen.warm = r.status(41);
            seen.warmOver = r.status(75);
        });

        it("stable: blue stable, green empty; the next move is a release to stage (a template)", () => {
            const s = seen.stable;
            expect(s.phase).to.equal("stable");
            expect(roles(s)).to.deep.equal({ blue: "stable", green: "empty" });
            expect(s.deployedFrom).to.equal("outputs");
            expect(s.next).to.deep.include({ kind: "template", command: "slotshift start <version> --sha <git-sha> --stack prod" });
        });

        it("an edit not yet applied: the phase is what is deployed, and pulumi up is what applies it", () => {
            const s = seen.startedNotUp;
            expect(s.phase).to.equal("stable");
            expect(s.desired.versions.green).to.equal("1.1.0");
            expect(s.deployed!.versions.green).to.equal(null);
            expect(s.pending).to.deep.include({ command: "pulumi up --stack prod", move: "stage", refused: null });
            expect(s.next).to.deep.include({ kind: "run", command: "pulumi up --stack prod" });
            expect(renderStatus(s)).to.contain("pending     pulumi up --stack prod applies the staging of green 1.1.0 at 0 %");
        });

        it("staged: green canary at 0 %, the next step is legal", () => {
            const s = seen.staged;
            expect(s.phase).to.equal("staged");
            expect(roles(s)).to.deep.equal({ blue: "stable", green: "canary" });
            expect(s.pending).to.equal(null);
            expect(s.next).to.deep.include({ kind: "run", command: "slotshift next --stack prod", why: "send 5 % to green" });
        });

        it("paused at 5 %: the countdown, and wait, not a refused command", () => {
            const s = seen.at5held;
            expect(s.phase).to.equal("paused");
            expect(s.hold).to.deep.equal({ kind: "step", until: at(8).toISOString(), remainingSeconds: 180 });
            expect(s.holdUntil).to.equal(at(8).toISOString());
            expect(s.summary).to.contain("next step allowed in 3m00s (at 10:08:00Z)");
            expect(s.next).to.deep.include({ kind: "wait", command: "slotshift next --stack prod", at: at(8).toISOString() });
            expect(s.alternatives.map((x) => x.command)).to.deep.equal(["slotshift rollback --stack prod"]);
            const green = s.slots.find((x) => x.colour === "green")!;
            expect(green).to.deep.include({ role: "canary", weight: 5, replicas: 1, inStepSince: at(3).toISOString(), inStepSeconds: 120 });
            expect(green.gitSha).to.equal("e4f5a6b1c2d3e4f5");
            const text = renderStatus(s);
            expect(text).to.contain("next        wait: the step holds until 10:08:00Z (slotshift:rollout.minStepMinutes 5), 3m00s from now; then slotshift next --stack prod   # send 25 % to green");
            expect(text).to.match(/green +canary +1\.1\.0 +e4f5a6b1 +sha256:[0-9a-f]{12} +5 % +1 pods? +in step 2m00s/);
        });

        it("progressing at 5 % once the hold is over: next is legal now", () => {
            const s = seen.at5free;
            expect(s.phase).to.equal("progressing");
            expect(s.hold).to.equal(null);
            // The hold's end as recorded, past: the pipeline's sleep until it is then 0.
            expect(s.holdUntil).to.equal(at(8).toISOString());
            expect(s.next).to.deep.include({ kind: "run", command: "slotshift next --stack prod" });
        });

        it("paused at 25 %, with a countdown in seconds", () => {
            const s = seen.at25held;
            expect(s.phase).to.equal("paused");
            expect(s.deployed).to.deep.include({ weight: 25, step: 2, stepCount: 4 });
            expect(s.summary).to.contain("next step allowed in 4m30s (at 10:15:00Z)");
        });

        it("shifted at 100 %: finalize, or roll back", () => {
            const s = seen.at100;
            expect(s.phase).to.equal("shifted");
            expect(s.next).to.deep.include({ kind: "run", command: "slotshift finalize --stack prod" });
            expect(s.alternatives.map((x) => x.command)).to.deep.equal(["slotshift rollback --stack prod"]);
        });

        it("after the finalize: blue is warm, not a candidate; the way back is a rollback, decommission waits for the warm time", () => {
            const s = seen.warm;
            expect(s.phase).to.equal("finalized-warm");
            expect(roles(s)).to.deep.equal({ blue: "warm", green: "stable" });
            expect(s.hold).to.deep.equal({ kind: "warm", until: at(70).toISOString(), remainingSeconds: 29 * 60 });
            expect(s.summary).to.equal("green 1.1.0 is live since the finalize at 10:40:00Z; blue 1.0.0 stays warm at 0 % for an instant rollback, for 29m00s (at 11:10:00Z)");
            const text = renderStatus(s);
            expect(text).to.not.contain("candidate");
            expect(s.alternatives.map((x) => x.command)).to.include("slotshift rollback --stack prod");
            expect(s.next).to.deep.include({ kind: "wait", command: "slotshift decommission --stack prod", at: at(70).toISOString() });
        });

        it("the warm time over: decommission is due and legal", () => {
            const s = seen.warmOver;
            expect(s.phase).to.equal("decommission-due");
            expect(s.hold).to.equal(null);
            expect(s.next).to.deep.include({ kind: "run", command: "slotshift decommission --stack prod" });
        });

        it("after the decommission: stable again, blue idle", () => {
            r.edit(changeOf("decommission"), 80);
            r.up(80);
            const s = r.status(81);
            expect(s.phase).to.equal("stable");
            expect(roles(s)).to.deep.equal({ blue: "idle", green: "stable" });
            expect(s.next).to.deep.include({ kind: "template" });
        });

        it("history: every transition of the walk, oldest first", () => {
            const text = renderHistory(readRolloutState(r.outputs!.rollout), "prod");
            const lines = text.split("\n");
            expect(lines[0]).to.match(/^history of prod: the last \d+ transition\(s\), oldest first/);
            expect(lines[1]).to.match(/^ {2}time +transition +live +weight +blue +green +flags$/);
            expect(lines.slice(2, 9).map((l) => l.trim().split(/ {2,}/)[1])).to.deep.equal(["first-deploy", "stage", "step", "step", "step", "step", "finalize"]);
            expect(lines[2]).to.contain("2026-11-26 09:00:00Z");
        });
    });

    describe("a rollback at 25 %", () => {
        const r = new Release();
        let aborted: Status;

        before(() => {
            r.up(-60);
            r.edit((v) => startChange(v, "1.1.0", { sha: "e4f5a6b", build: "131" }), 0);
            r.up(1);
            r.edit(nextChange, 3);
            r.up(3);
            r.edit(nextChange, 10);
            r.up(10);
            r.edit(rollbackChange, 12);
            r.up(12);
            aborted = r.status(13);
        });

        it("is aborted: green idle, rolled back; the status never suggests stepping the bad build forward", () => {
            expect(aborted.phase).to.equal("aborted");
            expect(roles(aborted)).to.deep.equal({ blue: "stable", green: "idle" });
            expect(aborted.aborted).to.deep.include({ slot: "green", version: "1.1.0", at: at(12).toISOString() });
            expect(aborted.summary).to.equal("green 1.1.0 was rolled back from 25 % at 10:12:00Z; blue 1.0.0 carries all traffic");
            const commandsShown = [aborted.next, ...aborted.alternatives].filter((x) => x !== null).map((x) => x!.command);
            expect(commandsShown.filter((c) => c.startsWith("slotshift next"))).to.deep.equal([]);
            expect(commandsShown).to.include("slotshift start <version> --sha <git-sha> --stack prod");
            expect(aborted.next).to.deep.include({ kind: "run", command: "slotshift retry --stack prod" });
            // What the status does not suggest is indeed refused: `next` onto the rolled-back build.
            expect(() => applyChange(r.view(), nextChange(r.view()), { dryRun: true, now: at(13) })).to.throw(/was rolled back at/);
        });

        it("a retry steps the same build again, and the history flags it", () => {
            r.edit(changeOf("retry"), 20);
            r.up(20);
            const s = r.status(21);
            expect(s.phase).to.equal("paused");
            const last = renderHistory(readRolloutState(r.outputs!.rollout), "prod").split("\n").pop()!;
            expect(last).to.match(/step +blue +5 % +1\.0\.0 +1\.1\.0 +retried$/);
        });
    });

    describe("a rollback after the finalize", () => {
        it("is aborted too: the build rolled back from live is not stepped again but by retry", () => {
            const r = new Release();
            r.up(-60);
            r.edit((v) => startChange(v, "1.1.0", { sha: "e4f5a6b" }), 0);
            r.up(1);
            for (const m of [3, 10, 20, 30]) {
                r.edit(nextChange, m);
                r.up(m);
            }
            r.edit(finalizeChange, 40);
            r.up(40);
            r.edit(rollbackChange, 45);
            r.up(45);
            const s = r.status(46);
            expect(s.phase).to.equal("aborted");
            expect(roles(s)).to.deep.equal({ blue: "stable", green: "idle" });
            expect(s.summary).to.equal("green 1.1.0 was rolled back from 100 % at 10:45:00Z; blue 1.0.0 carries all traffic");
            expect(s.next).to.deep.include({ kind: "run", command: "slotshift retry --stack prod" });
        });
    });

    describe("the last analysis", () => {
        it("shows the verdict and whether it judged the step deployed", () => {
            const r = new Release();
            r.up(-60);
            r.edit((v) => startChange(v, "1.1.0", { sha: "e4f5a6b" }), 0);
            r.up(1);
            r.edit(nextChange, 3);
            const st5 = r.up(3);
            writeRecord(r.dir, { stack: "prod", verdict: "pass", candidate: "green", version: "1.1.0", weight: 5, stepTakenAt: st5.stepTakenAt, at: at(7).toISOString() });
            const s = r.status(9);
            expect(s.analysis).to.deep.include({ verdict: "pass", weight: 5, forDeployedStep: true });
            expect(renderStatus(s)).to.contain("analysis    pass at 10:07:00Z, of green 1.1.0 at 5 % (the step deployed)");
            r.edit(nextChange, 10);
            r.up(10);
            const later = r.status(11);
            expect(later.analysis).to.deep.include({ verdict: "pass", weight: 5, forDeployedStep: false });
            expect(renderStatus(later)).to.contain("(not the step deployed: an earlier one)");
        });

        it("warns loudly of a failed analysis of the step deployed", () => {
            const r = new Release();
            r.up(-60);
            r.edit((v) => startChange(v, "1.1.0", { sha: "e4f5a6b" }), 0);
            r.up(1);
            r.edit(nextChange, 3);
            const st5 = r.up(3);
            writeRecord(r.dir, { stack: "prod", verdict: "fail", candidate: "green", version: "1.1.0", weight: 5, stepTakenAt: st5.stepTakenAt, at: at(7).toISOString() });
            expect(renderStatus(r.status(9))).to.match(/^! the last analysis of green 1\.1\.0 at 5 % failed/m);
        });
    });

    describe("from the stack file alone", () => {
        it("says on its first lines that the view is the stack file's, and how to see what is deployed", () => {
            const dir = project();
            const view = viewStack({ root: dir, stack: "prod" });
            const s = status(view, at(0), { unknownBecause: "the Pulumi CLI is not on the PATH" });
            expect(s.deployedFrom).to.equal("unknown");
            expect(s.deployed).to.equal(null);
            const lines = renderStatus(s).split("\n");
            expect(lines[1]).to.match(/^ {2}view {8}the stack file only \(Pulumi\.prod\.yaml\): what is deployed is not known \(the Pulumi CLI is not on the PATH\)/);
            expect(lines[1]).to.contain("--previous FILE (pulumi stack output --json --stack prod > FILE)");
        });

        it("suggests the step the file implies, legal against the file", () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            fs.writeFileSync(file, editText(fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8"), [configEdit("slotshift:rollout.weight", 50)]));
            const view = viewStack({ root: dir, stack: "prod" });
            const s = status(view, at(0));
            expect(s.phase).to.equal("progressing");
            expect(s.hold).to.equal(null);
            expect(s.next).to.deep.include({ kind: "run", command: "slotshift next --stack prod" });
            acceptedAt(view, s.next!, at(0));
            expect(renderStatus(s)).to.contain("steps       5 ▸ 25 ▸ [50] ▸ 100");
        });

        it("after a finalize, the old slot is warm and decommission waits for a time the file does not know", () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            const prod = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8");
            fs.writeFileSync(file, editText(prod, [configEdit("slotshift:rollout.live", "green")]));
            const s = status(viewStack({ root: dir, stack: "prod" }), at(0));
            expect(s.phase).to.equal("finalized-warm");
            expect(roles(s)).to.deep.equal({ blue: "warm", green: "stable" });
            expect(s.alternatives.map((x) => x.command)).to.include("slotshift rollback --stack prod");
            expect(s.next).to.deep.include({ kind: "wait", command: "slotshift decommission --stack prod", at: null, checked: false });
        });
    });

    describe("the repo's own stack files", () => {
        for (const stack of ["dev", "staging", "prod"]) {
            it(`${stack}: renders, and what it suggests is legal against the file`, () => {
                const view = viewStack({ root: ROOT, stack });
                const s = status(view, at(0));
                expect(renderStatus(s)).to.match(new RegExp(`^stack ${stack} \\(environment ${stack}, strategy `));
                for (const x of [s.next, ...s.alternatives]) {
                    if (x !== null && x.kind !== "template" && x.checked) {
                        acceptedAt(view, x, at(0));
                    }
                }
            });
        }

        it("dev (strategy direct): stable, the next release updates the live slot in place", () => {
            const s = status(viewStack({ root: ROOT, stack: "dev" }), at(0));
            expect(s.phase).to.equal("stable");
            expect(s.desired.candidate).to.equal(null);
            expect(s.next).to.deep.include({ kind: "template", why: `update ${s.desired.live} in place` });
        });
    });

    describe("warnings", () => {
        it("says loudly that force: true is in the file", () => {
            const dir = project();
            const file = path.join(dir, "Pulumi.prod.yaml");
            fs.writeFileSync(file, editText(fs.readFileSync(file, "utf8"), [configEdit("slotshift:rollout.force", true)]));
            const text = renderStatus(status(viewStack({ root: dir, stack: "prod" }), at(0)));
            expect(text.split("\n")[1]).to.equal(
                "! slotshift:rollout.force is true in Pulumi.prod.yaml: force: true skips every hold and check until it is set back to false; the next CLI edit writes force: false",
            );
        });

        it("says when pulumi up would refuse the stack file, and suggests only what is legal", () => {
            const r = new Release();
            r.up(-60);
            r.edit((v) => startChange(v, "1.1.0", { sha: "e4f5a6b" }), 0);
            r.up(1);
            // The file jumps to 50 % by hand, behind the CLI's back.
            fs.writeFileSync(path.join(r.dir, "Pulumi.prod.yaml"), editText(fs.readFileSync(path.join(r.dir, "Pulumi.prod.yaml"), "utf8"), [configEdit("slotshift:rollout.weight", 50)]));
            const s = r.status(2);
            expect(s.pending).to.deep.include({ move: "jump" });
            expect(s.pending!.refused).to.contain("the next step is 5");
            expect(renderStatus(s)).to.match(/^! pulumi up --stack prod would refuse the stack file: /m);
            expect(s.next?.command ?? "").to.not.equal("pulumi up --stack prod");
        });
    });

    describe("release windows (slotshift:promotion.windows)", () => {
        const withWindows = (r: Release, windows: unknown) =>
            fs.writeFileSync(
                path.join(r.dir, "Pulumi.prod.yaml"),
                fs.readFileSync(path.join(r.dir, "Pulumi.prod.yaml"), "utf8").replace(/\n    from: staging\n(    windows: .*\n)?/, `\n    from: staging\n    windows: ${JSON.stringify(windows)}\n`),
            );

        it("says when the stack is outside every window and when the next opens; inside, which window holds now", () => {
            const r = new Release();
            r.up(-60);
            withWindows(r, [{ days: ["sat", "sun"], start: "09:00", end: "17:00", timeZone: "Europe/Berlin" }]);
            const out = r.status(0);
            expect(out.window).to.deep.equal({ inside: false, window: null, nextOpening: "2026-11-28T08:00:00.000Z" });
            expect(renderStatus(out)).to.contain("window      outside every release window: steps are refused until 2026-11-28 08:00:00Z (slotshift:promotion.windows; rollbacks any time)");
            withWindows(r, [{ days: "mon-fri", start: "09:00", end: "17:00", timeZone: "Europe/Berlin" }]);
            const inside = r.status(0);
            expect(inside.window).to.deep.equal({ inside: true, window: "mon-fri 09:00-17:00 Europe/Berlin", nextOpening: "2026-11-26T10:00:00.000Z" });
            expect(renderStatus(inside)).to.contain("window      inside mon-fri 09:00-17:00 Europe/Berlin: steps may be taken");
        });
    });

    describe("the Status JSON contract", () => {
        it("has the documented keys, in order", () => {
            const r = new Release();
            r.up(-60);
            const s = r.status(0);
            const want = JSON.parse(fs.readFileSync(path.join(FIXTURES, "keys.json"), "utf8")) as { status: string[]; slot: string[] };
            expect(Object.keys(s)).to.deep.equal(want.status);
            expect(Object.keys(s.slots[0])).to.deep.equal(want.slot);
            expect(s.statusVersion).to.equal(2);
        });
    });

    describe("words and times", () => {
        it("counts down in minutes and seconds, and names times of the day", () => {
            expect(duration(432)).to.equal("7m12s");
            expect(duration(59)).to.equal("59s");
            expect(duration(3900)).to.equal("1h05m");
            expect(duration(2 * 86400 + 3 * 3600)).to.equal("2d03h");
            expect(clock("2026-11-26T14:05:00.000Z", new Date("2026-11-26T13:57:48Z"))).to.equal("14:05:00Z");
            expect(clock("2026-11-27T14:05:00.000Z", new Date("2026-11-26T13:57:48Z"))).to.equal("2026-11-27 14:05:00Z");
            expect(shortDigest(`sha256:${"ab".repeat(32)}`)).to.equal("sha256:abababababab");
        });
    });
});

describe("slotshift history", () => {
    it("says when nothing deployed is known, and when the outputs are older than the field", () => {
        expect(renderHistory(undefined, "prod")).to.match(/^nothing deployed is known: give --previous FILE or install the Pulumi CLI/);
        const old = JSON.parse(fs.readFileSync(path.join(FIXTURES, "outputs-without-history.json"), "utf8")) as { rollout: unknown };
        expect(renderHistory(readRolloutState(old.rollout), "prod")).to.match(/^no history recorded: the outputs are older than the field/);
    });
});

describe("reading what is deployed from the Pulumi CLI (cli/deployed.ts)", () => {
    /** A folder with a fake `pulumi` that runs `script` (sh), and an environment with it first on the PATH. */
    function fakePulumi(script: string): { env: NodeJS.ProcessEnv; dir: string; log: string } {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-fake-pulumi-"));
        const log = path.join(dir, "args.log");
        fs.writeFileSync(path.join(dir, "pulumi"), `#!/bin/sh\necho "$PWD" > "${log}"\necho "$@" >> "${log}"\n${script}\n`, { mode: 0o755 });
        return { env: { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH ?? ""}` }, dir, log };
    }

    it("reads the outputs pulumi stack output --json prints, in the project root, without --show-secrets", () => {
        const fixture = path.join(FIXTURES, "outputs-without-history.json");
        const f = fakePulumi(`cat "${fixture}"`);
        const root = project();
        const got = readDeployed(root, "prod", { env: f.env });
        expect(got).to.have.property("source", "pulumi stack output --json --stack prod");
        expect(got.outputs).to.deep.equal(JSON.parse(fs.readFileSync(fixture, "utf8")));
        const [cwd, args] = fs.readFileSync(f.log, "utf8").trim().split("\n");
        expect(fs.realpathSync(cwd)).to.equal(fs.realpathSync(root));
        expect(args.split(" ")).to.include.members(["stack", "output", "--json", "--stack", "prod"]);
        expect(args).to.not.contain("--show-secrets");
    });

    it("says the stack has no outputs yet for {}", () => {
        const f = fakePulumi(`echo '{}'`);
        expect(readDeployed(project(), "prod", { env: f.env })).to.deep.equal({ outputs: undefined, reason: "the stack has no outputs yet" });
    });

    it("quotes the first line of stderr when pulumi fails", () => {
        const f = fakePulumi(`echo "" >&2\necho "error: no stack named 'prod' found $(printf 'x%.0s' $(seq 1 300))" >&2\necho "second line" >&2\nexit 255`);
        const got = readDeployed(project(), "prod", { env: f.env });
        expect(got.outputs).to.equal(undefined);
        const reason = (got as { reason: string }).reason;
        expect(reason).to.match(/^pulumi stack output failed: error: no stack named 'prod' found x+\.\.\.$/);
        expect(reason.length).to.be.at.most("pulumi stack output failed: ".length + 200);
    });

    it("says when the Pulumi CLI is not on the PATH", () => {
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-nopath-"));
        expect(readDeployed(project(), "prod", { env: { PATH: empty } })).to.deep.equal({ outputs: undefined, reason: "the Pulumi CLI is not on the PATH" });
    });

    it("gives up after the timeout", () => {
        const f = fakePulumi("exec sleep 5");
        const started = Date.now();
        const got = readDeployed(project(), "prod", { env: f.env, timeoutMs: 300 });
        expect(Date.now() - started).to.be.below(4000);
        expect(got).to.deep.equal({ outputs: undefined, reason: "pulumi stack output timed out after 0.3 s" });
    });

    it("refuses an answer that is not a JSON object", () => {
        const f = fakePulumi(`echo '[1, 2]'`);
        expect((readDeployed(project(), "prod", { env: f.env }) as { reason: string }).reason).to.equal('pulumi stack output printed no JSON object: "[1, 2]"');
    });
});
