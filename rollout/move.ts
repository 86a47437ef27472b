/**
 * The first part of the decision: what kind of move an update is, from the state the previous
 * update left and the config. Pure, and it never refuses: the rules (rollout/rules/) judge the
 * move, and rollout/decide.ts computes the state it leaves.
 */
import { SlotColour, SlotshiftConfig, otherSlot } from "./config";
import { RolloutState, Transition, buildOf, isRunning, nextStepAfter } from "./state";

/**
 * What an update does. Every recorded transition, and `flip`: `live` changed otherwise than by a
 * finalize (the candidate at 100 %) or a rollback after finalize (back to the warm slot), which is
 * always refused.
 */
export type MoveKind = Transition | "flip";

/** The moves that keep the live slot and shift traffic (strategy canary or blue-green). */
export const SAME_LIVE_MOVES = ["unchanged", "stage", "step", "jump", "step-back", "rollback", "decommission"] as const satisfies readonly MoveKind[];

/** The moves from a previous state (all but a first deploy). */
export const MOVES_FROM_A_STATE = [...SAME_LIVE_MOVES, "finalize", "rollback-after-finalize", "flip", "update-in-place"] as const satisfies readonly MoveKind[];

/** What the decision needs besides the config. */
export interface DecisionContext {
    /** The current time: step ages and warm holds are measured from it. */
    readonly now: Date;
    /** The rollout state of the last successful update; undefined for a stack never updated. */
    readonly previous?: RolloutState;
    /** The `rollout` output of the `promotion.from` stack; undefined when it has none. */
    readonly promotionSource?: RolloutState;
    /**
     * Whether digests are known (they are in `pulumi up` and the offline plan). The CLI, which
     * reads states implied by stack files, has none: it leaves the digest checks to `pulumi up`. @default true
     */
    readonly digestsKnown?: boolean;
}

/** A classified move: its kind and the facts every rule and the next state read. */
export interface Move {
    readonly kind: MoveKind;
    readonly cfg: SlotshiftConfig;
    readonly ctx: DecisionContext;
    /** The previous state; undefined only for a first deploy. */
    readonly previous: RolloutState | undefined;
    /** Strategy direct: the live slot is updated in place and no traffic moves. */
    readonly direct: boolean;
    readonly live: SlotColour;
    readonly candidate: SlotColour;
    /** The candidate's weight this update asks for (0 with strategy direct). */
    readonly weight: number;
    /** The weight the previous update left on its candidate (0 for a first deploy and with strategy direct). */
    readonly previousWeight: number;
    /** The step after the previous weight, in this config's steps. */
    readonly next: number | undefined;
    /** The candidate's build differs from the one the previous update ran in that slot. */
    readonly candidateChanged: boolean;
    /** The candidate is the slot the last finalize left warm. */
    readonly candidateWasWarm: boolean;
    /** `steps` or `strategy` differ from the previous update's. */
    readonly shapeChanged: boolean;
    /**
     * A build new to the candidate slot is deployed in this update (a first deploy or a stage):
     * promotion and the version order judge it. Never with strategy direct; the candidate then has a version.
     */
    readonly newBuild: boolean;
}

/** The version config gives a slot; null for an empty one. */
export const versionOf = (cfg: SlotshiftConfig, c: SlotColour): string | null => cfg.slots[c].version ?? null;

/**
 * Whether a slot's build in config is the one the previous state recorded. An output written
 * before builds were recorded has only versions: they are compared then.
 */
export function sameBuild(previous: RolloutState, cfg: SlotshiftConfig, c: SlotColour): boolean {
    return previous.builds[c] === null && previous.versions[c] !== null ? versionOf(cfg, c) === previous.versions[c] : buildOf(cfg, c) === previous.builds[c];
}

/** Whether the slot `live` names may take over as live again: the warm slot, running the build it was left with. */
function isWarmWayBack(previous: RolloutState, cfg: SlotshiftConfig, live: SlotColour): boolean {
    return previous.warm === live && previous.replicas[live] > 0 && isRunning(cfg, live) && sameBuild(previous, cfg, live);
}

/** Classifies an update. Never throws: what is illegal about the move is for the rules to say. */
export function classify(cfg: SlotshiftConfig, ctx: DecisionContext): Move {
    const r = cfg.rollout;
    const P = ctx.previous;
    const direct = r.strategy === "direct";
    const live = r.live;
    const candidate = otherSlot(live);
    const weight = direct ? 0 : r.weight;
    const base = { cfg, ctx, previous: P, direct, live, candidate, weight };
    if (P === undefined) {
        const newBuild = !direct && versionOf(cfg, candidate) !== null;
        const facts = { previousWeight: 0, next: nextStepAfter(0, r.steps), candidateChanged: newBuild, candidateWasWarm: false, shapeChanged: false, newBuild };
        return { ...base, ...facts, kind: "first-deploy" };
    }
    const previousWeight = P.strategy === "direct" ? 0 : P.weights[otherSlot(P.live)];
    const candidateChanged = !sameBuild(P, cfg, candidate);
    const facts = {
        previousWeight,
        next: nextStepAfter(previousWeight, r.steps),
        candidateChanged,
        candidateWasWarm: P.warm === candidate,
        shapeChanged: P.strategy !== r.strategy || JSON.stringify(P.steps) !== JSON.stringify(r.steps),
    };
    const move = (kind: MoveKind, newBuild = false): Move => ({ ...base, ...facts, newBuild, kind });
    if (live !== P.live) {
        if (direct) {
            return move("flip");
        }
        if (P.weights[live] === 100) {
            return move("finalize");
        }
        return move(isWarmWayBack(P, cfg, live) ? "rollback-after-finalize" : "flip");
    }
    if (direct) {
        return move(versionOf(cfg, live) === P.versions[live] ? "unchanged" : "update-in-place");
    }
    if (weight > previousWeight) {
        return move(weight === facts.next ? "step" : "jump");
    }
    if (weight < previousWeight) {
        return move(weight === 0 ? "rollback" : "step-back");
    }
    if (candidateChanged) {
        const staged = versionOf(cfg, candidate) !== null;
        return move(staged ? "stage" : "decommission", staged);
    }
    if (isRunning(cfg, candidate) !== P.replicas[candidate] > 0) {
        return move(isRunning(cfg, candidate) ? "stage" : "decommission");
    }
    return move("unchanged");
}

// ---------------------------------------------------------------------------
// Time and words the rules' refusals share.

/** Minutes between two times, rounded down. */
export function minutesBetween(from: string, to: Date): number {
    const t = Date.parse(from);
    return Number.isNaN(t) ? Number.POSITIVE_INFINITY : Math.floor((to.getTime() - t) / 60000);
}

/** Whole minutes from `now` until `until` (at least 1 while it is ahead); 0 once it has passed. */
export function minutesLeft(until: string | null, now: Date): number {
    if (until === null) {
        return 0;
    }
    const ms = Date.parse(until) - now.getTime();
    return Number.isNaN(ms) || ms <= 0 ? 0 : Math.ceil(ms / 60000);
}

/** `at` plus `minutes`, as ISO 8601. */
export const plus = (at: Date, minutes: number): string => new Date(at.getTime() + minutes * 60000).toISOString();

/** A weight in words. */
export const pct = (w: number): string => `${w} %`;

/** The legal weights after `prevW` (below the last step: a jump is always from below it), in words, for refusals. */
export function legalAfter(prevW: number, steps: readonly number[]): string {
    const lower = steps.filter((s) => s < prevW);
    const parts = [`the next step is ${nextStepAfter(prevW, steps)}`];
    if (lower.length > 0) {
        parts.push(`a lower step (${lower.join(", ")})`);
    }
    if (prevW > 0) {
        parts.push("0 to roll back");
    }
    return parts.join(", or ");
}
