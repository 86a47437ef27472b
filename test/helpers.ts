/**
 * Test helpers: the real stack files as config maps, edits of single keys,
 * and offline plans through the same engine as `npm run plan`.
 */
import * as path from "path";
import { plan, PlanOptions, PlanResult, PlannedResource } from "../cli/engine";
import { main } from "../cli/main";
import { readStackConfig } from "../cli/stackFile";
import { RolloutState } from "../rollout/state";

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

/** Runs the slotshift command in a folder, as `npx slotshift` would there, with an environment (default: this process's). */
export async function runCli(dir: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const cwd = process.cwd();
    process.chdir(dir);
    try {
        const code = await main(args, { write: (s: string) => (stdout += s) }, { write: (s: string) => (stderr += s) }, env);
        return { code, stdout, stderr };
    } finally {
        process.chdir(cwd);
    }
}

/** Plans a stack offline: its own file, or the config given. */
export function planStack(stack: string, options: Omit<PlanOptions, "stack" | "root"> = {}): Promise<PlanResult> {
    return plan({ stack, root: ROOT, resolveReferences: true, ...options });
}

/** The resources of a plan of one type. */
export function ofType(result: PlanResult, type: string): PlannedResource[] {
    return result.resources.filter((r) => r.type === type);
}

/** Outputs as if `minutes` had passed since they were written: every timestamp of the rollout moves back. */
export function aged(outputs: Record<string, unknown>, minutes: number): Record<string, unknown> {
    const rollout = outputs.rollout as Record<string, unknown> | undefined;
    if (!rollout) {
        return outputs;
    }
    const back = (t: unknown) => (typeof t === "string" ? new Date(Date.parse(t) - minutes * 60000).toISOString() : t);
    return {
        ...outputs,
        rollout: {
            ...rollout,
            stepTakenAt: back(rollout.stepTakenAt),
            trafficSince: back(rollout.trafficSince),
            finalizedAt: back(rollout.finalizedAt),
            nextMoveAt: back(rollout.nextMoveAt),
            warmUntil: back(rollout.warmUntil),
        },
    };
}

/**
 * Walks a stack through successive updates, each with its edits, each fed the
 * previous update's outputs aged by `minutesBetween` (default an hour: longer
 * than any hold). Returns every update's plan; stops at the first refusal.
 */
export async function walk(
    stack: string,
    updates: readonly Record<string, unknown>[],
    options: { base?: Record<string, string>; previous?: Record<string, unknown>; minutesBetween?: number } = {},
): Promise<PlanResult[]> {
    const results: PlanResult[] = [];
    let config = options.base ?? stackConfig(stack).config;
    let previous = options.previous;
    for (const update of updates) {
        for (const [k, v] of Object.entries(update)) {
            config = withKey(config, k, v);
        }
        const result = await planStack(stack, { config, previous: previous && aged(previous, options.minutesBetween ?? 60) });
        results.push(result);
        if (!result.ok) {
            break;
        }
        previous = result.outputs;
    }
    return results;
}

/** The plan of the real prod stack with green at `weight` %, reached step by step from staging at 0. */
export async function prodAt(weight: number, edits: Record<string, unknown> = {}): Promise<PlanResult> {
    const steps = [0, 5, 25, 50, 100].filter((w) => w <= weight);
    const results = await walk("prod", steps.map((w, i) => (i === 0 ? { ...edits, "slotshift:rollout.weight": w } : { "slotshift:rollout.weight": w })));
    return results[results.length - 1];
}

/** What a promotion source (staging) has live: one version on blue, with its digest. */
export function sourceLive(version: string, digest: string): RolloutState {
    return {
        strategy: "blue-green",
        live: "blue",
        candidate: "green",
        weights: { blue: 100, green: 0 },
        versions: { blue: version, green: null },
        digests: { blue: digest, green: null },
        gitShas: { blue: null, green: null },
        builds: { blue: null, green: null },
        image: "",
        replicas: { blue: 2, green: 0 },
        phase: "stable",
        step: 0,
        nextStep: null,
        steps: [100],
        warm: null,
        stepTakenAt: "2026-01-01T00:00:00.000Z",
        trafficSince: null,
        finalizedAt: null,
        nextMoveAt: null,
        warmUntil: null,
        pinTenants: false,
        transition: "unchanged",
        aborted: null,
        history: [],
        expanded: [],
    };
}
