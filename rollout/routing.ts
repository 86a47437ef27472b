/**
 * Traffic arithmetic: the candidate's weight in percent to what each router
 * is told, and names and labels that Kubernetes and Azure accept. Pure.
 */
import { SlotColour, otherSlot } from "./config";

/** One Traffic Manager endpoint's routing: Azure weights are 1–1000; 0 % means Disabled. */
export interface EndpointRouting {
    readonly weight: number;
    readonly status: "Enabled" | "Disabled";
}

/**
 * Endpoint weights for `candidateWeight` % to the candidate: `w*10` and
 * `(100-w)*10`. An endpoint with 0 % is Disabled (Azure still wants a weight
 * from 1 to 1000, so it keeps 1, which a disabled endpoint never uses).
 */
export function trafficManagerWeights(live: SlotColour, candidateWeight: number): Record<SlotColour, EndpointRouting> {
    if (!Number.isInteger(candidateWeight) || candidateWeight < 0 || candidateWeight > 100) {
        throw new Error(`candidate weight ${candidateWeight} is not a whole percentage from 0 to 100`);
    }
    const one = (percent: number): EndpointRouting =>
        percent === 0 ? { weight: 1, status: "Disabled" } : { weight: percent * 10, status: "Enabled" };
    const candidate = otherSlot(live);
    return { [live]: one(100 - candidateWeight), [candidate]: one(candidateWeight) } as Record<SlotColour, EndpointRouting>;
}

/** The share of traffic each slot gets, in percent; they sum to 100. */
export function slotWeights(live: SlotColour, candidateWeight: number): Record<SlotColour, number> {
    return { [live]: 100 - candidateWeight, [otherSlot(live)]: candidateWeight } as Record<SlotColour, number>;
}

/**
 * A Kubernetes label value from any text: at most 63 characters of
 * `[A-Za-z0-9._-]`, starting and ending with a letter or digit. Semver build
 * metadata (`+build.140`) has a `+`, which labels refuse: it becomes `_`.
 */
export function labelValue(text: string): string {
    let v = text.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 63);
    v = v.replace(/^[^A-Za-z0-9]+/, "").replace(/[^A-Za-z0-9]+$/, "");
    return v;
}
