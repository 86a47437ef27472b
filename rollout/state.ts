/**
 * The rollout state a stack is in, as the `rollout` output records it: the
 * contract the next update, the CLI and other stacks read. Pure.
 */
import { SLOT_COLOURS, SlotColour, SlotshiftConfig, Strategy, otherSlot } from "./config";
import { slotWeights } from "./routing";

/** Where a rollout stands. */
export const PHASES = ["stable", "staged", "shifting", "shifted"] as const;
export type Phase = (typeof PHASES)[number];

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
    /** Replicas each slot runs. */
    readonly replicas: Readonly<Record<SlotColour, number>>;
    readonly phase: Phase;
    /** 1-based index of the candidate's weight in `steps`; 0 at weight 0. */
    readonly step: number;
    /** The weight the next step sets, or null when the next move is finalize (or nothing is staged). */
    readonly nextStep: number | null;
    /** The steps of this stack. */
    readonly steps: readonly number[];
}

/** Whether a slot runs pods: it has a version and is not decommissioned. */
export function isRunning(cfg: SlotshiftConfig, colour: SlotColour): boolean {
    if (cfg.rollout.strategy === "direct" && colour !== cfg.rollout.live) {
        return false;
    }
    const s = cfg.slots[colour];
    return s.version !== undefined && !s.decommissioned;
}

/** The phase a config puts the stack in. */
export function phaseOf(cfg: SlotshiftConfig): Phase {
    const w = cfg.rollout.weight;
    if (cfg.rollout.strategy === "direct") {
        return "stable";
    }
    if (w === 0) {
        return isRunning(cfg, otherSlot(cfg.rollout.live)) ? "staged" : "stable";
    }
    return w === 100 ? "shifted" : "shifting";
}

/** The state a config describes, given each slot's digest. */
export function describeRollout(cfg: SlotshiftConfig, digests: Readonly<Record<SlotColour, string | null>>): RolloutState {
    const r = cfg.rollout;
    const phase = phaseOf(cfg);
    const step = r.weight === 0 ? 0 : r.steps.indexOf(r.weight) + 1;
    const nextStep = phase === "staged" ? r.steps[0] : phase === "shifting" ? r.steps[step] : null;
    const versions = {} as Record<SlotColour, string | null>;
    const replicas = {} as Record<SlotColour, number>;
    for (const colour of SLOT_COLOURS) {
        const running = isRunning(cfg, colour);
        versions[colour] = cfg.slots[colour].version ?? null;
        replicas[colour] = running ? cfg.app.replicas : 0;
    }
    return {
        strategy: r.strategy,
        live: r.live,
        candidate: r.strategy === "direct" ? null : otherSlot(r.live),
        weights: slotWeights(r.live, r.weight),
        versions,
        digests,
        replicas,
        phase,
        step,
        nextStep,
        steps: [...r.steps],
    };
}
