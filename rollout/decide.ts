/**
 * The rollout decision: from the stack's config and the state the previous update left, what this
 * update does, or why it is refused. Pure: the same function serves `pulumi up`, `pulumi preview`,
 * the offline plan and the CLI.
 *
 * Three parts, each in one place:
 * 1. classify the move (rollout/move.ts): first deploy, stage, step, jump, step back, rollback,
 *    finalize, rollback after finalize, decommission, update in place, unchanged, or a flip of
 *    `live` that is neither finalize nor rollback after finalize;
 * 2. ask the rules (rollout/rules/, one module each, in the order of `RULES`): the first refusal
 *    is thrown as a ConfigError naming the key, the value, the previous state that makes it wrong
 *    and the legal values;
 * 3. compute the state the move leaves (`nextState` below).
 *
 * The config schema's own rules (weight is 0 or one of steps, versions follow the environment's
 * policy) are checked before: rollout/config/checks.ts.
 */
import { SLOT_COLOURS, SlotColour, SlotshiftConfig } from "./config";
import { ConfigError } from "./errors";
import { DecisionContext, Move, classify, plus, sameBuild, versionOf } from "./move";
import { RULES, Refusal } from "./rules";
import { Aborted, HISTORY_LIMIT, HistoryEntry, RolloutState, buildId, buildOf, isRunning, stateOf } from "./state";

export type { DecisionContext } from "./move";

/** The accepted plan of an update. */
export interface Decision {
    /** The rollout state this update leaves, less the digests (resolved when resources are). */
    readonly state: Omit<RolloutState, "digests">;
    /** Digests known before any lookup: from config, from the promotion source, or kept from the previous state. */
    readonly knownDigests: Readonly<Partial<Record<SlotColour, string>>>;
    /** The slot whose share of traffic grows in this update, if one does: routers raise it before lowering the other. */
    readonly raising: SlotColour | null;
    /** The refusal `slotshift:rollout.force` let this update pass, if it did: the plan warns with it. */
    readonly forcedPast: (Refusal & { readonly rule: string }) | null;
}

/** The first rule that refuses a move, in the order of `RULES`; undefined when every rule lets it pass. */
export function firstRefusal(move: Move): (Refusal & { readonly rule: string }) | undefined {
    for (const rule of RULES) {
        if (!rule.moves.includes(move.kind)) {
            continue;
        }
        const refused = rule.check(move);
        if (refused !== undefined) {
            return { ...refused, rule: rule.id };
        }
    }
    return undefined;
}

/**
 * Decides what an update does.
 *
 * @throws ConfigError naming the key, the value, the previous state that makes it wrong and the legal values
 */
export function decide(cfg: SlotshiftConfig, ctx: DecisionContext): Decision {
    const move = classify(cfg, ctx);
    const refused = firstRefusal(move);
    if (refused !== undefined) {
        throw new ConfigError(refused.key, refused.message);
    }
    return nextState(move);
}

/** The times and the warm slot a move records. */
interface Recorded {
    readonly warm: SlotColour | null;
    readonly finalizedAt: string | null;
    readonly warmUntil: string | null;
    readonly stepTakenAt: string;
    readonly nextMoveAt: string | null;
}

/** What a move records about the warm slot and the time of its step. */
function recorded(m: Move): Recorded {
    const now = m.ctx.now.toISOString();
    const none = { warm: null, finalizedAt: null, warmUntil: null, stepTakenAt: now, nextMoveAt: null };
    const P = m.previous;
    if (P === undefined) {
        return none;
    }
    switch (m.kind) {
        case "finalize":
            // The slot that was live stays warm for warmMinutes, for an instant rollback.
            return { ...none, warm: m.candidate, finalizedAt: now, warmUntil: plus(m.ctx.now, m.cfg.rollout.warmMinutes) };
        case "rollback-after-finalize":
        case "update-in-place":
            return none;
    }
    // A weight that holds keeps its step's time and hold (in place, the weight is always 0: an unchanged
    // update keeps its time); the warm slot stays warm while it runs as it was, at 0 %.
    const holds = m.weight === m.previousWeight;
    const staysWarm = m.candidateWasWarm && !m.candidateChanged && isRunning(m.cfg, m.candidate) && m.weight === 0;
    return {
        warm: staysWarm ? m.candidate : null,
        finalizedAt: staysWarm ? P.finalizedAt : null,
        warmUntil: staysWarm ? P.warmUntil : null,
        stepTakenAt: holds ? P.stepTakenAt : now,
        nextMoveAt: holds ? P.nextMoveAt : null,
    };
}

/** The digests known before any registry lookup. */
function knownDigests(m: Move): Partial<Record<SlotColour, string>> {
    const known: Partial<Record<SlotColour, string>> = {};
    const src = m.ctx.promotionSource;
    // A promoted build is the source's very artifact (the promotion rule has checked it).
    if (m.newBuild && m.cfg.promotion.from !== undefined && src !== undefined) {
        const digest = src.digests[src.live];
        if (digest !== null) {
            known[m.candidate] = digest;
        }
    }
    for (const c of SLOT_COLOURS) {
        const given = m.cfg.slots[c].digest;
        const P = m.previous;
        if (given !== undefined) {
            known[c] ??= given;
        } else if (P !== undefined && versionOf(m.cfg, c) !== null && P.digests[c] !== null && sameBuild(P, m.cfg, c)) {
            // An unchanged build keeps the image it was deployed with, whatever its tag points at by now.
            known[c] ??= P.digests[c]!;
        }
    }
    return known;
}

/** The warning of an update `slotshift:rollout.force` let pass: the rule it skipped and that rule's refusal. */
export function forcedWarning(skipped: { readonly rule: string; readonly message: string }): string {
    return (
        `FORCED: slotshift:rollout.force is true and takes this update past rule ${skipped.rule}, which would refuse it: ${skipped.message}. ` +
        `Set slotshift:rollout.force back to false after this update (every slotshift edit without --force does).`
    );
}

/**
 * The refusal `force` let a move pass: the move as it would be without `force`, asked of the rules.
 * Null when force is off or nothing it skips was in the way.
 */
export function forcedPast(m: Move): (Refusal & { readonly rule: string }) | null {
    if (!m.cfg.rollout.force) {
        return null;
    }
    const cfg = { ...m.cfg, rollout: { ...m.cfg.rollout, force: false } };
    return firstRefusal(classify(cfg, m.ctx)) ?? null;
}

/**
 * The build a rollback takes traffic from, kept while it stays in its slot at 0 % as it was: a
 * rollback (from above 0 %) or a rollback after finalize records it; a step (a retry), a new build,
 * a decommission or a change of live clears it.
 */
function abortedAfter(m: Move): Aborted | null {
    const now = m.ctx.now.toISOString();
    const c = m.candidate;
    if (m.kind === "rollback" || m.kind === "rollback-after-finalize") {
        return { slot: c, version: versionOf(m.cfg, c), build: buildOf(m.cfg, c), at: now };
    }
    const A = m.previous?.aborted ?? null;
    const keeps = A !== null && !m.direct && A.slot === c && m.live === m.previous!.live && m.weight === 0 && !m.candidateChanged && isRunning(m.cfg, c);
    return keeps ? A : null;
}

/** The history the `rollout` output carries after this move: the previous one plus this move, bounded. */
function historyAfter(m: Move, forced: boolean): readonly HistoryEntry[] {
    const before = m.previous?.history ?? [];
    if (m.kind === "unchanged" || m.kind === "flip") {
        return before;
    }
    const A = m.previous?.aborted ?? null;
    const retried = A !== null && m.previousWeight === 0 && m.weight > 0 && A.slot === m.candidate && m.cfg.rollout.retry === A.at;
    const entry: HistoryEntry = {
        at: m.ctx.now.toISOString(),
        transition: m.kind,
        live: m.live,
        weight: m.weight,
        versions: { blue: versionOf(m.cfg, "blue"), green: versionOf(m.cfg, "green") },
        forced,
        retried,
    };
    return [...before, entry].slice(-HISTORY_LIMIT);
}

/**
 * The builds whose expand migration runs (as a Job) after this move: with `migrations.expand`
 * declared, each running build that is new in its slot in this update (staged, updated in place, or
 * any on a first deploy), and each that ran one before and still runs. A build that was running
 * before migrations were declared gets none.
 */
function expandedAfter(m: Move): readonly string[] {
    if (m.cfg.migrations?.expand === undefined) {
        return [];
    }
    const P = m.previous;
    const ids = new Set<string>();
    for (const c of m.direct ? [m.live] : SLOT_COLOURS) {
        const build = buildOf(m.cfg, c);
        if (build === null || !isRunning(m.cfg, c)) {
            continue;
        }
        const id = buildId(build);
        if (P === undefined || !sameBuild(P, m.cfg, c) || (P.expanded ?? []).includes(id)) {
            ids.add(id);
        }
    }
    return [...ids].sort();
}

/** The state a move that every rule let pass leaves. */
export function nextState(m: Move): Decision {
    if (m.kind === "flip") {
        throw new Error("a flip of slotshift:rollout.live is always refused (rule live-flips-only-at-finalize): it has no next state");
    }
    const P = m.previous;
    const r = recorded(m);
    const configured = stateOf(m.cfg, r.warm);
    // A move that lowers the candidate's share changes routing only: its pods stay as they were, and a
    // later update scales them to the share (rollout/config/capacity.ts).
    const lowers = m.kind === "rollback" || m.kind === "rollback-after-finalize" || m.kind === "step-back";
    const kept = (c: SlotColour) => (lowers && c === m.candidate && P !== undefined && configured.replicas[c] > 0 ? Math.max(configured.replicas[c], P.replicas[c]) : configured.replicas[c]);
    const state = { ...configured, replicas: { blue: kept("blue"), green: kept("green") } };
    // When the candidate's build began carrying traffic: now when its weight leaves 0, kept while it
    // stays above 0 (its build cannot change meanwhile), null at 0. An alert is matched against it,
    // not against stepTakenAt, which every step moves (cli/alertRollback.ts).
    let trafficSince: string | null = null;
    if (!m.direct && m.weight > 0) {
        // A previous weight above 0 means a previous state.
        trafficSince = m.previousWeight > 0 ? P!.trafficSince ?? P!.stepTakenAt : m.ctx.now.toISOString();
    }
    const nextMoveAt = state.phase === "shifting" && r.nextMoveAt === null ? plus(new Date(r.stepTakenAt), m.cfg.rollout.minStepMinutes) : r.nextMoveAt;
    // Pinned tenants see the candidate from its staging to 100 %, and leave it on a rollback.
    let pinTenants: boolean;
    if (m.kind === "rollback" || m.kind === "rollback-after-finalize" || state.phase === "stable") {
        pinTenants = false;
    } else if (state.phase === "shifting" || state.phase === "shifted" || m.kind === "stage" || m.kind === "first-deploy") {
        pinTenants = true;
    } else {
        // Only a move from a state gets here: a first deploy is staged or stable.
        pinTenants = P!.pinTenants;
    }
    const raising = P === undefined ? null : SLOT_COLOURS.find((c) => state.weights[c] > P.weights[c]) ?? null;
    const forced = forcedPast(m);
    return {
        state: {
            ...state,
            stepTakenAt: r.stepTakenAt,
            trafficSince,
            finalizedAt: r.finalizedAt,
            nextMoveAt,
            warmUntil: r.warmUntil,
            pinTenants,
            transition: m.kind,
            aborted: abortedAfter(m),
            history: historyAfter(m, forced !== null),
            expanded: expandedAfter(m),
        },
        knownDigests: knownDigests(m),
        raising,
        forcedPast: forced,
    };
}
