/**
 * `npm run bench`: how fast a `pulumi up` of slotshift gets to work, and what each
 * step of a release touches.
 *
 * 1. Start-up: the prod program, its floor (the same registrations replayed without slotshift's
 *    logic, bench/replay) and an empty Pulumi program, each started cold the way Pulumi's Node.js
 *    host starts a TypeScript program (bench/child.js), interleaved, several runs each; medians
 *    and the ratios. Every run loads ts-node and the SDK the same way before it requires its
 *    program, so the ratios take that phase's median over all runs as every program's start
 *    (the raw ratios of the medians are printed beside them). Then the program and the empty one
 *    with Pulumi's default (type-checking).
 * 2. The blast radius of every transition of a prod release: resources whose inputs change, and
 *    how many of those changes a provider can only make by replacing the resource.
 * 3. Time-to-safety on the alert path and on the step's gate path (bench/safety.ts): each hop from
 *    the candidate's first bad request to the candidate at 0 % for clients, from prod's settings,
 *    with its share and basis, then both beside the release process's estimate of 3 minutes
 *    (docs/RELEASE-PROCESS.md §5).
 * 4. The test suite's wall time.
 *
 * 2b. The same with migrations and hooks on: which resources (Jobs) each transition adds, changes, removes.
 * 2c. Capacity: pod-minutes of a prod release and its peak pods over the live slot's, proportional and full.
 *
 *   npm run bench [-- --runs 7] [-- --no-suite] [-- --blast-only]
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PlanResult, plan } from "../cli/engine";
import { ROUTING_TYPES, diffPlans } from "../cli/planDiff";
import { readStackConfig } from "../cli/stackFile";
import { aged, edited, walk, withKey } from "../test/helpers";
import { parseStackConfig } from "../rollout/config";
import { readRolloutState } from "../rollout/state";
import { ALERT_PATH_GOAL_SECONDS, GATE_PATH_GOAL_SECONDS, alertPath, gatePath, renderComparison, renderPath } from "./safety";

const ROOT = path.resolve(__dirname, "..");
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf("--runs") + 1]) || 7;

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Timing {
    /** Wall time of the whole process, spawn to exit. */
    wall: number;
    /** Time from process start to the program's last registration. */
    done: number;
    /** ts-node and the SDK loaded. */
    registered: number;
    /** The program's modules loaded. */
    loaded: number;
    /** Resources and stack references the program registered. */
    registrations: number;
}

/** One cold start, as a child process. */
function coldStart(programDir: string, mode: "check" | "transpile", env: NodeJS.ProcessEnv): Timing {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [path.join(__dirname, "child.js"), programDir, mode], { env: { ...process.env, ...env }, encoding: "utf8" });
    const wall = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) {
        throw new Error(`cold start of ${programDir} failed: ${r.stderr}`);
    }
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { done: number; registered: number; loaded: number; registrations: number; error: string | null };
    if (out.error) {
        throw new Error(`the program refused its config: ${out.error}`);
    }
    return { wall, done: out.done, registered: out.registered, loaded: out.loaded, registrations: out.registrations };
}

async function startup(): Promise<string[]> {
    // The host passes config through the environment; prod needs staging's outputs for its promotion gate.
    const staging = await plan({ stack: "staging", root: ROOT, resolveReferences: true });
    const prod = await plan({ stack: "prod", root: ROOT, references: { staging: staging.outputs } });
    if (!prod.ok) {
        throw new Error(`the prod plan was refused: ${prod.error?.message}`);
    }
    // The floor replays the prod program's registrations (bench/replay).
    const replayDir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-bench-"));
    try {
        const replayFile = path.join(replayDir, "registrations.json");
        fs.writeFileSync(replayFile, JSON.stringify({ resources: prod.resources, outputs: prod.outputs }));
        return coldStarts(prod, staging, replayFile);
    } finally {
        fs.rmSync(replayDir, { recursive: true, force: true });
    }
}

/** The start-up table: cold starts of the prod program, its floor and the empty program. */
function coldStarts(prod: PlanResult, staging: PlanResult, replayFile: string): string[] {
    const lines: string[] = [];
    const prodConfig = readStackConfig(ROOT, "prod");
    const env = {
        PULUMI_CONFIG: JSON.stringify(prodConfig.config),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(prodConfig.secretKeys),
        BENCH_STACK: "prod",
        BENCH_REFERENCES: JSON.stringify({ staging: staging.outputs }),
        BENCH_REPLAY: replayFile,
        PULUMI_NODEJS_TRANSPILE_ONLY: "",
    };
    const programs = { program: ROOT, floor: path.join(__dirname, "replay"), empty: path.join(__dirname, "empty") };
    type Which = keyof typeof programs;
    const run = (mode: "check" | "transpile", runs: number, which: readonly Which[]) => {
        const timings: Record<Which, Timing[]> = { program: [], floor: [], empty: [] };
        coldStart(ROOT, mode, env); // warm the file cache once
        for (let i = 0; i < runs; i++) {
            for (const w of which) {
                timings[w].push(coldStart(programs[w], mode, env));
            }
        }
        return timings;
    };
    const fmt = (ms: number) => `${ms.toFixed(0).padStart(6)} ms`;
    const transpile = run("transpile", RUNS, ["empty", "floor", "program"]);
    const counts = new Set([...transpile.program, ...transpile.floor].map((t) => t.registrations));
    if (counts.size !== 1) {
        throw new Error(`the floor must register what the program registers; counts seen: ${[...counts].join(", ")}`);
    }
    const n = prod.resources.length;
    const med = (w: Which, f: (t: Timing) => number) => median(transpile[w].map(f));
    // Until the program is required every run does the same work (ts-node and the SDK load), so
    // its spread is noise: the ratios take its median over all runs as every program's start.
    const all = (["program", "floor", "empty"] as const).flatMap((w) => transpile[w]);
    const start = median(all.map((t) => t.registered));
    const [pm, fm, em] = (["program", "floor", "empty"] as const).map((w) => start + med(w, (t) => t.done - t.registered));
    const [rp, rf, re] = (["program", "floor", "empty"] as const).map((w) => med(w, (t) => t.done));
    const col = (ms: number) => fmt(ms).padStart(12);
    const row = (label: string, w: Which) =>
        `  ${label.padEnd(40)}${col(med(w, (t) => t.registered))}${col(med(w, (t) => t.loaded - t.registered))}${col(med(w, (t) => t.done - t.loaded))}${col(med(w, (t) => t.done))}${col(med(w, (t) => t.wall))}`;
    const x = (a: number, b: number) => `${(a / b).toFixed(2)} x`;
    lines.push(`Start-up, ${RUNS} cold starts each, interleaved (medians, ms from process start):`);
    lines.push(`  ${"".padEnd(40)}${["SDK+ts-node", "modules", "evaluation", "last reg.", "wall"].map((h) => h.padStart(12)).join("")}`);
    lines.push(row("prod program (slotshift's setting)", "program"));
    lines.push(row(`floor: its ${n} registrations, no logic`, "floor"));
    lines.push(row("empty program", "empty"));
    lines.push(`  Ratios, each program's start taken as the median over all ${all.length} runs (${start.toFixed(0)} ms; raw medians in brackets):`);
    lines.push(`  program / empty   ${x(pm, em)}  (${x(rp, re)})   target at most 1.30 x`);
    lines.push(`  floor / empty     ${x(fm, em)}  (${x(rf, re)})   the Pulumi SDK's own cost of ${n} registrations`);
    lines.push(`  program / floor   ${x(pm, fm)}  (${x(rp, rf)})   slotshift's own work: its code, config, decision`);
    const checkRuns = Math.max(3, Math.floor(RUNS / 2));
    const check = run("check", checkRuns, ["empty", "program"]);
    const cm = median(check.program.map((t) => t.done));
    lines.push(`  Type-checking (Pulumi's default), ${checkRuns} runs: prod program ${fmt(cm)} to its last registration (${x(cm, rp)} slotshift's setting), empty program ${fmt(median(check.empty.map((t) => t.done)))}`);
    return lines;
}

async function blast(): Promise<string[]> {
    const weights = [0, 5, 25, 50, 100];
    // Prod starts stable on 1.0.0 (green empty), then a whole release, and a rollback from each step.
    const stable = await walk("prod", [{ "slotshift:slots.green": {} }]);
    const release = await walk("prod", weights.map((w, i) => (i === 0 ? { "slotshift:rollout.weight": 0 } : { "slotshift:rollout.weight": w })), {
        previous: stable[0].outputs,
    });
    const [finalized] = await walk("prod", [{ "slotshift:rollout.live": "green", "slotshift:rollout.weight": 0 }], {
        base: edited("prod", { "slotshift:rollout.weight": 100 }),
        previous: release[4].outputs,
    });
    const rows: [string, PlanResult, PlanResult, boolean][] = [["stage 1.1.0 in green at 0 %", stable[0], release[0], false]];
    for (let i = 1; i < weights.length; i++) {
        rows.push([`step ${weights[i - 1]} -> ${weights[i]} %`, release[i - 1], release[i], true]);
    }
    rows.push(["finalize (green live, blue warm)", release[4], finalized, false]);
    for (let i = 1; i < weights.length; i++) {
        const back = await plan({ stack: "prod", root: ROOT, config: edited("prod", { "slotshift:rollout.weight": 0 }), previous: aged(release[i].outputs, 60), resolveReferences: true });
        rows.push([`rollback from ${weights[i]} %`, release[i], back, true]);
    }
    const after = await plan({ stack: "prod", root: ROOT, config: edited("prod", { "slotshift:rollout.live": "blue", "slotshift:rollout.weight": 0 }), previous: aged(finalized.outputs, 5), resolveReferences: true });
    rows.push(["rollback after finalize (blue live)", finalized, after, true]);

    const lines = ["", `Blast radius of a prod release (${release[0].resources.filter((r) => r.custom).length} cloud resources; target: no replacement, routing only on every rollback, routing and the candidate's scale on a step):`];
    lines.push(`  ${"transition".padEnd(36)} ${"changed".padStart(7)} ${"routing".padStart(7)} ${"other".padStart(5)} ${"replaced".padStart(8)}  meets target`);
    for (const [what, a, b, routingOnly] of rows) {
        for (const p of [a, b]) {
            if (!p.ok) {
                throw new Error(`${what}: refused: ${p.error?.message}`);
            }
        }
        // Cloud resources only: components have no inputs of their own.
        const custom = new Set([...a.resources, ...b.resources].filter((x) => x.custom).map((x) => `${x.type}::${x.name}`));
        const d = diffPlans(a, b);
        const changed = d.changed.filter((k) => custom.has(k));
        const routing = changed.filter((k) => ROUTING_TYPES.has(k.split("::")[0])).length;
        const other = changed.length - routing;
        const replaced = d.replaced.length;
        // A forward step may also scale the candidate up (proportional capacity), before its share rises.
        const scalesCandidate = what.startsWith("step") && changed.filter((k) => !ROUTING_TYPES.has(k.split("::")[0])).every((k) => k === "kubernetes:apps/v1:Deployment::nextgen-market-prod-green-deployment");
        const ok = routingOnly ? ((other === 0 || scalesCandidate) && replaced === 0 ? (other === 0 ? "yes" : "yes (+ candidate scale)") : "NO") : replaced === 0 ? "no replacement" : "REPLACES";
        lines.push(`  ${what.padEnd(36)} ${String(changed.length).padStart(7)} ${String(routing).padStart(7)} ${String(other).padStart(5)} ${String(replaced).padStart(8)}  ${ok}`);
    }
    return lines;
}

/**
 * The blast radius of a prod release with migrations and hooks (slotshift:migrations.expand,
 * slotshift:hooks.preTraffic and .perStep): which resources each transition adds (a Job added is a
 * Job run), changes and removes. Target: steps and rollbacks replace nothing and run no migration.
 */
async function blastWithJobs(): Promise<string[]> {
    const green = (JSON.parse(readStackConfig(ROOT, "prod").config["slotshift:slots"]) as { green: unknown }).green;
    const on = {
        "slotshift:migrations": { databaseSecret: { name: "nextgen-market-db" }, expand: { command: ["node", "migrate.js", "expand"] } },
        "slotshift:hooks": { preTraffic: { command: ["npm", "run", "smoke"] }, perStep: { command: ["npm", "run", "check"] } },
    };
    let config = edited("prod", { ...on, "slotshift:slots.green": {}, "slotshift:rollout.weight": 0 });
    let previous: PlanResult | undefined;
    const rows: [string, PlanResult, PlanResult, "step" | "other"][] = [];
    const update = async (what: string, edits: Record<string, unknown> | ((p: PlanResult) => Record<string, unknown>), kind: "step" | "other" = "other") => {
        const e = typeof edits === "function" ? edits(previous!) : edits;
        for (const [k, v] of Object.entries(e)) {
            config = withKey(config, k, v);
        }
        const p = await plan({ stack: "prod", root: ROOT, config, previous: previous && aged(previous.outputs, 60), resolveReferences: true });
        if (!p.ok) {
            throw new Error(`${what}: refused: ${p.error?.message}`);
        }
        if (previous !== undefined) {
            rows.push([what, previous, p, kind]);
        }
        previous = p;
    };
    await update("stable on 1.0.0", {});
    await update("stage 1.1.0 in green at 0 %", { "slotshift:slots.green": green });
    await update("step 0 -> 5 %", { "slotshift:rollout.weight": 5 }, "step");
    await update("step 5 -> 25 %", { "slotshift:rollout.weight": 25 }, "step");
    await update("rollback from 25 %", { "slotshift:rollout.weight": 0 }, "step");
    await update("retry: 0 -> 5 %", (p) => ({ "slotshift:rollout.weight": 5, "slotshift:rollout.retry": readRolloutState(p.outputs.rollout)!.aborted!.at }), "step");
    for (const [from, to] of [[5, 25], [25, 50], [50, 100]]) {
        await update(`step ${from} -> ${to} %`, { "slotshift:rollout.weight": to }, "step");
    }
    await update("finalize (green live, blue warm)", { "slotshift:rollout.live": "green", "slotshift:rollout.weight": 0 });
    await update("decommission blue", { "slotshift:slots.blue.decommissioned": true });

    const short = (k: string) => k.split("::")[1].replace(/^nextgen-market-prod-/, "");
    const lines = ["", "Blast radius of a prod release with migrations and hooks (a Job added runs; target: steps and rollbacks replace nothing and run no migration):"];
    lines.push(`  ${"transition".padEnd(34)} ${"replaced".padStart(8)}  added (runs) / changed / removed`);
    for (const [what, a, b, kind] of rows) {
        const custom = new Set([...a.resources, ...b.resources].filter((x) => x.custom).map((x) => `${x.type}::${x.name}`));
        const d = diffPlans(a, b);
        const added = d.added.filter((k) => custom.has(k));
        const removed = d.removed.filter((k) => custom.has(k));
        const changed = d.changed.filter((k) => custom.has(k) && !added.includes(k) && !removed.includes(k));
        const migrations = added.filter((k) => k.includes("-migrate-"));
        const ok = kind === "step" ? (d.replaced.length === 0 && migrations.length === 0 ? "yes" : "NO") : "";
        const list = (ks: string[]) => (ks.length === 0 ? "-" : ks.map(short).join(", "));
        lines.push(`  ${what.padEnd(34)} ${String(d.replaced.length).padStart(8)}  + ${list(added)} / ~ ${list(changed)} / - ${list(removed)}${ok ? `  meets target: ${ok}` : ""}`);
    }
    return lines;
}

/**
 * Capacity of a prod release (stage, 5, 25, 50, 100, finalize, the warm time): pods per phase from
 * each plan's rollout output, the pod-minutes with each phase held as prod holds it (a step
 * `minStepMinutes`, stage and 100 % the same, the warm time `warmMinutes`), and the peak pods over
 * the live slot's own count, for proportional and full capacity.
 */
async function capacity(): Promise<string[]> {
    const lines = ["", "Capacity of a prod release (pods from each update's rollout output; each phase held as prod holds it):"];
    const cfg = parseStackConfig(edited("prod", {}), "prod");
    const hold = cfg.rollout.minStepMinutes;
    for (const scale of ["proportional", "full"] as const) {
        const caps = { "slotshift:capacity": { canaryScale: scale } };
        const plans = await walk("prod", [
            { ...caps, "slotshift:rollout.weight": 0 },
            { "slotshift:rollout.weight": 5 },
            { "slotshift:rollout.weight": 25 },
            { "slotshift:rollout.weight": 50 },
            { "slotshift:rollout.weight": 100 },
            { "slotshift:rollout.live": "green", "slotshift:rollout.weight": 0 },
        ]);
        const phases = ["stage", "5 %", "25 %", "50 %", "100 %", "finalize + warm"];
        const minutes = [hold, hold, hold, hold, hold, cfg.rollout.warmMinutes];
        let podMinutes = 0;
        let peakAt5 = 0;
        const cells: string[] = [];
        plans.forEach((p, i) => {
            if (!p.ok) {
                throw new Error(`${scale} ${phases[i]}: refused: ${p.error?.message}`);
            }
            const s = readRolloutState(p.outputs.rollout)!;
            const pods = s.replicas.blue + s.replicas.green;
            podMinutes += pods * minutes[i];
            if (phases[i] === "5 %") {
                peakAt5 = pods / s.replicas[s.live];
            }
            cells.push(`${phases[i]} ${s.replicas[s.live]}+${s.replicas[s.candidate ?? s.live === "blue" ? "green" : "blue"]}`);
        });
        lines.push(`  ${scale.padEnd(13)} ${String(podMinutes).padStart(4)} pod-minutes; at 5 %: ${peakAt5.toFixed(2)} x the live slot's pods (goal <= 1.30 x)   [live+candidate: ${cells.join(", ")}]`);
    }
    return lines;
}

/** Time-to-safety on the alert path, from prod's own settings at its first canary step. */
async function safety(): Promise<string[]> {
    const steps = await walk("prod", [{ "slotshift:rollout.weight": 0 }, { "slotshift:rollout.weight": 5 }]);
    const atFive = steps[1];
    const config = edited("prod", { "slotshift:rollout.weight": 0 });
    // The rollback's own program run, as pulumi up makes it (median of 5).
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
        const t = process.hrtime.bigint();
        const back = await plan({ stack: "prod", root: ROOT, config, previous: aged(atFive.outputs, 10), resolveReferences: true });
        times.push(Number(process.hrtime.bigint() - t) / 1e9);
        if (!back.ok) {
            throw new Error(`rollback from 5 %: refused: ${back.error?.message}`);
        }
    }
    const input = {
        config: parseStackConfig(config, "prod"),
        state: readRolloutState(atFive.outputs.rollout)!,
        routingUpdateSeconds: median(times),
    };
    const hops = alertPath(input);
    const gate = gatePath(input);
    return [
        ...renderPath("Time to safety through the alerts (prod at 5 %: first bad request -> candidate at 0 % for clients):", hops, ALERT_PATH_GOAL_SECONDS),
        ...renderPath("Time to safety through the step's gate (prod at 5 %, slotshift analyze --watch in the step's job):", gate, GATE_PATH_GOAL_SECONDS),
        ...renderComparison(gate, hops),
    ];
}

function suite(): string[] {
    const t = process.hrtime.bigint();
    const r = spawnSync("npm", ["test", "--silent"], { cwd: ROOT, encoding: "utf8" });
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    const passing = /(\d+) passing/.exec(r.stdout)?.[1] ?? "?";
    return ["", `Test suite (npm test: typecheck + mocha): ${s.toFixed(1)} s wall, ${passing} passing, exit ${r.status}`];
}

async function main(): Promise<void> {
    const out = (lines: string[]) => process.stdout.write(`${lines.join("\n")}\n`);
    if (args.includes("--blast-only")) {
        out(await blast());
        out(await blastWithJobs());
        out(await capacity());
        return;
    }
    out(await startup());
    out(await blast());
    out(await blastWithJobs());
    out(await capacity());
    out(await safety());
    if (!args.includes("--no-suite")) {
        out(suite());
    }
}

main().catch((e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
});
