/**
 * The `slotshift` command: reads and edits a stack file the way a release
 * engineer would, refusing what `pulumi up` would refuse, and plans offline.
 *
 *   slotshift status   --stack S [--previous FILE] [--json]
 *   slotshift history  --stack S [--previous FILE] [--json]
 *   slotshift start    <version> --stack S [--sha SHA] [--build N] [--digest D | --resolve-digest]
 *   slotshift next     --stack S
 *   slotshift rollback --stack S
 *   slotshift finalize --stack S
 *   slotshift retry    --stack S --previous FILE
 *   slotshift decommission --stack S
 *   slotshift plan     --stack S [--json] [--previous FILE] [--reference STACK=FILE]
 *   slotshift should-rollback --stack S --slot C --fired-at T --previous FILE [--signal X] [--json]
 *   slotshift approval-age --stack S [--repository owner/name] [--run-id N]
 *   slotshift notify   --stack S --event step|rollback|analysis-failed|step-failed [--previous FILE] [--verdict V] [--strict]
 *   slotshift analyze  --stack S [--previous FILE] [--json] [--watch [--until hold|DURATION]] [--logs-endpoint URL]
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import { Command, CommanderError, Option } from "commander";
import { ConfigError } from "../rollout/errors";
import { RolloutState, readRolloutState } from "../rollout/state";
import { FIRED_AT_EXAMPLE, alertRollbackDecision, eventDecision, parseAlertTime, shown } from "./alertRollback";
import { ANALYZE_EXIT, AnalyzeOptions, analyzeCommand } from "./analyze";
import { gateWarning, readRecord } from "../analysis/record";
import { main as planMain, parseReference, readOutputsFile, Writer } from "./plan";
import {
    Change,
    StackView,
    applyChange,
    decommissionChange,
    finalizeChange,
    nextChange,
    renderDiff,
    resolveStartDigest,
    retryChange,
    rollbackChange,
    startChange,
    viewStack,
    withText,
} from "./commands";
import { StackOutputs } from "./engine";
import { readDeployed } from "./deployed";
import { NOTIFY_EXIT, registerNotify } from "./notify";
import { APPROVAL_EXIT, registerApproval } from "./approval";
import { renderHistory, renderStatus, status } from "./status";
import { RegistryError } from "./registry";
import { checkReferences, checkRolloutOutput, parseNow } from "./inputs";
import { ConflictError, withStackLock } from "./lock";
import { UsageError, findProjectRoot, listStacks, stackFilePath } from "./stackFile";

/** Exit codes, as `--help` lists them. */
export const EXIT = {
    ok: 0,
    refused: 1,
    usage: 2,
    pulumi: 3,
    registry: 4,
    analysisFail: ANALYZE_EXIT.fail,
    inconclusive: ANALYZE_EXIT.inconclusive,
    analysisError: ANALYZE_EXIT.error,
    conflict: 8,
    approvalTooOld: APPROVAL_EXIT.over,
    githubUnreadable: APPROVAL_EXIT.unreadable,
    notifyFailed: NOTIFY_EXIT.failed,
    internal: 70,
} as const;

const EXIT_HELP = `
Exit codes:
  0  done (or, with --dry-run, would be done)
  1  refused: the edit breaks a rollout rule or the config schema; the file is untouched
  2  usage error: unknown stack, unreadable file, YAML syntax error, bad option
  3  --up: the Pulumi CLI is missing or pulumi up failed (the stack file is already edited)
  4  start --resolve-digest: the registry lookup failed (tag not found, credentials refused,
     rate limited, unreachable, timed out); the file is untouched
  5  analyze: fail (a signal above its threshold, or worse than the live slot by more than the margin)
  6  analyze: inconclusive (too few requests, or nothing reported): never a pass
  7  analyze: the logs could not be read (credentials, network, throttling, a query error, no such
     workspace, a malformed answer, no answer in time): never a pass
  8  conflict: another slotshift edit holds the stack file's lock, or the file changed between
     this edit's read and its write (an editor, a git pull); nothing written: run it again
  9  approval-age: the run's approval waited longer than slotshift:promotion.approvalTimeoutHours
 10  approval-age: GitHub could not be read (never taken as approved)
 11  notify --strict: a webhook post failed (without --strict a failed post is exit 0)
 70  internal error: a bug in slotshift (SLOTSHIFT_DEBUG=1 prints the stack trace); please report it

What is deployed comes from --previous FILE (what 'pulumi stack output --json --stack S' writes), else
from 'pulumi stack output --json' when the Pulumi CLI is on the PATH; without either, the stack file
is taken as deployed (status says so) and the step holds are left to pulumi up to check.`;

interface CommonOptions {
    stack: string;
    previous?: string;
    reference: Record<string, string>;
    dryRun?: boolean;
    up?: boolean;
    force?: boolean;
    now?: string;
}

function withCommon(cmd: Command, edits: boolean): Command {
    cmd.requiredOption("-s, --stack <stack>", "the stack (Pulumi.<stack>.yaml)")
        .option("--previous <file>", "outputs of the stack's last update (pulumi stack output --json)")
        .option("--reference <stack=file>", "outputs of another stack, e.g. the promotion source (repeatable)", parseReference, {} as Record<string, string>)
        .addOption(new Option("--now <time>", "decide as at this ISO 8601 time").hideHelp());
    if (edits) {
        cmd.option("--dry-run", "print the change, write nothing")
            .option("--up", "then run pulumi up for the stack (needs the Pulumi CLI)")
            .option("--force", "write slotshift:rollout.force: true for this edit's update only (skips the holds and the one-step rule; every edit without it writes false)");
    }
    return cmd;
}

/** Runs `pulumi up` through the Automation API; the Pulumi CLI must be on the PATH. */
async function pulumiUp(root: string, stack: string, out: Writer): Promise<void> {
    const probe = spawnSync("pulumi", ["version"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) {
        throw new UsageError(
            `--up needs the Pulumi CLI on the PATH and none was found (install it: https://www.pulumi.com/docs/install/). ` +
                `The stack file is edited; run: pulumi up --stack ${stack}`,
        );
    }
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
    const ws = await LocalWorkspace.selectStack({ stackName: stack, workDir: root });
    await ws.up({ onOutput: (s: string) => out.write(s) });
}

/**
 * `should-rollback`: whether the alert relay's event rolls the stack back (see alertRollback.ts).
 * Prints one line; with GITHUB_OUTPUT set appends go=true|false (and stack=S when go), with
 * GITHUB_STEP_SUMMARY set appends the line. A no-op is exit 0 too; only bad usage is exit 2.
 */
function shouldRollback(opts: Record<string, unknown>, out: Writer, env: NodeJS.ProcessEnv): number {
    const text = (v: unknown) => (typeof v === "string" ? v : undefined);
    const firedAt = text(opts.firedAt);
    if (firedAt !== undefined && firedAt !== "" && parseAlertTime(firedAt) === undefined) {
        throw new UsageError(`--fired-at ${shown(firedAt)} is not an ISO 8601 UTC time; allowed: YYYY-MM-DDTHH:MM:SS[.fraction]Z, e.g. ${FIRED_AT_EXAMPLE}`);
    }
    const now = opts.now === undefined ? new Date() : parseNow(String(opts.now));
    const event = { stack: text(opts.stack) ?? "", slot: text(opts.slot), signal: text(opts.signal), firedAt };
    const ctx = { now, stacks: listStacks(findProjectRoot()) };
    // The event is checked before anything of the stack is read: an unknown stack has no outputs to read.
    let decision = eventDecision(event, ctx);
    if (decision === undefined) {
        const file = text(opts.previous);
        if (file === undefined) {
            throw new UsageError(`--previous FILE is needed for ${event.stack} (what 'pulumi stack output --json --stack ${event.stack}' writes): what is deployed decides`);
        }
        // Read and checked (shape and invariants) in one line on failure, naming the file and the field.
        const deployed: RolloutState | undefined = readRolloutState(readOutputsFile(file, { option: "--previous", stack: event.stack, now }).rollout);
        decision = alertRollbackDecision(event, deployed, ctx);
    }
    const line = `${decision.go ? `rollback ${event.stack}` : "no rollback"}: ${decision.reason}`;
    out.write(opts.json ? `${JSON.stringify({ go: decision.go, stack: decision.go ? event.stack : null, reason: decision.reason })}\n` : `${line}\n`);
    if (env.GITHUB_OUTPUT) {
        fs.appendFileSync(env.GITHUB_OUTPUT, `go=${decision.go}\n${decision.go ? `stack=${event.stack}\n` : ""}`);
    }
    if (env.GITHUB_STEP_SUMMARY) {
        fs.appendFileSync(env.GITHUB_STEP_SUMMARY, `slotshift should-rollback: ${line}\n`);
    }
    return EXIT.ok;
}

/** Runs the slotshift command; returns the exit code. */
export async function main(
    argv: readonly string[],
    out: Writer = process.stdout,
    err: Writer = process.stderr,
    env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
    let code: number = EXIT.ok;
    const run = (fn: (opts: CommonOptions & Record<string, unknown>, cmd: Command) => Promise<number> | number) =>
        async function (this: Command) {
            code = await fn(this.opts<CommonOptions & Record<string, unknown>>(), this);
        };

    /**
     * The stack and what is deployed: `--previous FILE`, else `pulumi stack output --json` when the
     * Pulumi CLI is on the PATH, else nothing (the stack file is then taken as deployed, and said so).
     */
    const load = (opts: CommonOptions): { view: StackView; source?: string; unknownBecause?: string } => {
        const root = findProjectRoot();
        const now = nowOf(opts) ?? new Date();
        let previous: StackOutputs | undefined;
        let source: string | undefined;
        let unknownBecause: string | undefined;
        if (opts.previous !== undefined) {
            previous = readOutputsFile(opts.previous, { option: "--previous", stack: opts.stack, now });
            source = `--previous ${opts.previous}`;
        } else {
            const found = readDeployed(root, opts.stack, { env });
            if (found.outputs !== undefined) {
                // What the Pulumi CLI printed is checked as a --previous file is.
                checkRolloutOutput(found.outputs.rollout, found.source, now);
                previous = found.outputs;
                source = found.source;
            } else {
                unknownBecause = found.reason;
            }
        }
        const view = viewStack({ root, stack: opts.stack, previous });
        if (Object.keys(opts.reference).length === 0) {
            return { view, source, unknownBecause };
        }
        // A reference to a stack this one does not promote from is refused before its file is read.
        checkReferences(view.config.promotion.from, opts.reference);
        const references: Record<string, StackOutputs> = {};
        for (const [stack, file] of Object.entries(opts.reference)) {
            references[stack] = readOutputsFile(file, { option: "--reference", stack, now });
        }
        return { view: viewStack({ root, stack: opts.stack, previous, references }), source, unknownBecause };
    };

    const nowOf = (opts: CommonOptions): Date | undefined => (opts.now === undefined ? undefined : parseNow(opts.now));

    const edit = async (opts: CommonOptions, make: (view: StackView, now: Date | undefined) => Change | Promise<Change>, gated = false): Promise<number> => {
        const now = nowOf(opts);
        // Read, decide and write under the stack file's lock, the write compared with what was read:
        // two edits at once end applied in turn, or one refused (exit 8), never one lost.
        const decideAndWrite = async () => {
            const { view } = load(opts);
            return { view, result: applyChange(view, await make(view, now), { dryRun: opts.dryRun, now, force: opts.force }) };
        };
        const { view, result } = opts.dryRun ? await decideAndWrite() : await withStackLock(stackFilePath(findProjectRoot(), opts.stack), decideAndWrite);
        if (opts.force) {
            err.write(`slotshift: warning: FORCED: this edit writes slotshift:rollout.force: true; its update skips the holds and the one-step rule. The next edit without --force sets it back to false.\n`);
        }
        // A step moved on by hand (the edit is accepted): say so when no passing analysis of the step deployed is known.
        const warning = gated ? gateWarning(view.stack, view.deployed, view.deployedFrom === "outputs", readRecord(view.root, view.stack)) : undefined;
        if (warning !== undefined) {
            err.write(`slotshift: warning: ${warning}\n`);
        }
        if (result.before === result.after) {
            out.write(`${result.summary}: the stack file already says so; nothing to change.\n`);
        } else {
            out.write(`${result.summary}\n\n${renderDiff(result)}\n\n`);
            out.write(opts.dryRun ? "dry run: nothing written.\n" : `written: ${result.file}\n`);
        }
        // After the update, what is deployed is what the file now says: the suggestion is from there.
        const s = status({ ...withText(view, result.after), deployedFrom: "stack file" }, now);
        out.write(`\nNext: pulumi preview --stack ${view.stack}, then pulumi up --stack ${view.stack}${s.next ? `; after it: ${s.next.command}` : ""}\n`);
        if (opts.up && !opts.dryRun) {
            try {
                await pulumiUp(view.root, view.stack, out);
            } catch (e) {
                if (e instanceof UsageError) {
                    throw e;
                }
                err.write(`slotshift: pulumi up --stack ${view.stack} failed (the stack file is edited): ${(e as Error).message}\n`);
                return EXIT.pulumi;
            }
        }
        return EXIT.ok;
    };

    const program = new Command("slotshift")
        .description("Blue-green and canary releases by stack config: read, step, roll back, finalize, plan")
        .exitOverride()
        .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) })
        .addHelpText("after", EXIT_HELP)
        .showHelpAfterError();

    withCommon(program.command("status").description("the rollout at a glance").option("--json", "one JSON document"), false).action(
        run((opts) => {
            const { view, source, unknownBecause } = load(opts);
            const s = status(view, nowOf(opts) ?? new Date(), { source, unknownBecause });
            out.write(opts.json ? `${JSON.stringify(s, null, 2)}\n` : `${renderStatus(s)}\n`);
            return EXIT.ok;
        }),
    );
    withCommon(program.command("history").description("the transitions the rollout output records (the last 20)").option("--json", "the history as one JSON array"), false).action(
        run((opts) => {
            const { view } = load(opts);
            const state = view.deployedFrom === "outputs" ? view.deployed : undefined;
            out.write(opts.json ? `${JSON.stringify(state?.history ?? null, null, 2)}\n` : `${renderHistory(state, view.stack)}\n`);
            return EXIT.ok;
        }),
    );
    withCommon(
        program
            .command("start")
            .description("stage a version in the idle slot at 0 %")
            .argument("<version>", "the semantic version to stage")
            .option("--sha <sha>", "the git commit the image was built from")
            .option("--build <n>", "the CI build number")
            .option("--digest <digest>", "the image digest, when known")
            .addOption(
                new Option(
                    "--resolve-digest",
                    "staging and prod: read the digest of the deploy tag (main-<sha>, X.Y.Z-<sha>) from the registry and write it; " +
                        "credentials from SLOTSHIFT_REGISTRY_USERNAME and SLOTSHIFT_REGISTRY_PASSWORD, anonymous without them",
                ).conflicts("digest"),
            ),
        true,
    ).action(
        run((opts, cmd) => {
            const version = String(cmd.args[0]);
            const given = { sha: opts.sha as string | undefined, build: opts.build as string | undefined, digest: opts.digest as string | undefined };
            return edit(opts, async (view, now) => {
                if (!opts.resolveDigest) {
                    return startChange(view, version, given);
                }
                const { tag, digest } = await resolveStartDigest(view, version, given, { now, registry: { env } });
                const change = startChange(view, version, { ...given, digest });
                return { ...change, summary: `${change.summary}; ${tag} is ${digest}` };
            });
        }),
    );
    withCommon(program.command("next").description("the next step: 0 → 5 → 25 → 50 → 100"), true).action(run((opts) => edit(opts, nextChange, true)));
    withCommon(program.command("rollback").description("weight 0, or back to the warm slot after a finalize"), true).action(run((opts) => edit(opts, rollbackChange)));
    withCommon(
        program.command("retry").description("after a rollback: send the first step to the same build again (records slotshift:rollout.retry); needs what is deployed"),
        true,
    ).action(run((opts) => edit(opts, retryChange, true)));
    withCommon(program.command("decommission").description("scale the idle slot down: the previous release once its warm time is over"), true).action(
        run((opts) => edit(opts, decommissionChange)),
    );
    withCommon(program.command("finalize").description("at 100 %: the candidate becomes live, the old slot stays warm"), true).action(
        run((opts) => edit(opts, finalizeChange, true)),
    );
    program
        .command("should-rollback")
        .description("for the alert relay's repository_dispatch: roll back (go=true) or not (go=false), and one line why; exit 0 either way")
        .requiredOption("-s, --stack <stack>", "the stack the alert names (client_payload.stack)")
        .option("--slot <slot>", "the slot the alert names: blue or green (client_payload.slot); empty for a stack-wide alert")
        .option("--signal <signal>", "the alert rule that fired (client_payload.signal), for the reason line")
        .option("--fired-at <time>", `when the alert fired, ISO 8601 UTC, e.g. ${FIRED_AT_EXAMPLE} (client_payload.firedAt)`)
        .option("--previous <file>", "the stack's outputs (pulumi stack output --json): what is deployed; read only when the event alone does not decide")
        .option("--json", "one JSON document: { go, stack, reason }")
        .addOption(new Option("--now <time>", "decide as at this ISO 8601 time").hideHelp())
        .action(run((opts) => shouldRollback(opts, out, env)));
    program
        .command("analyze")
        .description("the candidate's health since its step, from the stack's Log Analytics workspace: pass, fail or inconclusive (exit 0, 5, 6; 7 when the logs cannot be read)")
        .requiredOption("-s, --stack <stack>", "the stack (Pulumi.<stack>.yaml): its thresholds and slotshift:analysis keys")
        .option("--previous <file>", "the stack's outputs (pulumi stack output --json): what is deployed and its workspace; without it the Pulumi CLI reads them")
        .option("--json", "one JSON document: the verdict, the window and every signal")
        .option("--watch", "analyse every slotshift:analysis.intervalSeconds (the first step's, then the later steps'); the first fail ends it")
        .option("--until <when>", "with --watch: hold (the default: the step's hold, then up to slotshift:analysis.progressDeadlineMinutes while inconclusive), or a duration: 90s, 10m, 1h")
        .option("--logs-endpoint <url>", "the Log Analytics query API (default https://api.loganalytics.io/v1); http only on 127.0.0.1 (a local stand-in)")
        .option("--timeout <seconds>", "the longest one analysis may take, retries included (default 60)")
        .option("--now <time>", "analyse as at this ISO 8601 time: the window's end")
        .addHelpText("after", "\nCredentials: SLOTSHIFT_ANALYSIS_TOKEN (a bearer token for https://api.loganalytics.io), else DefaultAzureCredential.")
        .action(run((opts) => analyzeCommand(opts as unknown as AnalyzeOptions, { out, err, env })));
    registerNotify(program, { out, err, env }, (c) => {
        code = c;
    });
    registerApproval(program, { out, err, env }, (c) => {
        code = c;
    });
    program
        .command("plan")
        .description("the offline plan (see: slotshift plan --help)")
        .allowUnknownOption()
        .helpOption(false)
        .argument("[args...]")
        .action(
            run(async (_opts, cmd) => planMain(cmd.args, out, err)),
        );

    try {
        await program.parseAsync(argv, { from: "user" });
        return code;
    } catch (e) {
        if (e instanceof CommanderError) {
            return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
        }
        if (e instanceof ConflictError) {
            err.write(`slotshift: conflict: ${e.message}\n`);
            return EXIT.conflict;
        }
        if (e instanceof RegistryError) {
            err.write(`slotshift: ${e.message}; nothing written\n`);
            return EXIT.registry;
        }
        if (ConfigError.isInstance(e)) {
            err.write(`slotshift: refused: ${e.message}\n`);
            return EXIT.refused;
        }
        if (e instanceof UsageError) {
            const pulumi = e.message.startsWith("--up needs");
            err.write(`slotshift: ${e.message}\n`);
            return pulumi ? EXIT.pulumi : EXIT.usage;
        }
        throw e;
    }
}

/**
 * A reader that leaves early (`slotshift status | head -1`) closes the pipe: the rest of the output
 * has nowhere to go, which is not a failure of the command. The exit code stays the command's own.
 */
function ignoreClosedPipe(stream: NodeJS.WriteStream): void {
    stream.on("error", (e: NodeJS.ErrnoException) => {
        if (e.code !== "EPIPE") {
            throw e;
        }
    });
}

/** The command as a process runs it (bin/slotshift.js): the exit code set, a closed pipe ignored, an internal error in one line. */
export function runFromCommandLine(): void {
    ignoreClosedPipe(process.stdout);
    ignoreClosedPipe(process.stderr);
    main(process.argv.slice(2)).then(
        (c) => {
            process.exitCode = c;
        },
        (e: unknown) => {
            // One line; the stack trace only when asked for. A bug, never a refusal: please report it.
            const line = (e instanceof Error ? e.message : String(e)).split("\n")[0].slice(0, 300);
            const trace = process.env.SLOTSHIFT_DEBUG === "1" && e instanceof Error ? `\n${e.stack}` : "";
            process.stderr.write(`slotshift: internal error: ${line} (a bug in slotshift, not in your input: SLOTSHIFT_DEBUG=1 shows where)${trace}\n`);
            process.exitCode = EXIT.internal;
        },
    );
}

if (require.main === module) {
    runFromCommandLine();
}
