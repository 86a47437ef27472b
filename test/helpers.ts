/**
 * Test helpers: the real stack files as config maps, edits of single keys,
 * and offline plans through the same engine as `npm run plan`.
 */
import * as path from "path";
import { plan, PlanOptions, PlanResult, PlannedResource } from "../cli/engine";
import { readStackConfig } from "../cli/stackFile";

/** The project root. */
export const ROOT = path.resolve(__dirname, "..");

/** The real stacks. */
export const STACKS = ["dev", "staging", "prod"] as const;

/** The config map the program would see for a real stack file. */
export function stackConfig(stack: string): { config: Record<string, string>; secretKeys: string[] } {
    const c = readStackConfig(ROOT, stack);
    return { config: { ...c.config }, secretKeys: [...c.secretKeys] };
}

/**
 * A copy of `config` with one key set: `slotshift:rollout.weight` sets `weight`
 * inside the `slotshift:rollout` object. `undefined` deletes it.
 */
export function withKey(config: Record<string, string>, keyPath: string, value: unknown): Record<string, string> {
    const out = { ...config };
    const [top, ...rest] = keyPath.split(".");
    if (rest.length === 0) {
        if (value === undefined) {
            delete out[top];
        } else {
            out[top] = typeof value === "string" ? value : JSON.stringify(value);
        }
        return out;
    }
    const obj = out[top] === undefined ? {} : (JSON.parse(out[top]) as Record<string, unknown>);
    let cur: Record<string, unknown> = obj;
    for (const k of rest.slice(0, -1)) {
        cur[k] = typeof cur[k] === "object" && cur[k] !== null ? cur[k] : {};
        cur = cur[k] as Record<string, unknown>;
    }
    const last = rest[rest.length - 1];
    if (value === undefined) {
        delete cur[last];
    } else {
        cur[last] = value;
    }
    out[top] = JSON.stringify(obj);
    return out;
}

/** Applies several key edits to a real stack's config. */
export function edited(stack: string, edits: Record<string, unknown>): Record<string, string> {
    let config = stackConfig(stack).config;
    for (const [k, v] of Object.entries(edits)) {
        config = withKey(config, k, v);
    }
    return config;
}

/** Plans a stack offline: its own file, or the config given. */
export function planStack(stack: string, options: Omit<PlanOptions, "stack" | "root"> = {}): Promise<PlanResult> {
    return plan({ stack, root: ROOT, ...options });
}

/** The resources of a plan of one type. */
export function ofType(result: PlanResult, type: string): PlannedResource[] {
    return result.resources.filter((r) => r.type === type);
}
