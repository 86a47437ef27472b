/**
 * `slotshift status`: what the stack file wants and what is deployed, side by side, the phase the
 * rollout is in, each slot, the last analysis, and the one command that is legal next; and
 * `slotshift history`: the last transitions the `rollout` output records.
 *
 * Nothing here guesses what a command would be allowed to do: the next command is the first of the
 * candidates that `applyChange` (a dry run, the very decision `pulumi up` makes) accepts at `now`,
 * or, when only a hold is in the way, at the end of that hold. Time is a parameter (`now`): the
 * status of the same inputs at the same time is always the same.
 */
import { AnalysisRecord, readRecord } from "../analysis/record";
import { SlotColour, Strategy, otherSlot } from "../rollout/config";
import { ConfigError } from "../rollout/errors";
import { MoveKind, classify } from "../rollout/move";
import { Aborted, HISTORY_LIMIT, HistoryEntry, RolloutState, impliedState } from "../rollout/state";
import { Window as ReleaseWindow, describeWindow, isInside, nextOpening } from "../rollout/windows";
import { decide } from "../rollout/decide";
import { Change, StackView, applyChange, decommissionChange, finalizeChange, nextChange, retryChange, rollbackChange } from "./commands";
import { UsageError } from "./stackFile";

// ---------------------------------------------------------------------------
// The JSON contract (`slotshift status --json`).

/** The version of the `status --json` document; 1 was the flat view of the stack file alone. */
export const STATUS_VERSION = 2;

/**
 * Where a rollout stands, judged from what is deployed when it is known (else from the stack file):
 *
 * - `stable`: the live slot carries all traffic; nothing is staged (the other slot is empty or idle);
 * - `staged`: a new build runs in the candidate slot at 0 %, ready for its first step;
 * - `progressing`: the candidate carries a step above 0 and below 100 %, and its hold is over;
 * - `paused`: the same, inside the step's hold (`nextMoveAt` is ahead): the next step must wait;
 * - `aborted`: a rollback took traffic from the candidate's build, which still runs at 0 %
 *   (`rollout.aborted`): step it again only with `slotshift retry`, or stage another build;
 * - `shifted`: the candidate carries 100 %, awaiting `slotshift finalize`;
 * - `finalized-warm`: after a finalize, the previous live slot runs warm at 0 % for an instant
 *   rollback, inside its warm time (`warmUntil`);
 * - `decommission-due`: the same, once its warm time is over: scale it down (or stage into it).
 */
export const STATUS_PHASES = ["stable", "staged", "progressing", "paused", "aborted", "shifted", "finalized-warm", "decommission-due"] as const;
export type StatusPhase = (typeof STATUS_PHASES)[number];

/** One side of the comparison: the stack file's (desired) or the last update's (deployed). */
export interface RolloutSide {
    readonly live: SlotColour;
    /** The slot that is not live; null with strategy direct. */
    readonly candidate: SlotColour | null;
    readonly versions: Readonly<Record<SlotColour, string | null>>;
    /** The candidate's share of traffic in percent (0 with strategy direct). */
    readonly weight: number;
    /** 1-based index of `weight` in `steps`; 0 at weight 0. */
    readonly step: number;
    /** How many steps there are (`steps.length`). */
    readonly stepCount: number;
}

/**
 * What a slot does: `stable` the live slot; `canary` the candidate with a build staged or carrying
 * traffic; `warm` the previous live slot after a finalize, running at 0 %; `idle` a slot with a build
 * that takes no traffic and is not to be stepped (decommissioned, or a build a rollback took
 * traffic from); `empty` a slot without a version.
 */
export const SLOT_ROLES = ["stable", "canary", "warm", "idle", "empty"] as const;
export type SlotRole = (typeof SLOT_ROLES)[number];

/** A slot, as deployed when that is known (else as the stack file describes it). */
export interface SlotStatus {
    readonly colour: SlotColour;
    readonly role: SlotRole;
    readonly version: string | null;
    /** The git commit its image was built from (in full, as given); null when not known. */
    readonly gitSha: string | null;
    /** The image digest it runs (`sha256:...`, in full); null when not known (always from the stack file alone, unless it gives one). */
    readonly digest: string | null;
    /** Its share of traffic in percent. */
    readonly weight: number;
    readonly replicas: number;
    /** For the canary, from what is deployed: when its current weight was set (`stepTakenAt`), ISO 8601; else null. */
    readonly inStepSince: string | null;
    /** Seconds from `inStepSince` to `now`; null with it. */
    readonly inStepSeconds: number | null;
    /** One line on what is particular about it (warm until when, rolled back when, decommissioned); null when nothing is. */
    readonly note: string | null;
}

/** What `pulumi up` would do with the stack file, when it differs from what is deployed. */
export interface Pending {
    /** The command that applies it: `pulumi up --stack S`. */
    readonly command: string;
    /** The kind of move, as the decision classifies it (`step`, `rollback`, `finalize`, ...). */
    readonly move: MoveKind;
    /** What it changes, in words: `a step of green from 5 % to 25 %`. */
    readonly summary: string;
    /** The refusal `pulumi up` would give at `now` (the same decision); null when it would be accepted. */
    readonly refused: string | null;
    /** When it is refused now only by a hold of what is deployed: when that hold ends (it is accepted then); else null. */
    readonly heldUntil: string | null;
}

/** A hold of what is deployed that is still ahead at `now`. */
export interface Hold {
    /** `step`: the canary step's `minStepMinutes` (`nextMoveAt`); `warm`: the warm slot's `warmMinutes` (`warmUntil`). */
    readonly kind: "step" | "warm";
    /** When it ends, ISO 8601. */
    readonly until: string;
    /** Seconds from `now` to `until`, rounded up: always above 0. */
    readonly remainingSeconds: number;
}

/** The last analysis verdict recorded for the stack (`.slotshift/analysis/<stack>.json`). */
export interface AnalysisStatus {
    readonly verdict: AnalysisRecord["verdict"];
    /** When it was reached (the end of its window), ISO 8601. */
    readonly at: string;
    /** The step it judged. */
    readonly slot: string;
    readonly version: string | null;
    readonly weight: number;
    readonly stepTakenAt: string;
    /**
     * Whether it judged the step deployed now: same slot, version and weight, and (when the
     * deployed outputs are known) the same `stepTakenAt`. A verdict of an earlier step says nothing of this one.
     */
    readonly forDeployedStep: boolean;
}

/** A command to run. */
export interface Suggestion {
    /**
     * `run`: legal now; `wait`: refused now by a hold only, legal from `at` (or, when `at` is null,
     * after a hold the stack file alone cannot time); `template`: needs a value filled in
     * (`<version>`), so it could not be decided in advance.
     */
    readonly kind: "run" | "wait" | "template";
    readonly command: string;
    /** What it does, or why it is the move. */
    readonly why: string;
    /** For `wait`: from when it is legal, ISO 8601; null otherwise, or when not known. */
    readonly at: string | null;
    /**
     * Whether the decision `pulumi up` makes accepted it in a dry run (`applyChange`): at `now`
     * for `run`, at `at` for `wait`. False for a template, and for a wait of unknown length.
     */
    readonly checked: boolean;
}

/** The status of a stack: what `slotshift status --json` prints (version STATUS_VERSION). */
export interface Status {
    readonly statusVersion: typeof STATUS_VERSION;
    readonly stack: string;
    readonly environment: string;
    readonly strategy: Strategy;
    /** The time it was judged at, ISO 8601: holds and countdowns are measured from it. */
    readonly now: string;
    /**
     * Where what is deployed came from: `outputs` (the stack's last update: `--previous FILE`, or
     * the Pulumi CLI), or `unknown` (the stack file alone is shown: holds and times are not known).
     */
    readonly deployedFrom: "outputs" | "unknown";
    /** For people: where the outputs came from (`--previous prod.json`), or why none are known and how to get them. */
    readonly source: string;
    readonly phase: StatusPhase;
    /** The phase in one line. */
    readonly summary: string;
    /** What the stack file asks for. */
    readonly desired: RolloutSide;
    /** What the last update deployed; null when not known. */
    readonly deployed: RolloutSide | null;
    /** What `pulumi up` would change, when the stack file differs from what is deployed; else null. */
    readonly pending: Pending | null;
    readonly steps: readonly number[];
    /** The two slots, blue then green. */
    readonly slots: readonly SlotStatus[];
    /** The hold of what is deployed that is still ahead; null when none is (or none is known). */
    readonly hold: Hold | null;
    /**
     * The end of the current hold as the deployed state records it, whether or not it has passed:
     * the canary step's (`nextMoveAt`) while it carries a step below 100 %, the warm slot's
     * (`warmUntil`) while one is warm; null when none applies or nothing deployed is known. The
     * pipeline sleeps until it (step.yml: `jq -r '.holdUntil // empty'`); `hold` says whether it is still ahead.
     */
    readonly holdUntil: string | null;
    /** The build a rollback took traffic from, while it stays in its slot at 0 % (`rollout.aborted`); else null. */
    readonly aborted: Aborted | null;
    /** The last analysis verdict recorded; null when none is. */
    readonly analysis: AnalysisStatus | null;
    /** The command to run next; null when none is legal (the warnings say why). */
    readonly next: Suggestion | null;
    /** Other legal moves (the way back, another release), checked like `next` unless templates. */
    readonly alternatives: readonly Suggestion[];
    /** What needs attention, one line each (printed after `!`). */
    readonly warnings: readonly string[];
    /**
     * The release windows (`slotshift:promotion.windows`) at `now`: whether a step may be taken now,
     * the window that holds `now`, and when the next one opens; null when the stack has none.
     */
    readonly window: { readonly inside: boolean; readonly window: string | null; readonly nextOpening: string } | null;
}

/** Where the deployed view came from, or why it is not known; both optional. */
export interface StatusOptions {
    /** Where the outputs came from, for people: `--previous prod.json`, `pulumi stack output --json --stack prod`. */
    readonly source?: string;
    /** Why no outputs are known (readDeployed's reason): `the Pulumi CLI is not on the PATH`. */
    readonly unknownBecause?: string;
}

// ---------------------------------------------------------------------------
// Words and times.

/** The weight bar: `5 ▸ 25 ▸ [50] ▸ 100`, with `[0]` in front at weight 0. */
export function weightBar(steps: readonly number[], weight: number): string {
    const marks = weight === 0 ? ["[0]", ...steps.map(String)] : steps.map((s) => (s === weight ? `[${s}]` : String(s)));
    return marks.join(" ▸ ");
}

/** A length of time: `45s`, `7m12s`, `1h05m`, `2d03h`. */
export function duration(seconds: number): string {
    const s = Math.max(0, Math.floor(seconds));
    const two = (n: number) => String(n).padStart(2, "0");
    const [d, h, m, sec] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60];
    if (d > 0) {
        return `${d}d${two(h)}h`;
    }
    if (h > 0) {
        return `${h}h${two(m)}m`;
    }
    return m > 0 ? `${m}m${two(sec)}s` : `${sec}s`;
}

/** A time for people: `14:05:00Z` on the day of `now` (UTC), else `2026-11-27 14:05:00Z`. */
export function clock(iso: string, now: Date): string {
    const t = new Date(iso);
    if (Number.isNaN(t.getTime())) {
        return iso;
    }
    const [day, time] = t.toISOString().split("T");
    const hms = `${time.slice(0, 8)}Z`;
    return day === now.toISOString().slice(0, 10) ? hms : `${day} ${hms}`;
}

/** Seconds from `now` until `iso`, rounded up; 0 or less once it has passed, null when it is not a time. */
function secondsUntil(iso: string | null, now: Date): number | null {
    if (iso === null) {
        return null;
    }
    const t = Date.parse(iso);
    return Number.isNaN(t) ? null : Math.ceil((t - now.getTime()) / 1000);
}

const plusMinutes = (iso: string, minutes: number): string | null => {
    const t = Date.parse(iso);
    return Number.isNaN(t) ? null : new Date(t + minutes * 60000).toISOString();
};

/** `sha256:` and the first 12 hex digits of a digest; anything else as it is. */
export function shortDigest(digest: string | null): string | null {
    if (digest === null) {
        return null;
    }
    const m = /^sha256:([0-9a-f]{12})[0-9a-f]*$/i.exec(digest);
    return m ? `sha256:${m[1].toLowerCase()}` : digest;
}

/** The first 8 characters of a git sha. */
export function shortSha(sha: string | null): string | null {
    return sha === null ? null : sha.slice(0, 8);
}

// ---------------------------------------------------------------------------
// The parts of a status.

function sideOf(st: RolloutState): RolloutSide {
    const weight = st.candidate === null ? 0 : st.weights[st.candidate];
    return { live: st.live, candidate: st.candidate, versions: { ...st.versions }, weight, step: st.step, stepCount: st.steps.length };
}

/** The build a rollback took traffic from, when it is still the candidate's at 0 %. */
function abortedOf(st: RolloutState): Aborted | null {
    const a = st.aborted ?? null;
    if (a === null || st.candidate === null || a.slot !== st.candidate || st.weights[a.slot] !== 0 || st.replicas[a.slot] === 0) {
        return null;
    }
    const same = st.builds[a.slot] !== null && a.build !== null ? st.builds[a.slot] === a.build : st.versions[a.slot] === a.version;
    return same ? a : null;
}

/** The end of the step hold (`nextMoveAt`, or for an older output `stepTakenAt` + minStepMinutes) while the canary carries a step below 100 %. */
function stepHoldEnd(st: RolloutState, minStepMinutes: number): string | null {
    const w = st.candidate === null ? 0 : st.weights[st.candidate];
    if (w === 0 || w === 100) {
        return null;
    }
    return st.nextMoveAt ?? plusMinutes(st.stepTakenAt, minStepMinutes);
}

/** The end of the warm hold (`warmUntil`, or for an older output `finalizedAt` + warmMinutes) while a slot is warm. */
function warmHoldEnd(st: RolloutState, warmMinutes: number): string | null {
    if (st.warm === null) {
        return null;
    }
    return st.warmUntil ?? (st.finalizedAt === null ? null : plusMinutes(st.finalizedAt, warmMinutes));
}

function phaseOf(st: RolloutState, known: boolean, hold: Hold | null): StatusPhase {
    const cand = st.candidate;
    if (cand === null) {
        return "stable";
    }
    const w = st.weights[cand];
    if (w === 100) {
        return "shifted";
    }
    if (w > 0) {
        return hold?.kind === "step" ? "paused" : "progressing";
    }
    if (abortedOf(st) !== null) {
        return "aborted";
    }
    if (st.warm === cand && st.replicas[cand] > 0) {
        // From the stack file alone the finalize's time is unknown: the slot is warm, for how long is not known.
        return !known || hold?.kind === "warm" ? "finalized-warm" : "decommission-due";
    }
    return st.versions[cand] !== null && st.replicas[cand] > 0 ? "staged" : "stable";
}

/** A pending update in words. */
function pendingSummary(kind: MoveKind, desired: RolloutState, deployed: RolloutState): string {
    const cand = desired.candidate ?? otherSlot(desired.live);
    const before = deployed.candidate === null ? 0 : deployed.weights[deployed.candidate];
    const after = desired.candidate === null ? 0 : desired.weights[desired.candidate];
    const v = (st: RolloutState, c: SlotColour) => st.versions[c] ?? "(empty)";
    switch (kind) {
        case "stage":
        case "first-deploy":
            return `the staging of ${cand} ${v(desired, cand)} at 0 %`;
        case "step":
            return `a step of ${cand} from ${before} % to ${after} %`;
        case "jump":
            return `a jump of ${cand} from ${before} % to ${after} %`;
        case "step-back":
            return `a step back of ${cand} from ${before} % to ${after} %`;
        case "rollback":
            return `a rollback: ${cand} from ${before} % to 0 %, all traffic to ${desired.live}`;
        case "finalize":
            return `a finalize: ${desired.live} ${v(desired, desired.live)} becomes live, ${otherSlot(desired.live)} stays warm`;
        case "rollback-after-finalize":
            return `a rollback after finalize: ${desired.live} ${v(desired, desired.live)} live again`;
        case "decommission":
            return `the decommission of ${cand} (no pods)`;
        case "update-in-place":
            return `an update of ${desired.live} in place to ${v(desired, desired.live)}`;
        case "flip":
            return `a flip of live to ${desired.live}`;
        case "unchanged":
            return "a change of the slots' builds or pods";
    }
}

/** Whether the stack file asks for another rollout state than the one deployed. */
function differs(desired: RolloutState, deployed: RolloutState): boolean {
    const builds = (c: SlotColour) => (deployed.builds[c] !== null ? desired.builds[c] !== deployed.builds[c] : desired.versions[c] !== deployed.versions[c]);
    return (
        desired.live !== deployed.live ||
        desired.strategy !== deployed.strategy ||
        (["blue", "green"] as const).some((c) => desired.weights[c] !== deployed.weights[c] || builds(c) || podsDiffer(desired.replicas[c], deployed.replicas[c]))
    );
}

/**
 * Whether a slot's pods differ in a way that needs an update of its own: it starts or stops running,
 * or it needs more. Fewer running pods than deployed is a rollback's candidate kept whole (a rollback
 * changes routing only): the next update scales it to its share, whatever it is.
 */
function podsDiffer(desired: number, deployed: number): boolean {
    return (desired === 0) !== (deployed === 0) || desired > deployed;
}

/** The release windows at an instant, for the status; null without any. */
function windowAt(windows: readonly ReleaseWindow[] | undefined, now: Date): Status["window"] {
    if (windows === undefined) {
        return null;
    }
    const at = isInside(windows, now);
    return { inside: at.inside, window: at.window === undefined ? null : describeWindow(at.window), nextOpening: nextOpening(windows, now).toISOString() };
}

/** A change the CLI can make, by its command's name. */
interface Candidate {
    readonly name: string;
    readonly make: (view: StackView) => Change;
}

/** The commands status may suggest (besides `start`, which needs a version, and `pulumi up`), by name. */
const CANDIDATES: Readonly<Record<"next" | "finalize" | "rollback" | "retry" | "decommission", Candidate>> = {
    next: { name: "next", make: nextChange },
    finalize: { name: "finalize", make: finalizeChange },
    rollback: { name: "rollback", make: rollbackChange },
    retry: { name: "retry", make: retryChange },
    decommission: { name: "decommission", make: decommissionChange },
};

type Attempt = { readonly ok: true; readonly summary: string } | { readonly ok: false; readonly message: string };

/** Whether a refusal: the decision's (ConfigError), or a command that cannot apply here (UsageError, e.g. retry without outputs). */
function refusalOf(e: unknown): string | undefined {
    return ConfigError.isInstance(e) || e instanceof UsageError ? (e as Error).message : undefined;
}

/**
 * Whether the decision `pulumi up` makes accepts a CLI command's edit at a time: applyChange's dry
 * run, nothing written (with what every CLI edit writes, `force: false`).
 */
function attempt(view: StackView, make: (view: StackView) => Change, at: Date): Attempt {
    try {
        const change = make(view);
        applyChange(view, change, { dryRun: true, now: at });
        return { ok: true, summary: change.summary };
    } catch (e) {
        const message = refusalOf(e);
        if (message === undefined) {
            throw e;
        }
        return { ok: false, message };
    }
}

/** Whether `pulumi up` accepts the stack file as it is (force as the file says) at a time. */
function attemptUp(view: StackView, at: Date): Attempt {
    try {
        decide(view.config, { now: at, previous: view.deployed, promotionSource: view.promotionSource, digestsKnown: false });
        return { ok: true, summary: "pulumi up" };
    } catch (e) {
        const message = refusalOf(e);
        if (message === undefined) {
            throw e;
        }
        return { ok: false, message };
    }
}

// ---------------------------------------------------------------------------
// The status.

/**
 * The status of a stack at `now`. The stack file is what is desired (`impliedState(view.config)`);
 * what is deployed is `view.deployed` when it came from the stack's outputs, else not known (the
 * stack file is shown, and the suggestion is decided against it, as `next` and the others are).
 */
export function status(view: StackView, now: Date = new Date(), options: StatusOptions = {}): Status {
    const s = `--stack ${view.stack}`;
    const cfg = view.config;
    const r = cfg.rollout;
    const known = view.deployedFrom === "outputs";
    const desired = impliedState(cfg);
    const shown = known ? view.deployed : desired;
    // Decisions against what is deployed; from the stack file alone, against what the file implies.
    const dv: StackView = known ? view : { ...view, deployed: desired, deployedFrom: "stack file" };
    const warnings: string[] = [];

    // The hold still ahead, from what is deployed (the stack file alone has no times).
    let hold: Hold | null = null;
    let holdUntil: string | null = null;
    if (known) {
        for (const [kind, until] of [["step", stepHoldEnd(shown, r.minStepMinutes)], ["warm", warmHoldEnd(shown, r.warmMinutes)]] as const) {
            const left = secondsUntil(until, now);
            holdUntil ??= until;
            if (hold === null && until !== null && left !== null && left > 0) {
                hold = { kind, until, remainingSeconds: left };
            }
        }
    }
    const phase = phaseOf(shown, known, hold);
    const aborted = abortedOf(shown);
    const cand = shown.candidate;
    const candWeight = cand === null ? 0 : shown.weights[cand];
    const ver = (c: SlotColour) => shown.versions[c] ?? "(empty)";
    const left = hold === null ? "" : `${duration(hold.remainingSeconds)} (at ${clock(hold.until, now)})`;

    // Each slot.
    const slots = (["blue", "green"] as const).map((c): SlotStatus => {
        const version = shown.versions[c];
        let role: SlotRole;
        let note: string | null = null;
        if (c === shown.live) {
            role = "stable";
        } else if (version === null) {
            role = "empty";
        } else if (shown.replicas[c] === 0) {
            role = "idle";
            note = cfg.slots[c].decommissioned ? "decommissioned" : "no pods";
        } else if (shown.warm === c) {
            role = "warm";
            const until = known ? warmHoldEnd(shown, r.warmMinutes) : null;
            const over = until !== null && (secondsUntil(until, now) ?? 0) <= 0;
            note =
                until === null
                    ? "warm since the finalize: the way back"
                    : over
                      ? `warm time over at ${clock(until, now)}: the way back until it is scaled down`
                      : `warm until ${clock(until, now)}: the way back`;
        } else if (aborted !== null && aborted.slot === c) {
            role = "idle";
            note = `rolled back at ${clock(aborted.at, now)}: takes no traffic until retried`;
        } else {
            role = "canary";
        }
        const since = known && role === "canary" ? shown.stepTakenAt : null;
        const sinceSeconds = since === null ? null : secondsUntil(since, now);
        return {
            colour: c,
            role,
            version,
            gitSha: shown.gitShas[c] ?? null,
            digest: known ? shown.digests[c] : (cfg.slots[c].digest ?? null),
            weight: shown.weights[c],
            replicas: shown.replicas[c],
            inStepSince: since,
            inStepSeconds: sinceSeconds === null ? null : Math.max(0, -sinceSeconds),
            note,
        };
    });

    // The phase in words.
    const stepOf = (st: RolloutState) => `step ${st.step}/${st.steps.length}`;
    const inStep = known && cand !== null ? ` for ${duration(Math.max(0, -(secondsUntil(shown.stepTakenAt, now) ?? 0)))}` : "";
    let summary: string;
    switch (phase) {
        case "stable":
            summary = `${shown.live} ${ver(shown.live)} carries all traffic; nothing is staged`;
            break;
        case "staged":
            summary = `${cand} ${ver(cand!)} is staged at 0 %: it runs and answers on its own name, takes no traffic yet`;
            break;
        case "progressing":
            summary = `${cand} ${ver(cand!)} carries ${candWeight} % (${stepOf(shown)})${inStep}${known ? "; its hold is over" : ""}`;
            break;
        case "paused":
            summary = `${cand} ${ver(cand!)} carries ${candWeight} % (${stepOf(shown)})${inStep}; next step allowed in ${left}`;
            break;
        case "aborted": {
            const from = rolledBackFrom(shown, aborted!);
            summary = `${aborted!.slot} ${aborted!.version ?? "(no version)"} was rolled back${from === null ? "" : ` from ${from} %`} at ${clock(aborted!.at, now)}; ${shown.live} ${ver(shown.live)} carries all traffic`;
            break;
        }
        case "shifted":
            summary = `${cand} ${ver(cand!)} carries all traffic (${stepOf(shown)})${inStep}; a finalize makes it live`;
            break;
        case "finalized-warm":
            summary =
                `${shown.live} ${ver(shown.live)} is live since the finalize${known && shown.finalizedAt !== null ? ` at ${clock(shown.finalizedAt, now)}` : ""}; ${cand} ${ver(cand!)} stays warm at 0 % for an instant rollback` +
                (hold === null ? " (for how long, the stack file does not say)" : `, for ${left}`);
            break;
        case "decommission-due": {
            const until = warmHoldEnd(shown, r.warmMinutes);
            summary = `${shown.live} ${ver(shown.live)} is live; ${cand} ${ver(cand!)} is still warm, its warm time ${until === null ? "is over" : `ended at ${clock(until, now)}`}: scale it down, or stage the next release into it`;
            break;
        }
    }

    // What `pulumi up` would change.
    let pending: Pending | null = null;
    if (known && differs(desired, view.deployed)) {
        const move = classify(cfg, { now, previous: view.deployed, promotionSource: view.promotionSource, digestsKnown: false });
        const text = pendingSummary(move.kind, desired, view.deployed);
        const tried = attemptUp(view, now);
        const heldUntil = !tried.ok && hold !== null && attemptUp(view, new Date(hold.until)).ok ? hold.until : null;
        pending = { command: `pulumi up ${s}`, move: move.kind, summary: text, refused: tried.ok ? null : tried.message, heldUntil };
    }

    if (r.force) {
        warnings.push(
            `slotshift:rollout.force is true in ${shortFile(view.file)}: force: true skips every hold and check until it is set back to false; the next CLI edit writes force: false`,
        );
    }
    if (pending !== null && pending.refused !== null && pending.heldUntil === null) {
        warnings.push(`pulumi up ${s} would refuse the stack file: ${pending.refused}`);
    }

    // The next command.
    const { next, alternatives } = suggest();

    // The last analysis.
    const record = readRecord(view.root, view.stack);
    let analysis: AnalysisStatus | null = null;
    if (record !== undefined) {
        const forDeployedStep =
            cand !== null &&
            record.candidate === cand &&
            record.version === shown.versions[cand] &&
            record.weight === candWeight &&
            (!known || record.stepTakenAt === shown.stepTakenAt);
        analysis = { verdict: record.verdict, at: record.at, slot: record.candidate, version: record.version, weight: record.weight, stepTakenAt: record.stepTakenAt, forDeployedStep };
        if (forDeployedStep && candWeight > 0 && record.verdict === "fail") {
            warnings.push(`the last analysis of ${cand} ${ver(cand)} at ${candWeight} % failed (at ${clock(record.at, now)}): roll back with slotshift rollback ${s}`);
        }
    }

    const source = known
        ? `the stack's outputs${options.source === undefined ? "" : ` (${options.source})`}`
        : `the stack file only (${shortFile(view.file)}): what is deployed is not known${options.unknownBecause === undefined ? "" : ` (${options.unknownBecause})`}, so neither are holds nor times; ` +
          `give --previous FILE (pulumi stack output --json ${s} > FILE) or use the Pulumi CLI (logged in to the stack's backend)`;

    return {
        statusVersion: STATUS_VERSION,
        stack: view.stack,
        environment: cfg.environment,
        strategy: r.strategy,
        now: now.toISOString(),
        deployedFrom: known ? "outputs" : "unknown",
        source,
        phase,
        summary,
        desired: sideOf(desired),
        deployed: known ? sideOf(view.deployed) : null,
        pending,
        steps: [...r.steps],
        slots,
        hold,
        holdUntil,
        aborted,
        analysis,
        next,
        alternatives,
        warnings,
        window: windowAt(cfg.promotion.windows, now),
    };

    /** The first legal move of the phase, and the other legal ones. */
    function suggest(): { next: Suggestion | null; alternatives: Suggestion[] } {
        const tried = new Map<string, Attempt>();
        const at = (c: Candidate, t: Date): Attempt => {
            const key = `${c.name}@${t.toISOString()}`;
            if (!tried.has(key)) {
                tried.set(key, attempt(dv, c.make, t));
            }
            return tried.get(key)!;
        };
        const cmd = (name: string) => `slotshift ${name} ${s}`;
        /** The move if legal now. */
        const run = (c: Candidate | undefined, why?: string): Suggestion | null => {
            if (c === undefined) {
                return null;
            }
            const a = at(c, now);
            return a.ok ? { kind: "run", command: cmd(c.name), why: why ?? a.summary, at: null, checked: true } : null;
        };
        /** The move if legal now, or else once the hold is over (and then only). */
        const runOrWait = (c: Candidate | undefined, kind: Hold["kind"], why?: string): Suggestion | null => {
            const now_ = run(c, why);
            if (now_ !== null || c === undefined || hold === null || hold.kind !== kind) {
                return now_;
            }
            const later = at(c, new Date(hold.until));
            if (!later.ok) {
                return null;
            }
            const what = kind === "step" ? `the step holds until ${clock(hold.until, now)} (slotshift:rollout.minStepMinutes ${r.minStepMinutes})` : `${cand} stays warm until ${clock(hold.until, now)} (slotshift:rollout.warmMinutes ${r.warmMinutes})`;
            return { kind: "wait", command: cmd(c.name), why: `${what}, ${duration(hold.remainingSeconds)} from now; then: ${why ?? later.summary}`, at: hold.until, checked: true };
        };
        const start = (why: string): Suggestion => ({ kind: "template", command: `slotshift start <version> --sha <git-sha> ${s}`, why, at: null, checked: false });
        const back = (why?: string) => run(CANDIDATES.rollback, why);

        let next: Suggestion | null = null;
        const alternatives: (Suggestion | null)[] = [];
        if (pending !== null) {
            // The stack file is ahead of what is deployed: applying it comes first, when it may be applied.
            if (pending.refused === null) {
                next = { kind: "run", command: pending.command, why: `apply the stack file: ${pending.summary}`, at: null, checked: true };
            } else if (hold !== null && pending.heldUntil !== null) {
                const what = hold.kind === "step" ? `the step holds until ${clock(hold.until, now)} (slotshift:rollout.minStepMinutes ${r.minStepMinutes})` : `${cand} stays warm until ${clock(hold.until, now)} (slotshift:rollout.warmMinutes ${r.warmMinutes})`;
                next = { kind: "wait", command: pending.command, why: `${what}, ${duration(hold.remainingSeconds)} from now; then: apply the stack file: ${pending.summary}`, at: hold.until, checked: true };
            }
            if (next !== null) {
                return { next, alternatives: [back()].filter((x): x is Suggestion => x !== null) };
            }
        }
        switch (phase) {
            case "stable":
                next = start(r.strategy === "direct" ? `update ${shown.live} in place` : `stage a release in ${otherSlot(shown.live)} at 0 %`);
                break;
            case "staged":
                next = run(CANDIDATES.next);
                if (next !== null && !known) {
                    next = { ...next, why: `${next.why} (from the stack file alone a rolled-back build looks staged: pulumi up refuses to step it without slotshift retry)` };
                }
                break;
            case "progressing":
            case "paused":
                next = runOrWait(CANDIDATES.next, "step");
                alternatives.push(back());
                break;
            case "shifted":
                next = run(CANDIDATES.finalize);
                alternatives.push(back());
                break;
            case "aborted":
                next = run(CANDIDATES.retry, `step the rolled-back build ${aborted!.version ?? ""} again from the first step (only if the rollback was not its fault)`.replace("  ", " "));
                alternatives.push(start(`stage a fixed build in ${aborted!.slot} instead`));
                break;
            case "finalized-warm": {
                const d = CANDIDATES.decommission;
                if (hold !== null) {
                    next = runOrWait(d, "warm", `scale ${cand} down`);
                } else if (d !== undefined && !known) {
                    next = { kind: "wait", command: cmd(d.name), why: `once ${cand}'s warm time (slotshift:rollout.warmMinutes ${r.warmMinutes} after the finalize) is over: the stack file does not say when the finalize was; pulumi up refuses it before`, at: null, checked: false };
                }
                alternatives.push(back(`the way back while ${cand} is warm: make ${cand} ${ver(cand!)} live again`));
                break;
            }
            case "decommission-due":
                next = run(CANDIDATES.decommission, `scale ${cand} down: its warm time is over`);
                alternatives.push(start(`stage the next release in ${cand} (it replaces the warm build)`));
                alternatives.push(back(`the way back, while ${cand} still runs: make ${cand} ${ver(cand!)} live again`));
                break;
        }
        if (next === null) {
            // The move of the phase is refused (not only by a hold): say why. Nothing else is put in
            // its place: a rollback stays an alternative, never the next step by default.
            const wanted = phase === "shifted" ? CANDIDATES.finalize : phase === "aborted" ? CANDIDATES.retry : phase === "finalized-warm" || phase === "decommission-due" ? CANDIDATES.decommission : CANDIDATES.next;
            if (wanted !== undefined && phase !== "stable") {
                const a = at(wanted, now);
                if (!a.ok) {
                    warnings.push(`${cmd(wanted.name)} is refused: ${a.message}`);
                }
            }
        }
        const seen = new Set(next === null ? [] : [next.command]);
        const alts = alternatives.filter((x): x is Suggestion => x !== null && !seen.has(x.command) && (seen.add(x.command), true));
        return { next, alternatives: alts };
    }
}

/** The weight a rollback took the aborted build from, from the history; null when not recorded. */
function rolledBackFrom(st: RolloutState, a: Aborted): number | null {
    const history = st.history ?? [];
    const i = history.findIndex((h) => h.at === a.at && (h.transition === "rollback" || h.transition === "rollback-after-finalize"));
    if (i <= 0) {
        return null;
    }
    const before = history[i - 1];
    return before.transition === "finalize" ? 100 : before.weight;
}

/** The stack file's name, for messages. */
function shortFile(file: string): string {
    return file.split(/[\\/]/).pop() ?? file;
}

// ---------------------------------------------------------------------------
// Rendering.

const LABEL = 12;
const label = (t: string) => `  ${t.padEnd(LABEL)}`;

/** A side's candidate and weight in words: `green 1.1.0 at 25 % (step 2/4)`. */
function weightText(side: RolloutSide): string {
    if (side.candidate === null) {
        return "- (strategy direct: no traffic split)";
    }
    return `${side.candidate} ${side.versions[side.candidate] ?? "empty"} at ${side.weight} %${side.weight === 0 ? "" : ` (step ${side.step}/${side.stepCount})`}`;
}

/** A suggestion as a line: the command, then why. */
function suggestionText(x: Suggestion): string {
    if (x.kind === "wait") {
        const [reason, then] = x.why.split("; then: ");
        return then === undefined ? `wait: ${x.why}; then ${x.command}` : `wait: ${reason}; then ${x.command}   # ${then}`;
    }
    return `${x.command}   # ${x.why}`;
}

/** The status as lines for a terminal. */
export function renderStatus(s: Status): string {
    const now = new Date(s.now);
    const lines = [`stack ${s.stack} (environment ${s.environment}, strategy ${s.strategy})`];
    for (const w of s.warnings) {
        lines.push(`! ${w}`);
    }
    if (s.deployed === null) {
        lines.push(`${label("view")}${s.source}`);
    } else {
        lines.push(`${label("deployed")}from ${s.source}`);
    }
    lines.push(`${label("phase")}${s.phase}: ${s.summary}`);

    // Desired and deployed, side by side.
    const d = s.desired;
    if (s.deployed === null) {
        lines.push(`${label("live")}${d.live} ${d.versions[d.live] ?? "(empty)"}`);
        lines.push(`${label("weight")}${weightText(d)}`);
    } else {
        const p = s.deployed;
        const left = [`${d.live} ${d.versions[d.live] ?? "(empty)"}`, weightText(d)];
        const right = [`${p.live} ${p.versions[p.live] ?? "(empty)"}`, weightText(p)];
        const width = Math.max(22, ...left.map((x) => x.length)) + 3;
        lines.push(`${label("")}${"desired (stack file)".padEnd(width)}deployed`);
        lines.push(`${label("live")}${left[0].padEnd(width)}${right[0]}`);
        lines.push(`${label("weight")}${left[1].padEnd(width)}${right[1]}`);
    }
    const shownWeight = (s.deployed ?? s.desired).weight;
    if ((s.deployed ?? s.desired).candidate !== null && ["staged", "progressing", "paused", "aborted", "shifted"].includes(s.phase)) {
        lines.push(`${label("steps")}${weightBar(s.steps, shownWeight)}`);
    }
    if (s.pending !== null) {
        const p = s.pending;
        const after = p.refused === null ? "" : p.heldUntil !== null ? ` (once the hold is over, at ${clock(p.heldUntil, now)})` : " (it would be refused: see above)";
        lines.push(`${label("pending")}${p.command} applies ${p.summary}${after}`);
    }

    // The slots.
    const rows = s.slots.map((x) => [
        x.colour,
        x.role,
        x.version ?? "-",
        shortSha(x.gitSha) ?? "-",
        shortDigest(x.digest) ?? "-",
        `${x.weight} %`,
        `${x.replicas} pod${x.replicas === 1 ? "" : "s"}`,
        [x.inStepSeconds === null ? null : `in step ${duration(x.inStepSeconds)}`, x.note].filter((t) => t !== null).join("; "),
    ]);
    const widths = rows[0].map((_c, i) => Math.max(...rows.map((row) => row[i].length)));
    rows.forEach((row, i) => {
        const cells = row.map((c, j) => (j === 5 || j === 6 ? c.padStart(widths[j]) : c.padEnd(widths[j])));
        lines.push(`${label(i === 0 ? "slots" : "")}${cells.join("  ").trimEnd()}`);
    });

    // The last analysis.
    if (s.analysis !== null) {
        const a = s.analysis;
        lines.push(
            `${label("analysis")}${a.verdict} at ${clock(a.at, now)}, of ${a.slot} ${a.version ?? "-"} at ${a.weight} % ` +
                `(${a.forDeployedStep ? "the step deployed" : "not the step deployed: an earlier one"})`,
        );
    } else {
        const side = s.deployed ?? s.desired;
        if (side.candidate !== null && side.weight > 0) {
            lines.push(`${label("analysis")}none recorded for this stack (slotshift analyze --stack ${s.stack})`);
        }
    }

    // The release windows.
    if (s.window !== null) {
        const w = s.window;
        lines.push(
            `${label("window")}${w.inside ? `inside ${w.window}: steps may be taken` : `outside every release window: steps are refused until ${clock(w.nextOpening, now)}`}` +
                `${w.inside ? "" : " (slotshift:promotion.windows; rollbacks any time)"}`,
        );
    }

    // What to do.
    if (s.next === null) {
        lines.push(`${label("next")}nothing to run now${s.alternatives.length > 0 ? " (but, if needed:)" : ""}`);
    } else {
        lines.push(`${label("next")}${suggestionText(s.next)}`);
    }
    for (const x of s.alternatives) {
        lines.push(`${label("or")}${suggestionText(x)}`);
    }
    return lines.join("\n");
}

/** The history of a stack's transitions as a table (`slotshift history`). */
export function renderHistory(state: RolloutState | undefined, stack: string): string {
    if (state === undefined) {
        return `nothing deployed is known: give --previous FILE or install the Pulumi CLI (pulumi stack output --json --stack ${stack} writes the FILE)`;
    }
    const history: readonly HistoryEntry[] = state.history ?? [];
    if (history.length === 0) {
        return `no history recorded: the outputs are older than the field (the next pulumi up --stack ${stack} starts it)`;
    }
    const rows = [
        ["time", "transition", "live", "weight", "blue", "green", "flags"],
        ...history.map((h) => [
            h.at.replace("T", " ").replace(/\.\d+Z$/, "Z"),
            h.transition,
            h.live,
            `${h.weight} %`,
            h.versions.blue ?? "-",
            h.versions.green ?? "-",
            [h.forced ? "forced" : null, h.retried ? "retried" : null].filter((f) => f !== null).join(", "),
        ]),
    ];
    const widths = rows[0].map((_c, i) => Math.max(...rows.map((row) => row[i].length)));
    const table = rows.map((row) => `  ${row.map((c, j) => (j === 3 ? c.padStart(widths[j]) : c.padEnd(widths[j]))).join("  ").trimEnd()}`);
    return [`history of ${stack}: the last ${history.length} transition(s), oldest first (the rollout output keeps at most ${HISTORY_LIMIT})`, ...table].join("\n");
}
