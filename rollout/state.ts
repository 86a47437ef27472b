/**
 * The rollout state a stack is in, as the `rollout` output records it: the
 * contract the next update, the CLI and other stacks read. Pure.
 */
import { createHash } from "crypto";
import { z } from "zod";
import { SLOT_COLOURS, STRATEGIES, SlotColour, SlotshiftConfig, Strategy, otherSlot } from "./config";
import { slotWeights } from "./routing";
import { compareVersions } from "./versions";

/** Where a rollout stands. */
export const PHASES = ["stable", "staged", "shifting", "shifted"] as const;
export type Phase = (typeof PHASES)[number];

/** What an update does, as decided from the config and the previous state. */
export const TRANSITIONS = [
    "first-deploy",
    "unchanged",
    "stage",
    "step",
    "jump",
    "step-back",
    "rollback",
    "finalize",
    "rollback-after-finalize",
    "decommission",
    "update-in-place",
] as const;
export type Transition = (typeof TRANSITIONS)[number];

/** The `rollout` stack output. */
export interface RolloutState {
    readonly strategy: Strategy;
    /** The slot that holds the stable version. */
    readonly live: SlotColour;
    /** The other slot; null with strategy direct. */
    readonly candidate: SlotColour | null;
    /** Each slot's share of traffic in percent; they sum to 100. */
    readonly weights: Readonly<Record<SlotColour, number>>;
    /** What each slot runs; null for an empty slot. */
    readonly versions: Readonly<Record<SlotColour, string | null>>;
    /** The image digest each slot runs; null for an empty slot. */
    readonly digests: Readonly<Record<SlotColour, string | null>>;
    /** The git commit each slot's image was built from; null when not given. */
    readonly gitShas: Readonly<Record<SlotColour, string | null>>;
    /** Replicas each slot runs. */
    readonly replicas: Readonly<Record<SlotColour, number>>;
    readonly phase: Phase;
    /** 1-based index of the candidate's weight in `steps`; 0 at weight 0. */
    readonly step: number;
    /** The weight the next step sets, or null when the next move is finalize (or nothing is staged). */
    readonly nextStep: number | null;
    /** The steps of this stack. */
    readonly steps: readonly number[];
    /** The slot that was live before the last finalize and still runs its version: where a rollback after finalize goes. */
    readonly warm: SlotColour | null;
    /** When the candidate's current weight (or the live slot) was set, ISO 8601. */
    readonly stepTakenAt: string;
    /**
     * When the candidate's current build began carrying traffic in this run, ISO 8601: set when its
     * weight goes from 0 to above 0, kept while it stays above 0 (steps, jumps, steps back), null
     * whenever it is at 0 (staged, rolled back, stable, finalized) and with strategy direct.
     * An alert on the candidate that fired at or after it concerns the build carrying traffic now.
     */
    readonly trafficSince: string | null;
    /** When the last finalize happened, while the previous slot is warm; else null. */
    readonly finalizedAt: string | null;
    /** The earliest time the next canary step may be taken (the hold the step was taken with); null when none holds. */
    readonly nextMoveAt: string | null;
    /** Until when the warm slot must be kept as it is (the finalize's warmMinutes); null when none is warm. */
    readonly warmUntil: string | null;
    /** Each slot's build as config describes it (version, git sha, digest, build metadata); null for an empty slot. */
    readonly builds: Readonly<Record<SlotColour, string | null>>;
    /** The image repository the slots run from. */
    readonly image: string;
    /** Whether pinned tenants are routed to the candidate: from staging to 100 %, not after a rollback. */
    readonly pinTenants: boolean;
    /** What the update that wrote this state did. */
    readonly transition: Transition;
    /**
     * The build a rollback took traffic from, while it stays in its slot at 0 %: stepping it again
     * needs `slotshift:rollout.retry` set to `at` (rule retry-after-rollback). Null otherwise.
     */
    readonly aborted: Aborted | null;
    /** The last transitions (not `unchanged`), oldest first, at most HISTORY_LIMIT. */
    readonly history: readonly HistoryEntry[];
    /**
     * The builds (`buildId`) whose expand migration runs as a Job while they run: each deployed while
     * `slotshift:migrations.expand` was declared. A build already running when migrations were first
     * declared is not among them: its image may have no migration command, and its schema is in place.
     */
    readonly expanded: readonly string[];
}

/** A build's short ID: the first 10 hex digits of the SHA-256 of its `builds` string (names its migration Job). */
export function buildId(build: string): string {
    return createHash("sha256").update(build).digest("hex").slice(0, 10);
}

/** A build a rollback took traffic from. */
export interface Aborted {
    /** The slot it runs in: the candidate after the rollback. */
    readonly slot: SlotColour;
    readonly version: string | null;
    /** Its build as config described it (`builds`). */
    readonly build: string | null;
    /** When the rollback happened, ISO 8601: the value `slotshift:rollout.retry` must hold to step it again. */
    readonly at: string;
}

/** One recorded transition. */
export interface HistoryEntry {
    readonly at: string;
    readonly transition: Transition;
    readonly live: SlotColour;
    /** The candidate's weight it left (0 with strategy direct). */
    readonly weight: number;
    readonly versions: Readonly<Record<SlotColour, string | null>>;
    /** `slotshift:rollout.force` let it pass a rule that would have refused it. */
    readonly forced: boolean;
    /** It stepped a rolled-back build again (`slotshift:rollout.retry`). */
    readonly retried: boolean;
}

/** How many transitions the `rollout` output keeps. */
export const HISTORY_LIMIT = 20;

const colours = z.enum(SLOT_COLOURS);
const perSlot = <T extends z.ZodType>(t: T) => z.object({ blue: t, green: t });

/** The schema of a `rollout` output read back from a previous update (extra keys are ignored). */
const rolloutStateSchema = z.object({
    strategy: z.enum(STRATEGIES),
    live: colours,
    candidate: colours.nullable(),
    weights: perSlot(z.int().min(0).max(100)),
    versions: perSlot(z.string().nullable()),
    digests: perSlot(z.string().nullable()),
    gitShas: perSlot(z.string().nullable()).default({ blue: null, green: null }),
    replicas: perSlot(z.int().min(0)),
    phase: z.enum(PHASES),
    step: z.int().min(0),
    nextStep: z.int().nullable(),
    steps: z.array(z.int()),
    warm: colours.nullable().default(null),
    stepTakenAt: z.string().default("1970-01-01T00:00:00.000Z"),
    trafficSince: z.string().nullable().optional(),
    finalizedAt: z.string().nullable().default(null),
    nextMoveAt: z.string().nullable().default(null),
    warmUntil: z.string().nullable().default(null),
    builds: perSlot(z.string().nullable()).default({ blue: null, green: null }),
    image: z.string().default(""),
    pinTenants: z.boolean().default(false),
    transition: z.enum(TRANSITIONS).default("unchanged"),
    aborted: z.object({ slot: colours, version: z.string().nullable(), build: z.string().nullable(), at: z.string() }).nullable().default(null),
    history: z
        .array(
            z.object({
                at: z.string(),
                transition: z.enum(TRANSITIONS),
                live: colours,
                weight: z.int().min(0).max(100),
                versions: perSlot(z.string().nullable()),
                forced: z.boolean().default(false),
                retried: z.boolean().default(false),
            }),
        )
        .max(HISTORY_LIMIT * 5)
        .default([]),
    expanded: z.array(z.string().regex(/^[0-9a-f]{10}$/)).max(2).default([]),
}).transform((s) => ({ ...s, trafficSince: s.trafficSince === undefined ? trafficSinceOfOlder(s) : s.trafficSince }));

/**
 * `trafficSince` for an output written before the field existed. A candidate at 0 % (or none, with
 * strategy direct) carries no traffic: null. One above 0 % began carrying it at some time no later
 * than `stepTakenAt`, when its current weight was set (a build never changes while it carries
 * traffic), but when exactly is not recorded: `stepTakenAt` is the earliest time the output proves
 * this build carried traffic, so an alert after it surely concerns this build, and one before it is
 * treated as stale, as it was before the field.
 */
function trafficSinceOfOlder(s: { strategy: Strategy; candidate: SlotColour | null; weights: Record<SlotColour, number>; stepTakenAt: string }): string | null {
    return s.strategy === "direct" || s.candidate === null || s.weights[s.candidate] === 0 ? null : s.stepTakenAt;
}

/**
 * Reads the `rollout` output of a previous update. `undefined` or `null` (no such output: a stack
 * never updated, whose outputs are `{}`, has no `rollout` key) gives undefined, a first deploy;
 * anything else, `{}` included, must have the output's shape (docs/ARCHITECTURE.md, "Reading an
 * older output") or is refused.
 *
 * @throws Error naming what is wrong, when the value is not a rollout state
 */
export function readRolloutState(value: unknown): RolloutState | undefined {
    if (value === undefined || value === null) {
        return undefined;
    }
    const result = rolloutStateSchema.safeParse(value);
    if (!result.success) {
        const issue = result.error.issues[0];
        throw new Error(`the rollout output is not one slotshift wrote: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    }
    return result.data;
}

/** Whether a slot runs pods: it has a version and is not decommissioned (and, with direct, is live). */
export function isRunning(cfg: SlotshiftConfig, colour: SlotColour): boolean {
    if (cfg.rollout.strategy === "direct" && colour !== cfg.rollout.live) {
        return false;
    }
    const s = cfg.slots[colour];
    return s.version !== undefined && !s.decommissioned;
}

/** The step after `weight` in `steps` (the first step from 0), or undefined past the last. */
export function nextStepAfter(weight: number, steps: readonly number[]): number | undefined {
    return steps.find((s) => s > weight);
}

/**
 * The pods a canary's candidate needs for a share of traffic: the share of `app.replicas` plus
 * `capacity.headroomPercent`, rounded up, at least 1, never more than `app.replicas`.
 */
export function podsForShare(cfg: SlotshiftConfig, weight: number): number {
    const r = cfg.app.replicas;
    const pods = Math.ceil((r * weight * (100 + cfg.capacity.headroomPercent)) / 10000 - 1e-9);
    return Math.min(r, Math.max(1, pods));
}

/**
 * The pods a slot runs by its config (rollout/config/capacity.ts): none when it does not run; the
 * live slot, the warm slot, a blue-green candidate and a `full` canary's candidate `app.replicas`;
 * a `proportional` canary's candidate the pods for its share, for its first step while staged at 0 %,
 * and `app.replicas` from the last step on. With `app.autoscale` this is the autoscaler's minimum
 * (raised to `autoscale.min`).
 */
export function slotReplicas(cfg: SlotshiftConfig, colour: SlotColour, warm: SlotColour | null): number {
    if (!isRunning(cfg, colour)) {
        return 0;
    }
    const r = cfg.rollout;
    const floor = (n: number) => Math.max(n, cfg.app.autoscale?.min ?? 1);
    if (colour === r.live || colour === warm || r.strategy !== "canary" || cfg.capacity.canaryScale === "full") {
        return floor(cfg.app.replicas);
    }
    const last = r.steps[r.steps.length - 1];
    return floor(r.weight >= last ? cfg.app.replicas : podsForShare(cfg, r.weight === 0 ? r.steps[0] : r.weight));
}

/** A slot's build as its config describes it: what must not change while the slot carries traffic. */
export function buildOf(cfg: SlotshiftConfig, colour: SlotColour): string | null {
    const s = cfg.slots[colour];
    if (s.version === undefined) {
        return null;
    }
    const { version, gitSha, digest, buildNumber, buildDate, branch, nodeVersion, npmVersion } = s;
    return JSON.stringify({ version, gitSha, digest, buildNumber, buildDate, branch, nodeVersion, npmVersion });
}

/** The first field in which two builds differ, for refusals: `[field, before, after]`. */
export function buildDifference(before: string | null, after: string | null): [string, unknown, unknown] | undefined {
    if (before === after) {
        return undefined;
    }
    const a = (before === null ? {} : JSON.parse(before)) as Record<string, unknown>;
    const b = (after === null ? {} : JSON.parse(after)) as Record<string, unknown>;
    for (const k of ["version", "gitSha", "digest", "buildNumber", "buildDate", "branch", "nodeVersion", "npmVersion"]) {
        if (a[k] !== b[k]) {
            return [k, a[k], b[k]];
        }
    }
    return ["version", a.version, b.version];
}

/** The parts of a rollout state that follow from a config and which slot is warm. */
export type ConfigState = Omit<
    RolloutState,
    "digests" | "stepTakenAt" | "trafficSince" | "finalizedAt" | "transition" | "nextMoveAt" | "warmUntil" | "pinTenants" | "aborted" | "history" | "expanded"
>;

/** What a config puts the slots and the router in, given the warm slot (if any). */
export function stateOf(cfg: SlotshiftConfig, warm: SlotColour | null): ConfigState {
    const r = cfg.rollout;
    const direct = r.strategy === "direct";
    const live = r.live;
    const cand = otherSlot(live);
    const w = direct ? 0 : r.weight;
    let phase: Phase;
    if (direct) {
        phase = "stable";
    } else if (w === 0) {
        phase = isRunning(cfg, cand) && warm !== cand ? "staged" : "stable";
    } else {
        phase = w === 100 ? "shifted" : "shifting";
    }
    const step = w === 0 ? 0 : r.steps.indexOf(w) + 1;
    const nextStep = phase === "staged" ? r.steps[0] : phase === "shifting" ? nextStepAfter(w, r.steps) ?? null : null;
    const version = (c: SlotColour) => cfg.slots[c].version ?? null;
    return {
        strategy: r.strategy,
        live,
        candidate: direct ? null : cand,
        weights: slotWeights(live, w),
        versions: { blue: version("blue"), green: version("green") },
        gitShas: { blue: cfg.slots.blue.gitSha ?? null, green: cfg.slots.green.gitSha ?? null },
        builds: { blue: buildOf(cfg, "blue"), green: buildOf(cfg, "green") },
        image: cfg.app.image,
        replicas: { blue: slotReplicas(cfg, "blue", warm), green: slotReplicas(cfg, "green", warm) },
        phase,
        step,
        nextStep,
        steps: [...r.steps],
        warm,
    };
}

/**
 * The state a stack file implies when nothing better is known (no outputs of
 * the last update at hand): the file is taken as what is deployed. A running
 * candidate at 0 % older than live is the slot a finalize left warm. Times are
 * unknown and taken as long past, so holds are left to `pulumi up` to check.
 */
export function impliedState(cfg: SlotshiftConfig): RolloutState {
    const cand = otherSlot(cfg.rollout.live);
    const candVersion = cfg.slots[cand].version;
    const liveVersion = cfg.slots[cfg.rollout.live].version;
    const warm =
        cfg.rollout.strategy !== "direct" &&
        cfg.rollout.weight === 0 &&
        isRunning(cfg, cand) &&
        candVersion !== undefined &&
        liveVersion !== undefined &&
        compareVersions(candVersion, liveVersion) < 0
            ? cand
            : null;
    const longAgo = "1970-01-01T00:00:00.000Z";
    const state = stateOf(cfg, warm);
    return {
        ...state,
        digests: { blue: null, green: null },
        stepTakenAt: longAgo,
        // Times are unknown here, as for an output older than the field: the same rule.
        trafficSince: trafficSinceOfOlder({ ...state, stepTakenAt: longAgo }),
        finalizedAt: warm === null ? null : longAgo,
        nextMoveAt: null,
        warmUntil: null,
        pinTenants: state.phase !== "stable",
        transition: "unchanged",
        aborted: null,
        history: [],
        expanded: [],
    };
}
