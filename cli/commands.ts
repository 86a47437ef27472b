/**
 * The slotshift commands that read and edit a stack file: status, start, next,
 * rollback, finalize. Each edit is decided by the same function as `pulumi up`
 * (rollout/decide.ts) before a byte is written.
 */
import * as fs from "fs";
import * as path from "path";
import { diffLines } from "diff";
import { SlotshiftConfig, otherSlot, parseStackConfig } from "../rollout/config";
import { decide } from "../rollout/decide";
import { ConfigError } from "../rollout/errors";
import { RolloutState, buildOf, impliedState, readRolloutState } from "../rollout/state";
import { VERSION_POLICY, deployTag, parseVersion, versionPolicyViolation } from "../rollout/versions";
import { StackOutputs } from "./engine";
import { ResolveOptions, resolveDigest } from "./registry";
import { StackEdit, configEdit, editText, writeAtomically, FileWriter } from "./stackEdit";
import { UsageError, listStacks, stackConfigFromText, stackFilePath } from "./stackFile";

/** What every command knows about the stack it works on. */
export interface StackView {
    readonly root: string;
    readonly stack: string;
    readonly file: string;
    /** The stack file's text. */
    readonly text: string;
    /** Its parsed config. */
    readonly config: SlotshiftConfig;
    /** What is deployed: the `rollout` output of the last update, or what the stack file implies. */
    readonly deployed: RolloutState;
    /** Where `deployed` came from. */
    readonly deployedFrom: "outputs" | "stack file";
    /** The promotion source's state, when the stack has one. */
    readonly promotionSource?: RolloutState;
}

/** Options every command takes. */
export interface ViewOptions {
    readonly root: string;
    readonly stack: string;
    /** Outputs of the stack's last update (`pulumi stack output --json`). */
    readonly previous?: StackOutputs;
    /** Outputs of other stacks, by name. */
    readonly references?: Readonly<Record<string, StackOutputs>>;
}

/**
 * Parses a stack's config from text; a refusal is a ConfigError, as in `pulumi up`: with the same
 * secret rules (a value that must be a Pulumi secret is refused in plain text, and never echoed).
 */
function configOf(root: string, stack: string, text: string): SlotshiftConfig {
    const { config, secretKeys } = stackConfigFromText(root, stack, text);
    return parseStackConfig(config, stack, { isSecret: (key) => secretKeys.includes(key) });
}

/** Reads a stack: its file, its config, and what is deployed. */
export function viewStack(options: ViewOptions): StackView {
    const file = stackFilePath(options.root, options.stack);
    const text = fs.readFileSync(file, "utf8");
    const config = configOf(options.root, options.stack, text);
    let deployed: RolloutState | undefined;
    try {
        deployed = options.previous === undefined ? undefined : readRolloutState(options.previous.rollout);
    } catch (e) {
        throw new UsageError(`--previous: ${(e as Error).message}`);
    }
    let promotionSource: RolloutState | undefined;
    const from = config.promotion.from?.split("/").pop();
    if (from !== undefined) {
        const given = options.references?.[from];
        if (given !== undefined) {
            promotionSource = readRolloutState(given.rollout);
        } else if (listStacks(options.root).includes(from)) {
            // Without its outputs, the source's stack file says what it has live.
            const sourceText = fs.readFileSync(stackFilePath(options.root, from), "utf8");
            promotionSource = impliedState(configOf(options.root, from, sourceText));
        }
    }
    return {
        root: options.root,
        stack: options.stack,
        file,
        text,
        config,
        deployed: deployed ?? impliedState(config),
        deployedFrom: deployed === undefined ? "stack file" : "outputs",
        promotionSource,
    };
}

/** The same stack with its file's text replaced (an edit): what is deployed stays. */
export function withText(view: StackView, text: string): StackView {
    return { ...view, text, config: configOf(view.root, view.stack, text) };
}

/** An edit a command wants, and what it says about it. */
export interface Change {
    readonly edits: readonly StackEdit[];
    /** One line on what the change does. */
    readonly summary: string;
}

/** Refuses with the same kind of message as the program: key, value, what is allowed. */
function refuse(key: string, message: string): never {
    throw new ConfigError(key, message);
}

/** `start <version>`: the version in the idle slot at 0 %. */
export function startChange(view: StackView, version: string, opts: { sha?: string; build?: string; digest?: string }): Change {
    const cfg = view.config;
    if (cfg.rollout.strategy === "direct") {
        const v = parseVersion(version);
        if (!v) {
            refuse(`slotshift:slots.${cfg.rollout.live}.version`, `version ${JSON.stringify(version)} is not a semantic version; allowed: ${VERSION_POLICY[cfg.environment]}`);
        }
        return slotChange(cfg.rollout.live, v.raw, opts, `update ${cfg.rollout.live} in place to ${v.raw}`);
    }
    const idle = otherSlot(cfg.rollout.live);
    const v = parseVersion(version);
    if (!v) {
        refuse(`slotshift:slots.${idle}.version`, `version ${JSON.stringify(version)} is not a semantic version; allowed: ${VERSION_POLICY[cfg.environment]}`);
    }
    const violation = versionPolicyViolation(cfg.environment, v.raw);
    if (violation) {
        refuse(`slotshift:slots.${idle}.version`, `slotshift:slots.${idle}.version would be ${JSON.stringify(v.raw)}; allowed: ${VERSION_POLICY[cfg.environment]}`);
    }
    const change = slotChange(idle, v.raw, opts, `stage ${v.raw} in ${idle} at 0 %`);
    return { ...change, edits: [...change.edits, configEdit("slotshift:rollout.weight", 0)] };
}

/**
 * `start <version> --sha S --resolve-digest`: the digest of the environment's deploy tag
 * (`main-<sha>` in staging, `X.Y.Z-<sha>` in prod), read from the registry, for startChange to
 * write as `slotshift:slots.<colour>.digest`. What `pulumi up` would refuse is refused first,
 * before any request; a registry failure throws a RegistryError. Dev builds its image (or reads
 * `develop-<sha>` when `pulumi up` runs): there it is a usage error.
 */
export async function resolveStartDigest(
    view: StackView,
    version: string,
    opts: { sha?: string; build?: string },
    ctx: { now?: Date; registry?: ResolveOptions } = {},
): Promise<{ tag: string; digest: string }> {
    const cfg = view.config;
    if (cfg.environment === "dev") {
        throw new UsageError(
            `--resolve-digest is for staging and prod, which deploy an image built before the release: ${view.stack} (environment dev) builds its image or reads develop-<sha> when pulumi up runs; drop --resolve-digest, or give --digest sha256:...`,
        );
    }
    if (opts.sha === undefined) {
        throw new UsageError(`--resolve-digest needs --sha <git-sha>: the deploy tag of ${cfg.environment} is ${cfg.environment === "prod" ? "X.Y.Z-<sha>" : "main-<sha>"}`);
    }
    // The edit without the digest: a refusal here costs no request.
    applyChange(view, startChange(view, version, opts), { dryRun: true, now: ctx.now });
    const tag = deployTag({ environment: cfg.environment, repository: cfg.app.image, version: parseVersion(version)!.raw, gitSha: opts.sha }).tag;
    return { tag, digest: await resolveDigest(cfg.app.image, tag, ctx.registry) };
}

/** The edits that put a new build in a slot, clearing what described the old one. */
function slotChange(colour: string, version: string, opts: { sha?: string; build?: string; digest?: string }, summary: string): Change {
    if (opts.sha === undefined && opts.digest === undefined) {
        refuse(`slotshift:slots.${colour}.gitSha`, `slotshift:slots.${colour}.gitSha is needed to find the image of ${version}; give --sha <git-sha> (or --digest sha256:...)`);
    }
    const k = (name: string) => `slotshift:slots.${colour}.${name}`;
    const edits: StackEdit[] = [
        configEdit(k("version"), version),
        configEdit(k("gitSha"), opts.sha),
        configEdit(k("buildNumber"), opts.build === undefined ? undefined : /^[0-9]+$/.test(opts.build) ? Number(opts.build) : opts.build),
        configEdit(k("digest"), opts.digest),
        // What described the previous build no longer does.
        configEdit(k("buildDate"), undefined),
        configEdit(k("branch"), undefined),
        configEdit(k("nodeVersion"), undefined),
        configEdit(k("npmVersion"), undefined),
        configEdit(k("decommissioned"), undefined),
    ];
    return { edits, summary };
}

/** `next`: the next step of the rollout. */
export function nextChange(view: StackView): Change {
    const st = impliedState(view.config);
    const s = view.stack;
    switch (st.phase) {
        case "staged":
        case "shifting":
            return { edits: [configEdit("slotshift:rollout.weight", st.nextStep!)], summary: `send ${st.nextStep} % to ${st.candidate}` };
        case "shifted":
            return refuse("slotshift:rollout.weight", `slotshift:rollout.weight is 100: ${st.candidate} carries all traffic; the next move is slotshift finalize --stack ${s} (or slotshift rollback --stack ${s})`);
        case "stable":
            return refuse(
                "slotshift:rollout.weight",
                st.strategy === "direct"
                    ? `strategy direct has no steps; update in place with slotshift start <version> --sha <git-sha> --stack ${s}`
                    : `nothing is staged in ${st.candidate}; stage a release first: slotshift start <version> --sha <git-sha> --stack ${s}`,
            );
    }
}

/** `rollback`: weight 0, or back to the warm slot after a finalize. */
export function rollbackChange(view: StackView): Change {
    const st = impliedState(view.config);
    // What is deployed counts, not only the file: a step whose update failed half way may have
    // moved traffic that the file (committed only after a good update) does not show.
    const deployedWeight = view.deployedFrom === "outputs" && view.deployed.candidate !== null ? view.deployed.weights[view.deployed.candidate] : 0;
    if ((st.candidate !== null && st.weights[st.candidate] > 0) || (deployedWeight > 0 && view.deployed.live === st.live)) {
        return { edits: [configEdit("slotshift:rollout.weight", 0)], summary: `send all traffic back to ${st.live}` };
    }
    const warm = view.deployedFrom === "outputs" ? view.deployed.warm : st.warm;
    if (warm !== null && warm !== st.live) {
        return { edits: [configEdit("slotshift:rollout.live", warm), configEdit("slotshift:rollout.weight", 0)], summary: `make ${warm} live again (${st.versions[warm]})` };
    }
    return refuse("slotshift:rollout.weight", `nothing to roll back in ${view.stack}: ${st.candidate ?? "no candidate"} takes no traffic and no previous slot is warm`);
}

/** `finalize`: the candidate becomes live; the old slot stays warm. */
export function finalizeChange(view: StackView): Change {
    const st = impliedState(view.config);
    if (st.candidate === null || st.weights[st.candidate] !== 100) {
        const w = st.candidate === null ? 0 : st.weights[st.candidate];
        return refuse(
            "slotshift:rollout.live",
            `slotshift:rollout.weight is ${w}: finalize needs the candidate at 100 %${st.nextStep === null ? "" : `; the next step is ${st.nextStep} (slotshift next --stack ${view.stack})`}`,
        );
    }
    return {
        edits: [configEdit("slotshift:rollout.live", st.candidate), configEdit("slotshift:rollout.weight", 0)],
        summary: `make ${st.candidate} live; ${st.live} stays warm at 0 %`,
    };
}

/**
 * `retry`: step the build a rollback took traffic from again, at the first step. What is deployed
 * must record that rollback (the `rollout` output's `aborted`), and the stack file must still hold
 * that very build: `slotshift:rollout.retry` is set to the rollback's time, which allows this build
 * and no later rollback's.
 */
export function retryChange(view: StackView): Change {
    const cfg = view.config;
    if (view.deployedFrom !== "outputs") {
        throw new UsageError(
            `retry needs what is deployed, which records the rollback: give --previous FILE (pulumi stack output --json --stack ${view.stack}), or run it where the Pulumi CLI is on the PATH`,
        );
    }
    const aborted = view.deployed.aborted;
    const cand = otherSlot(cfg.rollout.live);
    if (aborted === null || cfg.rollout.strategy === "direct") {
        return refuse(
            "slotshift:rollout.retry",
            `nothing to retry in ${view.stack}: the deployed rollout output records no rollback (aborted is null); step with slotshift next --stack ${view.stack}, or stage a build with slotshift start`,
        );
    }
    if (aborted.slot !== cand || view.deployed.live !== cfg.rollout.live) {
        return refuse(
            "slotshift:rollout.retry",
            `the rollback took traffic from ${aborted.slot}, but the stack file has ${cfg.rollout.live} live and ${cand} as candidate; run pulumi up --stack ${view.stack} for what the file says first`,
        );
    }
    if (buildOf(cfg, cand) !== aborted.build) {
        return refuse(
            "slotshift:rollout.retry",
            `${cand} in the stack file is ${cfg.slots[cand].version ?? "empty"}, not the build rolled back at ${aborted.at} (${aborted.version ?? "no version"}); a new build needs no retry: run pulumi up --stack ${view.stack} to stage it, then slotshift next`,
        );
    }
    const first = cfg.rollout.steps[0];
    return {
        edits: [configEdit("slotshift:rollout.retry", aborted.at), configEdit("slotshift:rollout.weight", first)],
        summary: `retry ${aborted.version ?? cand} in ${cand}, rolled back at ${aborted.at}: send ${first} % to it again`,
    };
}

/**
 * `decommission`: scale the idle slot down (`slotshift:slots.<colour>.decommissioned: true`): the
 * slot a finalize left warm, once its warm time is over (the rule warm-hold says when), or a
 * candidate at 0 % that is not going on.
 */
export function decommissionChange(view: StackView): Change {
    const cfg = view.config;
    const st = impliedState(cfg);
    if (st.candidate === null) {
        return refuse("slotshift:rollout.strategy", `strategy direct runs one slot only; there is no idle slot to decommission in ${view.stack}`);
    }
    const idle = st.candidate;
    if (st.weights[idle] > 0) {
        return refuse(
            `slotshift:slots.${idle}.decommissioned`,
            `${idle} carries ${st.weights[idle]} % of ${view.stack}'s traffic; roll back first (slotshift rollback --stack ${view.stack}), then decommission`,
        );
    }
    if (cfg.slots[idle].version === undefined || cfg.slots[idle].decommissioned) {
        return refuse(`slotshift:slots.${idle}.decommissioned`, `${idle} runs no pods in the stack file already (${cfg.slots[idle].version === undefined ? "empty" : "decommissioned"}); nothing to decommission`);
    }
    const warm = view.deployedFrom === "outputs" ? view.deployed.warm === idle : st.warm === idle;
    return {
        edits: [configEdit(`slotshift:slots.${idle}.decommissioned`, true)],
        summary: `scale ${idle} (${cfg.slots[idle].version}) down to no pods${warm ? ": the previous release, kept warm until now" : ""}`,
    };
}

/** The outcome of an edit. */
export interface EditResult {
    readonly file: string;
    readonly before: string;
    readonly after: string;
    readonly summary: string;
    /** Whether the file was written (false for a dry run or no change). */
    readonly written: boolean;
}

/**
 * Applies a change: edits the text, decides the new config against what is
 * deployed exactly as `pulumi up` will, then writes atomically. A refusal
 * throws a ConfigError and leaves the file untouched.
 */
export function applyChange(view: StackView, change: Change, opts: { dryRun?: boolean; now?: Date; io?: FileWriter; force?: boolean } = {}): EditResult {
    // force holds for one edit only: every edit writes it, false unless this edit asks for it.
    const force = configEdit("slotshift:rollout.force", opts.force === true);
    const edits = change.edits.some((e) => e.path.join(".") === force.path.join(".")) ? change.edits : [...change.edits, force];
    const after = editText(view.text, edits, view.file);
    const cfg = configOf(view.root, view.stack, after);
    decide(cfg, {
        now: opts.now ?? new Date(),
        previous: view.deployed,
        promotionSource: view.promotionSource,
        digestsKnown: false,
    });
    const changed = after !== view.text;
    if (changed && !opts.dryRun) {
        // Compared with the text the edit was decided from: a change since (an editor, a git pull) refuses it.
        writeAtomically(view.file, after, { expected: view.text, io: opts.io });
    }
    return { file: view.file, before: view.text, after, summary: change.summary, written: changed && !opts.dryRun };
}

/** The lines that differ, `-` old and `+` new, with line numbers. */
export function renderDiff(result: EditResult): string {
    const out: string[] = [];
    let oldLine = 1;
    let newLine = 1;
    for (const part of diffLines(result.before, result.after)) {
        const lines = part.value.replace(/\n$/, "").split("\n");
        if (part.added) {
            lines.forEach((l) => out.push(`+ ${String(newLine++).padStart(4)}  ${l}`));
        } else if (part.removed) {
            lines.forEach((l) => out.push(`- ${String(oldLine++).padStart(4)}  ${l}`));
        } else {
            oldLine += lines.length;
            newLine += lines.length;
        }
    }
    return `${path.basename(result.file)}:\n${out.join("\n")}`;
}
