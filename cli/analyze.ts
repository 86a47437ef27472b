/**
 * `slotshift analyze`: the candidate's health over the step that is deployed, against the alert
 * rules' thresholds and against the live slot, read from the stack's Log Analytics workspace.
 *
 *   slotshift analyze --stack S [--previous FILE] [--json] [--watch [--until hold|DURATION]]
 *                     [--logs-endpoint URL] [--timeout SECONDS] [--now ISO]
 *
 * What is deployed and where the telemetry is come from the stack's outputs: `--previous FILE`, or
 * `pulumi stack output --json --stack S` when the Pulumi CLI is on the PATH. The thresholds, the
 * slots' names and the `slotshift:analysis` keys come from the stack file. Exit codes: 0 pass,
 * 5 fail, 6 inconclusive, 7 the logs could not be read (any error: never a pass), 1 the stack file's
 * config is refused, 2 usage (a bad option, no outputs, nothing carrying traffic).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import { parseStackConfig } from "../rollout/config";
import { RolloutState, readRolloutState } from "../rollout/state";
import { Analysis, Target, WatchResult, analyse, candidateOf, holdEndOf, intervalOf, progressDeadlineOf, watch, workspacesOf } from "../analysis/analyze";
import { AnalysisError, AnalysisUsageError, LogsClientOptions, credentialFrom, logsReader, parseLogsEndpoint } from "../analysis/client";
import { AnalysisRecord, recordOf, writeRecord } from "../analysis/record";
import { SignalVerdict, formatValue } from "../analysis/verdict";
import { StackOutputs } from "./engine";
import { parseNow } from "./inputs";
import { Writer, readOutputsFile } from "./plan";
import { UsageError, findProjectRoot, readStackConfig } from "./stackFile";

/** The exit codes of `analyze` (0, 1 and 2 are every command's). */
export const ANALYZE_EXIT = { pass: 0, fail: 5, inconclusive: 6, error: 7 } as const;

/** The options of `analyze`, as commander gives them. */
export interface AnalyzeOptions {
    readonly stack: string;
    readonly previous?: string;
    readonly json?: boolean;
    readonly watch?: boolean;
    readonly until?: string;
    readonly logsEndpoint?: string;
    readonly timeout?: string;
    readonly now?: string;
}

/** What `analyze` needs from the world; tests give their own. */
export interface AnalyzeDeps {
    readonly out: Writer;
    readonly err: Writer;
    readonly env: NodeJS.ProcessEnv;
    /** Waits between the analyses of a watch. @default a timer */
    readonly sleep?: (ms: number) => Promise<void>;
    /** The real clock, for a watch's progress. @default Date.now */
    readonly clock?: () => number;
    /** The client's patience beyond --timeout (retry delays), for tests. */
    readonly logs?: Pick<LogsClientOptions, "retry" | "throttle" | "attemptTimeoutMs">;
}

const UNTIL_HELP = "hold (the step's hold, then up to slotshift:analysis.progressDeadlineMinutes while inconclusive) or a duration such as 90s, 10m or 1h (at most 24h)";

/** `--until`: the hold, or a duration in milliseconds. */
export function parseUntil(text: string): "hold" | number {
    if (text === "hold") {
        return "hold";
    }
    const m = /^([1-9][0-9]{0,5})(s|m|h)$/.exec(text);
    const ms = m === null ? NaN : Number(m[1]) * { s: 1000, m: 60000, h: 3600000 }[m[2] as "s" | "m" | "h"];
    if (!(ms <= 24 * 3600000)) {
        throw new UsageError(`--until ${JSON.stringify(text)} is not allowed; allowed: ${UNTIL_HELP}`);
    }
    return ms;
}

/** `--timeout`: seconds one analysis may take. */
function parseTimeout(text: string | undefined): number {
    if (text === undefined) {
        return 60000;
    }
    if (!/^[0-9]{1,3}$/.test(text) || Number(text) < 1 || Number(text) > 600) {
        throw new UsageError(`--timeout ${JSON.stringify(text)} is not allowed; allowed: whole seconds from 1 to 600 that one analysis may take (default 60)`);
    }
    return Number(text) * 1000;
}

/** One line of the server's or the CLI's text. */
function oneLine(text: string): string {
    return text.replace(/\s+/g, " ").trim().slice(0, 300);
}

/** The stack's outputs: the file given, or what the Pulumi CLI reads. */
function outputsOf(opts: AnalyzeOptions, root: string, env: NodeJS.ProcessEnv): StackOutputs {
    if (opts.previous !== undefined) {
        return readOutputsFile(opts.previous, { option: "--previous", stack: opts.stack, now: opts.now === undefined ? undefined : parseNow(opts.now) });
    }
    const args = ["stack", "output", "--json", "--stack", opts.stack];
    const r = spawnSync("pulumi", args, { cwd: root, encoding: "utf8", env });
    if (r.error !== undefined) {
        throw new UsageError(
            `what is deployed comes from the stack's outputs: give --previous FILE (what 'pulumi stack output --json --stack ${opts.stack}' writes), or install the Pulumi CLI (https://www.pulumi.com/docs/install/)`,
        );
    }
    if (r.status !== 0) {
        throw new UsageError(`pulumi ${args.join(" ")} failed (exit ${r.status}): ${oneLine(r.stderr || r.stdout)}`);
    }
    try {
        const value = JSON.parse(r.stdout) as unknown;
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
            throw new Error("not an object");
        }
        return value as StackOutputs;
    } catch (e) {
        throw new UsageError(`pulumi ${args.join(" ")} did not print the outputs as a JSON object: ${(e as Error).message}`);
    }
}

const MARK: Readonly<Record<SignalVerdict["verdict"], string>> = { pass: "✔ pass", fail: "✖ fail", inconclusive: "◌ inconclusive", skipped: "- skipped" };

/** A slot's figure in the table: the measure, and the requests it stands on. */
function cell(s: SignalVerdict, which: "candidate" | "live"): string {
    const f = s[which];
    if (s.verdict === "skipped") {
        return "-";
    }
    if (f === null) {
        return "no data";
    }
    return f.requests === undefined ? formatValue(f.value, s.unit) : `${formatValue(f.value, s.unit)} of ${f.requests} req`;
}

/** The threshold cell: the rule's, and the ratio to live for the compared signals. */
function thresholdCell(s: SignalVerdict): string {
    return `> ${formatValue(s.threshold, s.unit)}${s.maxRatio === null ? "" : ` or > ${s.maxRatio} × live`}`;
}

/** The analysis for people: a header, a table of the signals, the verdict. */
export function renderAnalysis(a: Analysis): string {
    const minutes = Math.round((Date.parse(a.window.end) - Date.parse(a.window.start)) / 60000);
    const lines = [
        `stack ${a.stack}: ${a.candidate.slot} ${a.candidate.version ?? "-"} at ${a.candidate.weight} % against ${a.live.slot} ${a.live.version ?? "-"} (${a.step.phase} phase)`,
        `window ${a.window.start} .. ${a.window.end} (${minutes} min, from the step)`,
        "",
    ];
    const header = ["SIGNAL", `CANDIDATE (${a.candidate.slot})`, `LIVE (${a.live.slot})`, "FAILS WHEN", "VERDICT"];
    const rows = a.signals.map((s) => [s.signal, cell(s, "candidate"), cell(s, "live"), thresholdCell(s), MARK[s.verdict]]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
    lines.push(fmt(header), ...rows.map(fmt), "", `${a.verdict.toUpperCase()}: ${a.reason}`);
    return lines.join("\n");
}

/** The analysis for a job summary: Markdown. */
function summaryOf(a: Analysis): string {
    const esc = (t: string) => t.replace(/\|/g, "\\|");
    const rows = a.signals.map((s) => `| ${s.signal} | ${esc(cell(s, "candidate"))} | ${esc(cell(s, "live"))} | ${esc(thresholdCell(s))} | ${MARK[s.verdict]} |`);
    return [
        `### slotshift analyze ${a.stack}: ${a.verdict}`,
        "",
        `${a.candidate.slot} ${a.candidate.version ?? "-"} at ${a.candidate.weight} % against ${a.live.slot} ${a.live.version ?? "-"}, ${a.window.start} .. ${a.window.end}`,
        "",
        `| signal | candidate (${a.candidate.slot}) | live (${a.live.slot}) | fails when | verdict |`,
        "|---|---|---|---|---|",
        ...rows,
        "",
        esc(a.reason),
        "",
    ].join("\n");
}

/** Runs `analyze`; returns the exit code. Usage errors throw UsageError, a refused config ConfigError. */
export async function analyzeCommand(opts: AnalyzeOptions, deps: AnalyzeDeps): Promise<number> {
    const until = opts.until === undefined ? undefined : parseUntil(opts.until);
    if (until !== undefined && !opts.watch) {
        throw new UsageError(`--until ${JSON.stringify(opts.until)} needs --watch`);
    }
    const timeoutMs = parseTimeout(opts.timeout);
    const clock = deps.clock ?? Date.now;
    let nowAt: () => Date = () => new Date(clock());
    let given: Date | undefined;
    if (opts.now !== undefined) {
        given = parseNow(opts.now);
        // As at the time given; a watch's clock moves on from it.
        const t0 = clock();
        const at = given.getTime();
        nowAt = () => new Date(at + (clock() - t0));
    }
    let endpoint;
    let credential;
    try {
        endpoint = parseLogsEndpoint(opts.logsEndpoint);
        credential = credentialFrom(deps.env);
    } catch (e) {
        throw e instanceof AnalysisUsageError ? new UsageError(e.message) : e;
    }
    const root = findProjectRoot();
    // The stack file first: an unknown stack or a refused config is said before anything is read.
    const config = parseStackConfig(readStackConfig(root, opts.stack).config, opts.stack);
    const outputs = outputsOf(opts, root, deps.env);
    let deployed: RolloutState | undefined;
    try {
        deployed = readRolloutState(outputs.rollout);
    } catch (e) {
        throw new UsageError(`the stack's outputs: ${(e as Error).message}`);
    }
    if (deployed === undefined) {
        throw new UsageError(`the outputs of ${opts.stack} have no rollout output (the stack was never updated): nothing to analyse`);
    }
    let target: Target;
    try {
        target = { stack: opts.stack, config, deployed, workspaces: workspacesOf(outputs, opts.stack) };
        candidateOf(target);
    } catch (e) {
        throw e instanceof AnalysisUsageError ? new UsageError(e.message) : e;
    }
    const once = (at: Date) => analyse(target, logsReader({ endpoint, credential, deadlineMs: timeoutMs, ...deps.logs }), at);

    let result: WatchResult;
    try {
        if (!opts.watch) {
            result = { kind: "analysis", analysis: await once(given ?? nowAt()), analyses: 1 };
        } else {
            const start = nowAt();
            const plan =
                until === undefined || until === "hold"
                    ? { until: holdEndOf(target), deadline: progressDeadlineOf(target), intervalMs: intervalOf(target) * 1000 }
                    : { until: new Date(start.getTime() + until), deadline: null, intervalMs: intervalOf(target) * 1000 };
            const progress = opts.json ? deps.err : deps.out;
            progress.write(
                `slotshift analyze: watching ${opts.stack} every ${plan.intervalMs / 1000} s until ${plan.until.toISOString()}` +
                    `${plan.deadline !== null && plan.deadline > plan.until ? `, while inconclusive until ${plan.deadline.toISOString()}` : ""}; the first fail ends it\n`,
            );
            result = await watch(plan, {
                now: nowAt,
                sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
                analyse: once,
                onEach: (r, at) => progress.write(`${at.toISOString()}  ${r instanceof AnalysisError ? `error: ${r.message}` : `${r.verdict}: ${r.reason}`}\n`),
            });
        }
    } catch (e) {
        if (e instanceof AnalysisUsageError) {
            throw new UsageError(e.message);
        }
        if (!(e instanceof AnalysisError)) {
            throw e;
        }
        result = { kind: "error", error: e, analyses: 1 };
    }
    return report(result, target, root, opts, deps, nowAt());
}

/** Prints the verdict, keeps its record, fills GitHub's outputs; returns the exit code. */
function report(result: WatchResult, target: Target, root: string, opts: AnalyzeOptions, deps: AnalyzeDeps, now: Date): number {
    const { env, out, err } = deps;
    let record: AnalysisRecord;
    let code: number;
    if (result.kind === "error") {
        const line = `the logs could not be read, so no verdict (never a pass): ${result.error.message}`;
        if (opts.json) {
            out.write(`${JSON.stringify({ stack: target.stack, verdict: "error", reason: result.error.message }, null, 2)}\n`);
        }
        err.write(`slotshift analyze: ${line}\n`);
        const d = target.deployed;
        const cand = d.candidate!;
        record = { stack: target.stack, verdict: "error", candidate: cand, version: d.versions[cand], weight: d.weights[cand], stepTakenAt: d.stepTakenAt, at: now.toISOString() };
        if (env.GITHUB_STEP_SUMMARY) {
            fs.appendFileSync(env.GITHUB_STEP_SUMMARY, `### slotshift analyze ${target.stack}: error\n\n${line.replace(/\|/g, "\\|")}\n\n`);
        }
        code = ANALYZE_EXIT.error;
    } else {
        const a = result.analysis;
        out.write(opts.json ? `${JSON.stringify(a, null, 2)}\n` : `${renderAnalysis(a)}\n`);
        record = recordOf(a, target.deployed);
        if (env.GITHUB_STEP_SUMMARY) {
            fs.appendFileSync(env.GITHUB_STEP_SUMMARY, summaryOf(a));
        }
        code = ANALYZE_EXIT[a.verdict];
    }
    writeRecord(root, record);
    if (env.GITHUB_OUTPUT) {
        fs.appendFileSync(env.GITHUB_OUTPUT, `verdict=${record.verdict}\nanalysis=${JSON.stringify(record)}\n`);
    }
    return code;
}
