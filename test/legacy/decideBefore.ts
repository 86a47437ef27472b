/**
 * The rollout decision: from the stack's config and the state the previous
 * update left, what this update does, or why it is refused. Pure: the same
 * function serves `pulumi up`, `pulumi preview`, the offline plan and the CLI.
 *
 * The rules (README, "How a release runs": the rules table):
 * 1. `weight` is 0 or one of `steps` (the schema checks it).
 * 2. Forward moves go one step at a time; a jump needs `rollout.force`.
 * 3. Back to 0 (rollback) is allowed from any weight, always.
 * 4. A slot that carried traffic in the previous state, and the live slot, keep their build (version,
 *    git sha, digest, build metadata) and their pods in this update.
 * 5. The first step above 0 needs the candidate's build deployed at 0 % in the previous state.
 * 6. `live` flips only from 100 % (finalize), or back to a slot still warm (rollback after finalize).
 * 7. Versions follow the environment's policy (the schema); the candidate must be newer than live
 *    unless `rollout.allowDowngrade`.
 * 8. Promotion: with `promotion.from`, a new candidate must be what that stack has live, and its digest is taken from there.
 * And the seeds' timing: `minStepMinutes` between canary steps, `warmMinutes` before the previous slot goes.
 * Holds are recorded in the state when they start, so an edit of the hold in the same update as
 * the move cannot shorten it; steps and strategy change only in an update that moves no weight.
 */
import { SLOT_COLOURS, SlotColour, SlotshiftConfig, otherSlot } from "../../rollout/config";
import { ConfigError } from "../../rollout/errors";
import { RolloutState, Transition, buildDifference, buildOf, isRunning, nextStepAfter, stateOf } from "../../rollout/state";
import { compareVersions } from "../../rollout/versions";

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

/** The accepted plan of an update. */
export interface Decision {
    /** The rollout state this update leaves, less the digests (resolved when resources are). */
    readonly state: Omit<RolloutState, "digests">;
    /** Digests known before any lookup: from config, from the promotion source, or kept from the previous state. */
    readonly knownDigests: Readonly<Partial<Record<SlotColour, string>>>;
    /** The slot whose share of traffic grows in this update, if one does: routers raise it before lowering the other. */
    readonly raising: SlotColour | null;
}

const key = (path: string) => `slotshift:${path}`;

function refuse(path: string, message: string): never {
    throw new ConfigError(key(path), message);
}

/** Minutes between two times, rounded down. */
function minutesBetween(from: string, to: Date): number {
    const t = Date.parse(from);
    return Number.isNaN(t) ? Number.POSITIVE_INFINITY : Math.floor((to.getTime() - t) / 60000);
}

/** Whole minutes from `now` until `until` (at least 1 while it is ahead); 0 once it has passed. */
function minutesLeft(until: string | null, now: Date): number {
    if (until === null) {
        return 0;
    }
    const ms = Date.parse(until) - now.getTime();
    return Number.isNaN(ms) || ms <= 0 ? 0 : Math.ceil(ms / 60000);
}

const plus = (at: Date, minutes: number) => new Date(at.getTime() + minutes * 60000).toISOString();

const pct = (w: number) => `${w} %`;

/** The legal weights after `prevW`, in words, for refusals. */
function legalAfter(prevW: number, steps: readonly number[]): string {
    const next = nextStepAfter(prevW, steps);
    const lower = steps.filter((s) => s < prevW);
    const parts: string[] = [];
    if (next !== undefined) {
        parts.push(`the next step is ${next}`);
    } else {
        parts.push(`${prevW} is the last step: finalize next (set slotshift:rollout.live)`);
    }
    if (lower.length > 0) {
        parts.push(`a lower step (${lower.join(", ")})`);
    }
    if (prevW > 0) {
        parts.push("0 to roll back");
    }
    return parts.join(", or ");
}

/**
 * Decides what an update does. Throws a ConfigError naming the key, the value,
 * the previous state that makes it wrong and the legal values.
 */
export function decide(cfg: SlotshiftConfig, ctx: DecisionContext): Decision {
    const r = cfg.rollout;
    const P = ctx.previous;
    const now = ctx.now.toISOString();
    const direct = r.strategy === "direct";
    const live = r.live;
    const cand = otherSlot(live);
    const w = direct ? 0 : r.weight;
    const version = (c: SlotColour) => cfg.slots[c].version ?? null;
    const build = (c: SlotColour) => buildOf(cfg, c);
    const knownDigests: Partial<Record<SlotColour, string>> = {};

    let transition: Transition;
    let warm: SlotColour | null = null;
    let finalizedAt: string | null = null;
    let warmUntil: string | null = null;
    let stepTakenAt = now;
    let nextMoveAt: string | null = null;
    let staging = false;
    let prevW = 0;

    if (P === undefined) {
        // Rule 5: nothing has been deployed at 0 % yet.
        if (w > 0) {
            refuse(
                "rollout.weight",
                `slotshift:rollout.weight is ${w} but this stack has no previous update, so ${cand} has not been staged; ` +
                    `deploy it at 0 first (set slotshift:rollout.weight to 0), then ${r.steps[0]}`,
            );
        }
        transition = "first-deploy";
        staging = !direct && version(cand) !== null;
    } else {
        const prevCand = otherSlot(P.live);
        prevW = P.strategy === "direct" ? 0 : P.weights[prevCand];

        if (P.strategy !== r.strategy && prevW > 0) {
            refuse(
                "rollout.strategy",
                `slotshift:rollout.strategy is ${r.strategy} but the previous update left ${prevCand} at ${pct(prevW)} under ${P.strategy}; ` +
                    `change the strategy at 0 % only: roll back (slotshift:rollout.weight 0) or finish the rollout first`,
            );
        }
        if (P.image !== "" && P.image !== cfg.app.image && !r.force) {
            refuse(
                "app.image",
                `slotshift:app.image is ${JSON.stringify(cfg.app.image)} but the slots run from ${P.image}; a new repository changes the image of every slot, ` +
                    `the live one too: set slotshift:rollout.force for that one update`,
            );
        }

        // Rule 4: the live slot, and any slot that carried traffic, keep their build and their pods.
        if (!direct) {
            for (const c of SLOT_COLOURS) {
                const carried = P.weights[c] > 0;
                if (!carried && c !== P.live) {
                    continue;
                }
                const why = carried ? `${c} carried ${pct(P.weights[c])} in the previous update` : `${c} is the live slot`;
                const diff = P.builds[c] === null && P.versions[c] !== null ? (version(c) === P.versions[c] ? undefined : (["version", P.versions[c], version(c)] as const)) : buildDifference(P.builds[c], build(c));
                if (diff) {
                    const [field, given, is] = diff;
                    // A digest not in config was resolved when deployed: name that one.
                    const was = field === "digest" && given === undefined ? P.digests[c] ?? undefined : given;
                    refuse(
                        `slots.${c}.${field}`,
                        `slotshift:slots.${c}.${field} is ${JSON.stringify(is ?? null)} but ${why} with ${was === undefined ? "none" : String(was)}; ` +
                            `a slot keeps its build while it carries traffic or is live: move its traffic away first (slotshift:rollout.weight 0, or finalize), then change it`,
                    );
                }
                if (P.gitShas[c] !== null && (cfg.slots[c].gitSha ?? null) !== P.gitShas[c]) {
                    refuse(
                        `slots.${c}.gitSha`,
                        `slotshift:slots.${c}.gitSha is ${JSON.stringify(cfg.slots[c].gitSha ?? null)} but ${why} built from ${P.gitShas[c]}; ` +
                            `a slot keeps its build while it carries traffic: move its traffic away first, then change it`,
                    );
                }
                if (cfg.slots[c].decommissioned && carried) {
                    refuse(
                        `slots.${c}.decommissioned`,
                        `slotshift:slots.${c}.decommissioned is true but ${why}; move its traffic away in one update, then decommission it in the next`,
                    );
                }
            }
        }

        if (live !== P.live) {
            // Rule 6: live flips at 100 % (finalize) or back to the warm slot (rollback after finalize).
            if (direct) {
                refuse("rollout.live", `slotshift:rollout.live is ${live} but strategy direct updates ${P.live} in place; keep slotshift:rollout.live at ${P.live}`);
            }
            if (P.weights[live] === 100) {
                if (w !== 0) {
                    refuse("rollout.weight", `slotshift:rollout.weight is ${w} but finalizing (slotshift:rollout.live ${P.live} -> ${live}) sets it back to 0: ${live} carries all traffic as live`);
                }
                if (!isRunning(cfg, cand)) {
                    refuse(
                        `slots.${cand}`,
                        `slotshift:slots.${cand} changes while finalizing; keep ${cand} at ${P.versions[cand]}, running, so it stays warm for a rollback; change it in a later update`,
                    );
                }
                transition = "finalize";
                warm = cand;
                finalizedAt = now;
                warmUntil = plus(ctx.now, r.warmMinutes);
            } else if (P.warm === live && P.replicas[live] > 0 && isRunning(cfg, live) && (P.builds[live] === null ? P.versions[live] === version(live) : P.builds[live] === build(live))) {
                if (w !== 0) {
                    refuse("rollout.weight", `slotshift:rollout.weight is ${w} but a rollback to the warm slot ${live} sets it to 0`);
                }
                transition = "rollback-after-finalize";
            } else {
                const back = P.warm === null ? "" : ` or back to ${P.warm} while it is warm and unchanged (a rollback after finalize)`;
                refuse(
                    "rollout.live",
                    `slotshift:rollout.live is ${live} but the previous update left ${live} at ${pct(P.weights[live])}; ` +
                        `live flips only when the candidate is at 100 % (finalize)${back}; keep slotshift:rollout.live at ${P.live}`,
                );
            }
        } else if (direct) {
            transition = version(live) === P.versions[live] ? "unchanged" : "update-in-place";
            stepTakenAt = transition === "unchanged" ? P.stepTakenAt : now;
        } else {
            const candChanged = P.builds[cand] === null && P.versions[cand] !== null ? version(cand) !== P.versions[cand] : build(cand) !== P.builds[cand];
            const wasWarm = P.warm === cand;
            const shapeChanged = P.strategy !== r.strategy || JSON.stringify(P.steps) !== JSON.stringify(r.steps);
            if (w > 0) {
                // Rule 5: traffic only to the build the previous update deployed.
                if (candChanged) {
                    const [field, was, is] = buildDifference(P.builds[cand], build(cand)) ?? ["version", P.versions[cand], version(cand)];
                    refuse(
                        "rollout.weight",
                        `slotshift:rollout.weight is ${w} but the previous update ran ${cand} with ${field} ${was === undefined || was === null ? "none" : String(was)}, not ${String(is)}; ` +
                            `stage ${version(cand) ?? "it"} at 0 first (slotshift:rollout.weight 0, pulumi up), then ${r.steps[0]}`,
                    );
                }
                if (P.replicas[cand] === 0) {
                    refuse(
                        "rollout.weight",
                        `slotshift:rollout.weight is ${w} but ${cand} ran no pods in the previous update; stage it at 0 first (slotshift:rollout.weight 0, pulumi up)`,
                    );
                }
            }
            if (w > prevW) {
                if (shapeChanged) {
                    refuse(
                        "rollout.weight",
                        `slotshift:rollout.weight is ${w} in the same update that changes slotshift:rollout.steps or strategy (the previous update ran ${P.strategy} over ${P.steps.join(", ")}); ` +
                            `change them in an update that moves no traffic, then step`,
                    );
                }
                // Rule 2: one step at a time.
                const next = nextStepAfter(prevW, r.steps);
                if (w !== next && !r.force) {
                    refuse(
                        "rollout.weight",
                        `slotshift:rollout.weight is ${w} but the previous update left ${cand} at ${pct(prevW)}; ${legalAfter(prevW, r.steps)}; set slotshift:rollout.force to jump`,
                    );
                }
                // The seeds' hold between canary steps, as it was when the previous step was taken.
                const left = prevW > 0 ? minutesLeft(P.nextMoveAt ?? plus(new Date(P.stepTakenAt), r.minStepMinutes), ctx.now) : 0;
                if (left > 0 && !r.force) {
                    const age = Math.max(minutesBetween(P.stepTakenAt, ctx.now), 0);
                    refuse(
                        "rollout.weight",
                        `slotshift:rollout.weight is ${w} but ${cand} has carried ${pct(prevW)} for ${age} minute(s) (since ${P.stepTakenAt}); ` +
                            `the step holds until ${P.nextMoveAt ?? "its minStepMinutes pass"} (slotshift:rollout.minStepMinutes): wait ${left} more, roll back with 0, or set slotshift:rollout.force`,
                    );
                }
                transition = w === next ? "step" : "jump";
            } else if (w < prevW) {
                transition = w === 0 ? "rollback" : "step-back";
            } else if (candChanged) {
                transition = version(cand) === null ? "decommission" : "stage";
                staging = version(cand) !== null;
            } else if (isRunning(cfg, cand) !== P.replicas[cand] > 0) {
                transition = isRunning(cfg, cand) ? "stage" : "decommission";
            } else {
                transition = "unchanged";
            }

            // The warm hold: the previous live slot stays as it is for warmMinutes after a finalize.
            if (wasWarm && (candChanged || !isRunning(cfg, cand)) && !r.force) {
                const until = P.warmUntil ?? (P.finalizedAt === null ? null : plus(new Date(P.finalizedAt), r.warmMinutes));
                const left = minutesLeft(until, ctx.now);
                if (left > 0) {
                    const what = candChanged ? "version" : "decommissioned";
                    const age = P.finalizedAt === null ? 0 : Math.max(minutesBetween(P.finalizedAt, ctx.now), 0);
                    refuse(
                        `slots.${cand}.${what}`,
                        `slotshift:slots.${cand}.${what} changes ${cand}, which has been warm for ${age} minute(s) since the finalize at ${P.finalizedAt}; ` +
                            `it stays as it is until ${until} (slotshift:rollout.warmMinutes): keep it ${left} more minute(s) for an instant rollback, or set slotshift:rollout.force`,
                    );
                }
            }
            if (wasWarm && !candChanged && isRunning(cfg, cand) && w === 0) {
                warm = cand;
                finalizedAt = P.finalizedAt;
                warmUntil = P.warmUntil;
            }
            stepTakenAt = w === prevW ? P.stepTakenAt : now;
            nextMoveAt = w === prevW ? P.nextMoveAt : null;
        }
    }

    // Rule 7: the candidate is newer than live, whenever it is staged or takes traffic.
    const candVersion = version(cand);
    const liveVersion = version(live);
    if (!direct && candVersion !== null && liveVersion !== null && (staging || w > 0) && transition !== "rollback-after-finalize") {
        if (compareVersions(candVersion, liveVersion) <= 0 && !r.allowDowngrade) {
            refuse(
                `slots.${cand}.version`,
                `slotshift:slots.${cand}.version is ${JSON.stringify(candVersion)}, not newer than ${liveVersion} on the live slot ${live}; ` +
                    `stage a newer version, or set slotshift:rollout.allowDowngrade to deploy an older one`,
            );
        }
    }

    // Rule 8: promotion takes only what the source stack has live, with its digest.
    if (!direct && staging && cfg.promotion.from !== undefined && candVersion !== null) {
        const from = cfg.promotion.from;
        const src = ctx.promotionSource;
        if (src === undefined) {
            refuse(
                "promotion.from",
                `slotshift:promotion.from is ${JSON.stringify(from)} but that stack has no rollout output to promote from (never updated, or not readable); ` +
                    `deploy ${candVersion} there first`,
            );
        }
        const srcVersion = src.versions[src.live];
        const srcDigest = src.digests[src.live];
        if (srcVersion !== candVersion) {
            refuse(
                `slots.${cand}.version`,
                `slotshift:slots.${cand}.version is ${JSON.stringify(candVersion)} but ${from} has ${srcVersion ?? "nothing"} live; ` +
                    `this stack only takes what ${from} has live: promote ${srcVersion ?? "a version"} or finish the release in ${from} first`,
            );
        }
        if (srcDigest === null && ctx.digestsKnown !== false) {
            refuse("promotion.from", `slotshift:promotion.from is ${JSON.stringify(from)} but ${from} reports no digest for its live slot ${src.live}`);
        }
        const given = cfg.slots[cand].digest;
        if (given !== undefined && srcDigest !== null && given !== srcDigest) {
            refuse(
                `slots.${cand}.digest`,
                `slotshift:slots.${cand}.digest is ${given} but ${from} runs ${candVersion} as ${srcDigest}; promote the artifact, never another build: remove the digest or use ${srcDigest}`,
            );
        }
        if (srcDigest !== null) {
            knownDigests[cand] = srcDigest;
        }
    }

    for (const c of SLOT_COLOURS) {
        const given = cfg.slots[c].digest;
        if (given !== undefined) {
            knownDigests[c] ??= given;
        } else if (P !== undefined && version(c) !== null && P.digests[c] !== null && (P.builds[c] === null ? version(c) === P.versions[c] : build(c) === P.builds[c])) {
            // An unchanged build keeps the image it was deployed with, whatever its tag points at by now.
            knownDigests[c] ??= P.digests[c]!;
        }
    }

    const state = stateOf(cfg, warm);
    // When the candidate's build began carrying traffic: now when its weight leaves 0, kept while it
    // stays above 0 (rule 4 keeps its build), null at 0. An alert is matched against it, not against
    // stepTakenAt, which every step moves (cli/alertRollback.ts).
    let trafficSince: string | null = null;
    if (!direct && w > 0) {
        trafficSince = P !== undefined && prevW > 0 ? P.trafficSince ?? P.stepTakenAt : now;
    }
    if (state.phase === "shifting" && nextMoveAt === null) {
        nextMoveAt = plus(new Date(stepTakenAt), r.minStepMinutes);
    }
    // Pinned tenants see the candidate from its staging to 100 %, and leave it on a rollback.
    let pinTenants: boolean;
    if (transition === "rollback" || transition === "rollback-after-finalize" || state.phase === "stable") {
        pinTenants = false;
    } else if (state.phase === "shifting" || state.phase === "shifted" || transition === "stage" || transition === "first-deploy") {
        pinTenants = true;
    } else {
        pinTenants = P?.pinTenants ?? true;
    }
    let raising: SlotColour | null = null;
    if (P !== undefined) {
        raising = SLOT_COLOURS.find((c) => state.weights[c] > P.weights[c]) ?? null;
    }
    return {
        state: { ...state, stepTakenAt, trafficSince, finalizedAt, nextMoveAt, warmUntil, pinTenants, transition },
        knownDigests,
        raising,
    };
}
