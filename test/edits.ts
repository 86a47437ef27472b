/**
 * The edits of the property tests: what an engineer (or a careless script) might do to the prod
 * stack file, as a fast-check generator, and how each applies. Shared by the properties and the
 * exhaustive search of the decision.
 */
import * as fc from "fast-check";
import { SlotColour, SlotshiftConfig, otherSlot } from "../rollout/config";
import { RolloutState } from "../rollout/state";
import { sourceLive, withKey } from "./helpers";

export const VERSIONS = ["0.9.0", "1.0.0", "1.1.0", "1.2.0", "2.0.0", "1.2.0-rc.1"];
export const digestOf = (version: string) => `sha256:${Buffer.from(version.padEnd(32, ".")).toString("hex").slice(0, 64)}`;

/** One edit an engineer (or a careless script) might make. */
export type Edit =
    | { kind: "weight"; weight: number }
    | { kind: "next" }
    | { kind: "rollback" }
    | { kind: "finalize" }
    | { kind: "flip"; weight: number }
    | { kind: "stage"; version: string }
    | { kind: "version"; colour: SlotColour; version: string }
    | { kind: "empty"; colour: SlotColour }
    | { kind: "decommission"; colour: SlotColour; value: boolean }
    | { kind: "force"; value: boolean }
    | { kind: "wait"; minutes: number };

const colour = fc.constantFrom<SlotColour>("blue", "green");
export const edit: fc.Arbitrary<Edit> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("weight" as const), weight: fc.oneof(fc.constantFrom(0, 5, 25, 50, 100), fc.integer({ min: 0, max: 100 })) }) },
    { weight: 4, arbitrary: fc.constant<Edit>({ kind: "next" }) },
    { weight: 2, arbitrary: fc.constant<Edit>({ kind: "rollback" }) },
    { weight: 2, arbitrary: fc.constant<Edit>({ kind: "finalize" }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("flip" as const), weight: fc.constantFrom(0, 5, 100) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("stage" as const), version: fc.constantFrom(...VERSIONS) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("version" as const), colour, version: fc.constantFrom(...VERSIONS) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("empty" as const), colour }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("decommission" as const), colour, value: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("force" as const), value: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("wait" as const), minutes: fc.integer({ min: 0, max: 45 }) }) },
);

export interface World {
    config: Record<string, string>;
    previous: RolloutState | undefined;
    now: number;
}

const get = (config: Record<string, string>, top: string) => JSON.parse(config[`slotshift:${top}`] ?? "{}") as Record<string, unknown>;

/** Applies an edit to the stack config the way a person would edit the file. */
export function apply(world: World, e: Edit): Record<string, string> {
    const rollout = get(world.config, "rollout") as { live?: SlotColour; weight?: number; steps?: number[] };
    const live = rollout.live ?? "blue";
    const weight = rollout.weight ?? 0;
    const steps = rollout.steps ?? [5, 25, 50, 100];
    const set = (k: string, v: unknown) => withKey(world.config, k, v);
    switch (e.kind) {
        case "weight":
            return set("slotshift:rollout.weight", e.weight);
        case "next":
            return set("slotshift:rollout.weight", steps.find((s) => s > weight) ?? weight);
        case "rollback":
            return set("slotshift:rollout.weight", 0);
        case "finalize":
            return withKey(set("slotshift:rollout.live", otherSlot(live)), "slotshift:rollout.weight", 0);
        case "flip":
            return withKey(set("slotshift:rollout.live", otherSlot(live)), "slotshift:rollout.weight", e.weight);
        case "stage":
            return withKey(set(`slotshift:slots.${otherSlot(live)}`, { version: e.version, gitSha: "abcdef1" }), "slotshift:rollout.weight", 0);
        case "version":
            return set(`slotshift:slots.${e.colour}`, { version: e.version, gitSha: "abcdef2" });
        case "empty":
            return set(`slotshift:slots.${e.colour}`, {});
        case "decommission":
            return set(`slotshift:slots.${e.colour}.decommissioned`, e.value);
        case "force":
            return set("slotshift:rollout.force", e.value);
        case "wait":
            return world.config;
    }
}

/** What the promotion source has live: here, always the candidate being tried (the gate's own tests are elsewhere). */
export function sourceFor(cfg: SlotshiftConfig): RolloutState | undefined {
    const version = cfg.slots[otherSlot(cfg.rollout.live)].version;
    if (version === undefined) {
        return undefined;
    }
    return sourceLive(version, digestOf(version));
}

