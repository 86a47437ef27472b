/**
 * The decision's rules, in the order they are asked: the first refusal is the one reported, so a
 * move that breaks several rules is refused by the first of them in this list. A rule only judges
 * the moves it names.
 */
import { carryingSlotsKeepTheirBuild } from "./carryingSlotsKeepTheirBuild";
import { contractAfterEverySlot } from "./contractAfterEverySlot";
import { candidateNewerThanLive } from "./candidateNewerThanLive";
import { finalizeKeepsTheOldSlotWarm } from "./finalizeKeepsTheOldSlotWarm";
import { finalizeLeavesWeightZero } from "./finalizeLeavesWeightZero";
import { imageChangeNeedsForce } from "./imageChangeNeedsForce";
import { liveFlipsOnlyAtFinalize } from "./liveFlipsOnlyAtFinalize";
import { oneStepAtATime } from "./oneStepAtATime";
import { promotionFromTheSource } from "./promotionFromTheSource";
import { raiseInsideAWindow } from "./raiseInsideAWindow";
import { retryAfterRollback } from "./retryAfterRollback";
import { Rule } from "./rule";
import { stagedBeforeTraffic } from "./stagedBeforeTraffic";
import { staleStep } from "./staleStep";
import { stepHold } from "./stepHold";
import { stepsChangeWithoutAStep } from "./stepsChangeWithoutAStep";
import { strategyChangesAtZero } from "./strategyChangesAtZero";
import { warmHold } from "./warmHold";

export type { CaseUpdate, Refusal, Rule, RuleCase } from "./rule";

export const RULES: readonly Rule[] = [
    // What an update may change at all, whatever its move.
    strategyChangesAtZero,
    imageChangeNeedsForce,
    carryingSlotsKeepTheirBuild,
    // Which slot is live.
    liveFlipsOnlyAtFinalize,
    finalizeLeavesWeightZero,
    finalizeKeepsTheOldSlotWarm,
    // Traffic to the candidate.
    stagedBeforeTraffic,
    retryAfterRollback,
    stepsChangeWithoutAStep,
    oneStepAtATime,
    stepHold,
    warmHold,
    staleStep,
    raiseInsideAWindow,
    // What may be deployed into the candidate.
    candidateNewerThanLive,
    promotionFromTheSource,
    // What the database may assume of the slots.
    contractAfterEverySlot,
];
