/**
 * The `slotshift` command: reads and edits a stack file the way a release
 * engineer would, refusing what `pulumi up` would refuse, and plans offline.
 *
 *   slotshift status   --stack S [--previous FILE] [--json]
 *   slotshift start    <version> --stack S [--sha SHA] [--build N] [--digest D]
 *   slotshift next     --stack S
 *   slotshift rollback --stack S
 *   slotshift finalize --stack S
 *   slotshift plan     --stack S [--json] [--previous FILE] [--reference STACK=FILE]
 */
import { spawnSync } from "child_process";
import { Command, CommanderError, Option } from "commander";
import { ConfigError } from "../rollout/errors";
import { main as planMain, parseReference, readOutputsFile, Writer } from "./plan";
import {
    Change,
    StackView,
    applyChange,
    finalizeChange,
    nextChange,
    renderDiff,
    renderStatus,
    rollbackChange,
    startChange,
    status,
    viewStack,
    withText,
} from "./commands";
import { StackOutputs } from "./engine";
import { UsageError, findProjectRoot } from "./stackFile";

/** Exit codes, as `--help` lists them. */
export const EXIT = { ok: 0, refused: 1, usage: 2, pulumi: 3 } as const;

const EXIT_HELP = `
Exit codes:
  0  done (or, with --dry-run, would be done)
  1  refused: the edit breaks a rollout rule or the config schema; the file is untouched
  2  usage error: unknown stack, unreadable file, YAML syntax error, bad option
  3  --up: the Pulumi CLI is missing or pulumi up failed (the stack file is already edited)

What is deployed comes from --previous FILE (what 'pulumi stack output --json --stack S' writes);
without it, the stack file is taken as deployed and the step holds are left to pulumi up to check.`;

interface CommonOptions {
    stack: string;
    previous?: string;
    reference: Record<string, string>;
    dryRun?: boolean;
    up?: boolean;
    now?: string;
}

function withCommon(cmd: Command, edits: boolean): Command {
    cmd.requiredOption("-s, --stack <stack>", "the stack (Pulumi.<stack>.yaml)")
        .option("--previous <file>", "outputs of the stack's last update (pulumi stack output --json)")
        .option("--reference <stack=file>", "outputs of another stack, e.g. the promotion source (repeatable)", parseReference, {} as Record<string, string>)
        .addOption(new Option("--now <time>", "decide as at this ISO 8601 time").hideHelp());
    if (edits) {
        cmd.option("--dry-run", "print the change, write nothing").option("--up", "then run pulumi up for the stack (needs the Pulumi CLI)");
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

/** Runs the slotshift command; returns the exit code. */
export async function main(argv: readonly string[], out: Writer = process.stdout, err: Writer = process.stderr): Promise<number> {
    let code: number = EXIT.ok;
    const run = (fn: (opts: CommonOptions & Record<string, unknown>, cmd: Command) => Promise<number> | number) =>
        async function (this: Command) {
            code = await fn(this.opts<CommonOptions & Record<string, unknown>>(), this);
        };

    const load = (opts: CommonOptions): StackView => {
        const root = findProjectRoot();
        const previous: StackOutputs | undefined = opts.previous === undefined ? undefined : readOutputsFile(opts.previous);
        const references: Record<string, StackOutputs> = {};
        for (const [stack, file] of Object.entries(opts.reference)) {
            references[stack] = readOutputsFile(file);
        }
        return viewStack({ root, stack: opts.stack, previous, references });
    };

    const edit = async (opts: CommonOptions, make: (view: StackView) => Change): Promise<number> => {
        const view = load(opts);
        const now = opts.now === undefined ? undefined : new Date(opts.now);
        if (now !== undefined && Number.isNaN(now.getTime())) {
            throw new UsageError(`--now ${JSON.stringify(opts.now)} is not an ISO 8601 time, e.g. 2026-11-26T14:00:00Z`);
        }
        const result = applyChange(view, make(view), { dryRun: opts.dryRun, now });
        if (result.before === result.after) {
            out.write(`${result.summary}: the stack file already says so; nothing to change.\n`);
        } else {
            out.write(`${result.summary}\n\n${renderDiff(result)}\n\n`);
            out.write(opts.dryRun ? "dry run: nothing written.\n" : `written: ${result.file}\n`);
        }
        const s = status(withText(view, result.after));
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
            const s = status(load(opts));
            out.write(opts.json ? `${JSON.stringify(s, null, 2)}\n` : `${renderStatus(s)}\n`);
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
            .option("--digest <digest>", "the image digest, when known"),
        true,
    ).action(
        run((opts, cmd) =>
            edit(opts, (view) => startChange(view, String(cmd.args[0]), { sha: opts.sha as string | undefined, build: opts.build as string | undefined, digest: opts.digest as string | undefined })),
        ),
    );
    withCommon(program.command("next").description("the next step: 0 → 5 → 25 → 50 → 100"), true).action(run((opts) => edit(opts, nextChange)));
    withCommon(program.command("rollback").description("weight 0, or back to the warm slot after a finalize"), true).action(run((opts) => edit(opts, rollbackChange)));
    withCommon(program.command("finalize").description("at 100 %: the candidate becomes live, the old slot stays warm"), true).action(
        run((opts) => edit(opts, finalizeChange)),
    );
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

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (c) => {
            process.exitCode = c;
        },
        (e: unknown) => {
            process.stderr.write(`slotshift: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
            process.exitCode = EXIT.usage;
        },
    );
}
