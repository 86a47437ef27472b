/**
 * The closed sets of the config (strategies, slots, routers) and the per-environment defaults
 * (the promotion flow of docs/RELEASE-PROCESS.md §3 and §4). Pure.
 */
import { Environment } from "../versions";

/** The config namespace: keys are `slotshift:<name>`. */
export const NAMESPACE = "slotshift";

export const STRATEGIES = ["direct", "blue-green", "canary"] as const;
export type Strategy = (typeof STRATEGIES)[number];

export const SLOT_COLOURS = ["blue", "green"] as const;
export type SlotColour = (typeof SLOT_COLOURS)[number];

export const ROUTERS = ["traffic-manager", "gateway-api"] as const;
export type Router = (typeof ROUTERS)[number];

/** What an environment defaults to. */
export interface EnvironmentDefaults {
    readonly strategy: Strategy;
    readonly steps: readonly number[];
    readonly replicas: number;
    readonly minStepMinutes: number;
    readonly warmMinutes: number;
    readonly promotionFrom?: string;
}

/** Per-environment defaults: the table of docs/RELEASE-PROCESS.md §4, with the wording each comes from. */
export const ENVIRONMENT_DEFAULTS: Readonly<Record<Environment, EnvironmentDefaults>> = {
    dev: { strategy: "direct", steps: [100], replicas: 1, minStepMinutes: 0, warmMinutes: 0 },
    staging: { strategy: "blue-green", steps: [100], replicas: 2, minStepMinutes: 0, warmMinutes: 30 },
    prod: { strategy: "canary", steps: [5, 25, 50, 100], replicas: 3, minStepMinutes: 5, warmMinutes: 30, promotionFrom: "staging" },
};

/** The slot that is not `colour`. */
export function otherSlot(colour: SlotColour): SlotColour {
    return colour === "blue" ? "green" : "blue";
}
