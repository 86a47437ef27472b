/**
 * `npm run bench`: how fast a `pulumi up` of slotshift gets to work, and what each
 * step of a release touches.
 *
 * 1. Start-up: the prod program, its floor (the same registrations replayed without slotshift's
 *    logic, bench/replay) and an empty Pulumi program, each started cold the way Pulumi's Node.js
 *    host starts a TypeScript program (bench/child.js), interleaved, several runs each; medians
 *    and the ratios. Then the program and the empty one with Pulumi's default (type-checking).
 * 2. The blast radius of every transition of a prod release: resources whose inputs change, and
 *    how many of those changes a provider can only make by replacing the resource.
 * 3. The test suite's wall time.
 *
 *   npm run bench [-- --runs 7] [-- --no-suite]
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PlanResult, plan } from "../cli/engine";
import { ROUTING_TYPES, diffPlans } from "../cli/planDiff";
import { readStackConfig } from "../cli/stackFile";
import { aged, edited, walk } from "../test/helpers";

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
}

/** One cold start, as a child process. */
function coldStart(programDir: string, mode: "check" | "transpile", env: NodeJS.ProcessEnv): Timing {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [path.join(__dirname, "child.js"), programDir, mode], { env: { ...process.env, ...env }, encoding: "utf8" });
    const wall = Number(process.hrtime.bigint() - t) / 1e6;
    if (r.status !== 0) {
        throw new Error(`cold start of ${programDir} failed: ${r.stderr}`);
    }
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as { done: number; registered: number; loaded: number; error: string | null };
    if (out.error) {
        throw new Error(`the program refused its config: ${out.error}`);
    }
    return { wall, done: out.done, registered: out.registered, loaded: out.loaded };
}

async function startup(): Promise<string[]> {
    const lines: string[] = [];
    // The host passes config through the environment; prod needs staging's outputs for its promotion gate.
    const staging = await plan({ stack: "staging", root: ROOT, resolveReferences: true });
    const prod = await plan({ stack: "prod", root: ROOT, references: { staging: staging.outputs } });
    if (!prod.ok) {
        throw new Error(`the prod plan was refused: ${prod.error?.message}`);
    }
    // The floor replays the prod program's registrations (bench/replay).
    const replayFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-bench-")), "registrations.json");
    fs.writeFileSync(replayFile, JSON.stringify(prod.resources));
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
    const done = (w: Which) => median(transpile[w].map((t) => t.done));
    const wall = (w: Which) => median(transpile[w].map((t) => t.wall));
    const [pm, fm, em] = [done("program"), done("floor"), done("empty")];
    const n = prod.resources.length;
    lines.push(`Start-up, ${RUNS} cold starts each, interleaved (medians; ms from process start to the last registration):`);
    lines.push(`  prod program, transpile-only (slotshift's setting)  ${fmt(pm)}   wall ${fmt(wall("program"))}`);
    lines.push(`  floor: its ${n} registrations replayed, no logic     ${fmt(fm)}   wall ${fmt(wall("floor"))}`);
    lines.push(`  empty program, transpile-only                      ${fmt(em)}   wall ${fmt(wall("empty"))}`);
    lines.push(`  ratio program / empty                              ${(pm / em).toFixed(2)} x   (target at most 1.30 x)`);
    lines.push(`  ratio floor / empty                                ${(fm / em).toFixed(2)} x   (the SDK's own cost of ${n} registrations)`);
    lines.push(`  ratio program / floor                              ${(pm / fm).toFixed(2)} x   (slotshift's own work: its modules, config, decision)`);
    const part = (w: Which, f: (t: Timing) => number) => fmt(median(transpile[w].map(f)));
    for (const w of ["program", "floor"] as const) {
        lines.push(`    ${w.padEnd(8)} SDK and ts-node ${part(w, (t) => t.registered)}, program modules ${part(w, (t) => t.loaded - t.registered)}, evaluation ${part(w, (t) => t.done - t.loaded)}`);
    }
    const checkRuns = Math.max(3, Math.floor(RUNS / 2));
    const check = run("check", checkRuns, ["empty", "program"]);
    const cm = median(check.program.map((t) => t.done));
    lines.push(`  prod program, type-checking (Pulumi's default)     ${fmt(cm)}   (${checkRuns} runs; ${(cm / pm).toFixed(2)} x slotshift's setting)`);
    lines.push(`  empty program, type-checking                       ${fmt(median(check.empty.map((t) => t.done)))}`);
    fs.rmSync(path.dirname(replayFile), { recursive: true, force: true });
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

    const lines = ["", `Blast radius of a prod release (${release[0].resources.filter((r) => r.custom).length} cloud resources; target: routing only and no replacement on every step and rollback):`];
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
        const ok = routingOnly ? (other === 0 && replaced === 0 ? "yes" : "NO") : replaced === 0 ? "no replacement" : "REPLACES";
        lines.push(`  ${what.padEnd(36)} ${String(changed.length).padStart(7)} ${String(routing).padStart(7)} ${String(other).padStart(5)} ${String(replaced).padStart(8)}  ${ok}`);
    }
    return lines;
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
    out(await startup());
    out(await blast());
    if (!args.includes("--no-suite")) {
        out(suite());
    }
}

main().catch((e: unknown) => {
    process.stderr.write(`bench: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
});
