/**
 * What is known about a step's analysis: the last verdict `slotshift analyze` reached for a stack,
 * kept in `.slotshift/analysis/<stack>.json` of the project (the pipeline hands it from one step's
 * job to the next as the job's `analysis` output). `slotshift next` and `finalize` warn when it holds
 * no pass for the step that is deployed: the pipeline never moves on without one, a person can.
 *
 * A record names the step it judged (the stack, the candidate slot, its version and weight, when the
 * step was taken), so a pass of an earlier step, or of the same weight in an earlier release, is
 * not taken for this one.
 */
import * as fs from "fs";
import * as path from "path";
import { RolloutState } from "../rollout/state";
import { writeAtomically } from "../cli/stackEdit";
import { Analysis } from "./analyze";
import { OUTCOMES, Outcome } from "./verdict";

/** The last verdict on a step. */
export interface AnalysisRecord {
    readonly stack: string;
    readonly verdict: Outcome | "error";
    readonly candidate: string;
    readonly version: string | null;
    readonly weight: number;
    /** The step's `stepTakenAt`, as the rollout output gives it. */
    readonly stepTakenAt: string;
    /** When the verdict was reached (the end of its window). */
    readonly at: string;
}

/** Where a stack's record is kept. */
export function recordPath(root: string, stack: string): string {
    return path.join(root, ".slotshift", "analysis", `${stack}.json`);
}

/** The record of an analysis. */
export function recordOf(a: Analysis, deployed: RolloutState): AnalysisRecord {
    return { stack: a.stack, verdict: a.verdict, candidate: a.candidate.slot, version: a.candidate.version, weight: a.candidate.weight, stepTakenAt: deployed.stepTakenAt, at: a.window.end };
}

/** Writes a record (atomically: a reader sees the old one or the new one). */
export function writeRecord(root: string, record: AnalysisRecord): void {
    const file = recordPath(root, record.stack);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeAtomically(file, `${JSON.stringify(record)}\n`);
}

/** The record of a stack, or undefined when there is none or it is not one. */
export function readRecord(root: string, stack: string): AnalysisRecord | undefined {
    let value: unknown;
    try {
        value = JSON.parse(fs.readFileSync(recordPath(root, stack), "utf8"));
    } catch {
        return undefined;
    }
    const r = value as Partial<AnalysisRecord> | null;
    const ok =
        r !== null &&
        typeof r === "object" &&
        r.stack === stack &&
        ([...OUTCOMES, "error"] as readonly unknown[]).includes(r.verdict) &&
        typeof r.candidate === "string" &&
        (typeof r.version === "string" || r.version === null) &&
        typeof r.weight === "number" &&
        typeof r.stepTakenAt === "string" &&
        typeof r.at === "string";
    return ok ? (r as AnalysisRecord) : undefined;
}

/**
 * The warning of a `next` or `finalize` from a step that carries traffic and has no passing
 * verdict known; undefined when there is one, or when the step carries no traffic (a first step
 * from 0 % has nothing to analyse). With the stack's outputs (`--previous`) the step's time must
 * match too; from the stack file alone it is unknown, and slot, version and weight must.
 */
export function gateWarning(stack: string, deployed: RolloutState, fromOutputs: boolean, record: AnalysisRecord | undefined): string | undefined {
    const cand = deployed.candidate;
    if (cand === null || deployed.weights[cand] === 0) {
        return undefined;
    }
    const weight = deployed.weights[cand];
    const same =
        record !== undefined &&
        record.candidate === cand &&
        record.version === deployed.versions[cand] &&
        record.weight === weight &&
        (!fromOutputs || record.stepTakenAt === deployed.stepTakenAt);
    if (same && record.verdict === "pass") {
        return undefined;
    }
    const step = `${stack}'s step at ${weight} % (${cand} ${deployed.versions[cand] ?? "-"}${fromOutputs ? `, taken at ${deployed.stepTakenAt}` : ""})`;
    const known = same ? `the last analysis of ${step} is ${record.verdict} (at ${record.at})` : `no passing analysis is known for ${step}`;
    return `${known}: check it with slotshift analyze --stack ${stack}${fromOutputs ? "" : " --previous FILE"} before moving on (the pipeline moves on only after a pass)`;
}
