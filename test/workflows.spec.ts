import { expect } from "chai";
import { FakeWebhooks } from "./fakes/webhooks";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { bumpPackage, main as release, releaseChangelog } from "../scripts/release";
import { ROOT } from "./helpers";

const WORKFLOWS = path.join(ROOT, ".github/workflows");
const files = fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml")).sort();

interface Job {
    uses?: string;
    with?: Record<string, unknown>;
    needs?: string | string[];
    environment?: string;
    steps?: { uses?: string; run?: string; with?: Record<string, unknown> }[];
    if?: string;
}
interface Workflow {
    on: Record<string, unknown>;
    jobs: Record<string, Job>;
}
const load = (f: string) => parse(fs.readFileSync(path.join(WORKFLOWS, f), "utf8")) as Workflow;
const needs = (j: Job) => (j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs]);

/** Every `uses:` line of the workflows and the local action: the action and the comment after it. */
function allUses(): { file: string; uses: string; comment: string }[] {
    const sources = [...files.map((f) => path.join(".github/workflows", f)), ".github/actions/setup/action.yml"];
    return sources.flatMap((file) =>
        [...fs.readFileSync(path.join(ROOT, file), "utf8").matchAll(/^\s*(?:-\s+)?uses:\s*([^\s#]+)[ \t]*(.*)$/gm)].map((m) => ({ file, uses: m[1], comment: m[2] })),
    );
}

/**
 * The actions the workflows use, each at one release, its commit resolved from the action's own
 * repository (`git rev-parse '<tag>^{commit}'` on a fetched copy), never typed from memory.
 */
const PINS: Record<string, { tag: string; sha: string }> = {
    "actions/checkout": { tag: "v4.2.2", sha: "11bd71901bbe5b1630ceea73d27597364c9af683" },
    // >= 4.2.0: the new cache service (actions/setup-node#1191); 4.4.0 is the last v4.
    "actions/setup-node": { tag: "v4.4.0", sha: "49933ea5288caeca8642d1e84afbd3f7d6820020" },
    "actions/cache": { tag: "v4.3.0", sha: "0057852bfaa89a56745cba8c7296529d2fc39830" },
    "actions/create-github-app-token": { tag: "v3.1.1", sha: "1b10c78c7865c340bc4f6099eb2f838309f1e8c3" },
    "azure/login": { tag: "v2.2.0", sha: "a65d910e8af852a8061c627c456678983e180302" },
    "azure/use-kubelogin": { tag: "v1.3", sha: "0ce7c36141aa27d4934872cf00b0120804c98a29" },
    "pulumi/actions": { tag: "v6.0.0", sha: "c7fad9e2f0b79653172b36538b8b34b3c0291952" },
    "docker/setup-buildx-action": { tag: "v3.7.1", sha: "c47758b77c9736f4b2ef4073d4d51994fabfe349" },
    "docker/login-action": { tag: "v3.3.0", sha: "9780b0c442fbb1117ed29e0efdff1e18412f7567" },
    "docker/build-push-action": { tag: "v6.9.0", sha: "4f58ea79222b3b9dc2c8bbdd6debcef730109a75" },
};
const pinned = (action: string) => `${action}@${PINS[action].sha}`;

/**
 * A stand-in for the pulumi CLI, for the workflows' scripts: records each call in $PULUMI_CALLS and
 * answers from files. `stack output` prints $FAKE_OUTPUTS; `stack ls` lists the stacks, $STACK's
 * update in progress for the first $FAKE_BUSY calls; `up` fails with the backend's lock conflict for
 * the first $FAKE_LOCKED calls (and then, with $FAKE_AFTER_LOCK set, the stack holds that file's
 * outputs: the other update ended), with another error when $FAKE_UP_FAILS is set, and otherwise
 * leaves $FAKE_UP_OUTPUTS as the stack's outputs. $FAKE_PULUMI_FAILS fails every call.
 */
const FAKE_PULUMI = `#!/bin/sh
printf '%s\\n' "$*" >> "$PULUMI_CALLS"
if [ -n "$FAKE_PULUMI_FAILS" ]; then echo "error: could not reach the backend" >&2; exit 255; fi
count() { n=$(cat "$PULUMI_CALLS.$1" 2> /dev/null || echo 0); n=$((n + 1)); echo "$n" > "$PULUMI_CALLS.$1"; echo "$n"; }
case "$1 $2" in
  "stack ls")
    busy=false
    if [ "$(count ls)" -le "\${FAKE_BUSY:-0}" ]; then busy=true; fi
    printf '[{"name":"dev","current":false,"updateInProgress":false},{"name":"%s","current":false,"updateInProgress":%s}]\\n' "$STACK" "$busy"
    ;;
  "stack output") cat "$FAKE_OUTPUTS" ;;
  "stack select") ;;
  *)
    if [ "$1" = up ]; then
      if [ "$(count up)" -le "\${FAKE_LOCKED:-0}" ]; then
        if [ -n "$FAKE_AFTER_LOCK" ]; then cp "$FAKE_AFTER_LOCK" "$FAKE_OUTPUTS"; fi
        echo "Updating (\${STACK}):"
        echo "error: [409] Conflict: Another update is currently in progress." >&2
        echo "To learn more about possible reasons and resolution, visit https://www.pulumi.com/docs/troubleshooting/#conflict" >&2
        exit 255
      fi
      if [ -n "$FAKE_UP_FAILS" ]; then echo "error: update failed" >&2; exit 255; fi
      if [ -n "$FAKE_UP_OUTPUTS" ]; then cp "$FAKE_UP_OUTPUTS" "$FAKE_OUTPUTS"; fi
      echo "Update succeeded"
    fi
    ;;
esac
`;

/** Runs a workflow script as GitHub does (bash --noprofile --norc -eo pipefail) in `cwd`. */
function runScript(script: string, cwd: string, env: Record<string, string>) {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-script-")), "step.sh");
    fs.writeFileSync(file, script);
    return spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", file], { cwd, encoding: "utf8", env });
}

/** What an expression reads: github, inputs, steps, ... */
type Ctx = Record<string, unknown>;

/**
 * A GitHub Actions expression, evaluated as the runner does for the subset the workflows use:
 * 'string' literals, true, false, null, context paths (a missing property is null), !, ==, !=,
 * &&, || and parentheses, and the status function always() (true: the step runs whatever came before). Strings compare without case; values of other types are compared as
 * numbers ('' and null are 0). && and || give one of their operands. Anything else throws, so a
 * condition outside the subset fails the test rather than being misread.
 */
function evaluate(expression: string, ctx: Ctx): unknown {
    const src = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(expression)?.[1] ?? expression;
    const tokens: string[] = [];
    const re = /\s*(\|\||&&|==|!=|!|\(|\)|'(?:[^']|'')*'|[A-Za-z_][A-Za-z0-9_.-]*)/y;
    let at = 0;
    for (let m = re.exec(src); m !== null; m = re.exec(src)) {
        tokens.push(m[1]);
        at = re.lastIndex;
    }
    if (src.slice(at).trim() !== "") {
        throw new Error(`not in the subset: ${JSON.stringify(src.slice(at))} in ${expression}`);
    }
    let i = 0;
    const peek = () => tokens[i];
    const next = () => tokens[i++];
    const num = (v: unknown): number =>
        v === null || v === undefined ? 0 : typeof v === "boolean" ? Number(v) : typeof v === "number" ? v : typeof v === "string" ? (v.trim() === "" ? 0 : Number(v)) : NaN;
    const equal = (a: unknown, b: unknown): boolean =>
        typeof a === "string" && typeof b === "string" ? a.toLowerCase() === b.toLowerCase() : typeof a === typeof b && (typeof a === "object" || typeof a === "boolean") ? a === b : num(a) === num(b);
    const primary = (): unknown => {
        const t = next();
        if (t === undefined) {
            throw new Error(`unexpected end of ${expression}`);
        }
        if (t === "(") {
            const v = or();
            if (next() !== ")") {
                throw new Error(`unbalanced parentheses in ${expression}`);
            }
            return v;
        }
        if (t === "!") {
            return !truthy(primary());
        }
        if (t.startsWith("'")) {
            return t.slice(1, -1).replace(/''/g, "'");
        }
        if (t === "true" || t === "false") {
            return t === "true";
        }
        if (t === "null") {
            return null;
        }
        if (t === "always" && peek() === "(") {
            next();
            if (next() !== ")") {
                throw new Error(`always() takes no argument in ${expression}`);
            }
            return true;
        }
        if (!/^[A-Za-z_]/.test(t)) {
            throw new Error(`unexpected ${t} in ${expression}`);
        }
        let v: unknown = ctx;
        for (const part of t.split(".")) {
            v = v !== null && typeof v === "object" && Object.prototype.hasOwnProperty.call(v, part) ? (v as Record<string, unknown>)[part] : null;
        }
        return v ?? null;
    };
    const comparison = (): unknown => {
        let v = primary();
        while (peek() === "==" || peek() === "!=") {
            const op = next();
            const w = primary();
            v = op === "==" ? equal(v, w) : !equal(v, w);
        }
        return v;
    };
    const and = (): unknown => {
        let v = comparison();
        while (peek() === "&&") {
            next();
            const w = comparison();
            v = truthy(v) ? w : v;
        }
        return v;
    };
    const or = (): unknown => {
        let v = and();
        while (peek() === "||") {
            next();
            const w = and();
            v = truthy(v) ? v : w;
        }
        return v;
    };
    const value = or();
    if (i !== tokens.length) {
        throw new Error(`unexpected ${tokens[i]} in ${expression}`);
    }
    return value;
}

/** An expression's value as a condition. */
function truthy(v: unknown): boolean {
    return !(v === false || v === null || v === undefined || v === "" || v === 0 || (typeof v === "number" && Number.isNaN(v)));
}

/** A value with ${{ }} in it, as the runner fills it in: each expression's value as a string (null is ''). */
function template(text: string, ctx: Ctx): string {
    return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, e: string) => {
        const v = evaluate(e, ctx);
        return v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
    });
}

describe("the pipelines", function () {
    this.timeout(120000);

    it("has the preview, deploy, rollback and step workflows", () => {
        expect(files).to.deep.equal(["deploy.yml", "preview.yml", "rollback.yml", "step.yml"]);
    });

    describe("validate against the GitHub Actions schema (action-validator)", () => {
        const validator = path.join(ROOT, "node_modules/.bin/action-validator");
        for (const f of [...files.map((x) => path.join(".github/workflows", x)), ".github/actions/setup/action.yml"]) {
            it(f, () => {
                const r = spawnSync(validator, [path.join(ROOT, f)], { encoding: "utf8" });
                expect(r.status, r.stdout + r.stderr).to.equal(0);
            });
        }

        it("and the validator does refuse a broken workflow", () => {
            const bad = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-wf-")), "bad.yml");
            fs.writeFileSync(bad, "name: x\non: push\njobs:\n  a:\n    runs-onn: ubuntu-latest\n    steps:\n      - run: echo\n");
            const r = spawnSync(validator, [bad], { encoding: "utf8" });
            expect(r.status).to.equal(1);
        });
    });

    describe("the gates", () => {
        const deploy = load("deploy.yml");
        const step = load("step.yml");

        it("stages staging with the digest read from the registry, so its pulumi up needs no Docker engine", () => {
            const edit = (step.jobs.step.steps as { name?: string; run?: string; env?: Record<string, string> }[]).find((x) => x.run?.includes("npx slotshift \"${args[@]}\""))!;
            expect(edit.run).to.contain('if [ "$COMMAND" = start ] && [ "$STACK" = staging ]; then args+=(--resolve-digest); fi');
            expect(edit.env).to.include({ SLOTSHIFT_REGISTRY_USERNAME: "${{ github.actor }}", SLOTSHIFT_REGISTRY_PASSWORD: "${{ github.token }}" });
            expect((step as unknown as { permissions: Record<string, string> }).permissions).to.include({ packages: "read" });
        });

        it("runs every script as bash -eo pipefail (GitHub's default without shell: is bash -e, which lets a failure piped into tee pass)", () => {
            for (const file of ["deploy.yml", "preview.yml", "step.yml"]) {
                expect((load(file) as unknown as { defaults?: { run?: { shell?: string } } }).defaults?.run?.shell, file).to.equal("bash");
            }
        });

        it("pins the Pulumi CLI to the SDK's release (outputs kept through a failed update need 3.112 or later)", () => {
            const setup = parse(fs.readFileSync(path.join(ROOT, ".github/actions/setup/action.yml"), "utf8")) as { runs: { steps: { uses?: string; with?: Record<string, string> }[] } };
            const cli = setup.runs.steps.find((x) => x.uses?.startsWith("pulumi/actions@"));
            const sdk = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["@pulumi/pulumi"];
            expect(cli?.with?.["pulumi-version"]).to.equal(sdk);
        });

        it("runs each later job of a release only when the job before it succeeded, never when it was skipped", () => {
            for (const [name, job] of Object.entries(deploy.jobs)) {
                const needs = (job as { needs?: string | string[] }).needs;
                if (typeof needs === "string" && job.uses === "./.github/workflows/step.yml") {
                    expect((job as { if?: string }).if, name).to.equal(`\${{ !cancelled() && needs.${needs}.result == 'success' }}`);
                }
            }
        });

        it("runs every step of a stack in the GitHub environment of that stack, whose reviewers approve it", () => {
            expect(step.jobs.step.environment).to.equal("${{ inputs.environment }}");
            for (const [name, job] of Object.entries(deploy.jobs)) {
                if (job.uses === "./.github/workflows/step.yml") {
                    expect(job.with?.environment, name).to.equal(job.with?.stack);
                }
            }
            const prodJobs = Object.entries(deploy.jobs).filter(([, j]) => j.with?.stack === "prod");
            expect(prodJobs.map(([n]) => n)).to.deep.equal(["prod-stage", "prod-canary-5", "prod-canary-25", "prod-canary-50", "prod-canary-100", "prod-finalize"]);
        });

        it("runs the canary steps in order, each a job of its own, after staging and the prod tags", () => {
            const chain = ["staging-stage", "staging-switch", "staging-finalize", "prod-tags", "prod-stage", "prod-canary-5", "prod-canary-25", "prod-canary-50", "prod-canary-100", "prod-finalize"];
            for (let i = 1; i < chain.length; i++) {
                expect(needs(deploy.jobs[chain[i]]), chain[i]).to.include(chain[i - 1]);
            }
            expect(["prod-stage", "prod-canary-5", "prod-canary-25", "prod-canary-50", "prod-canary-100", "prod-finalize"].map((j) => deploy.jobs[j].with?.command)).to.deep.equal([
                "start",
                "next",
                "next",
                "next",
                "next",
                "finalize",
            ]);
            for (const j of ["prod-canary-5", "prod-canary-25", "prod-canary-50", "prod-canary-100"]) {
                expect(deploy.jobs[j].with?.["wait-hold"], `${j} waits minStepMinutes`).to.equal(true);
            }
        });

        it("deploys develop to dev, main to staging and v*.*.* tags to prod", () => {
            expect(deploy.on.push).to.deep.equal({ branches: ["develop", "main"], tags: ["v*.*.*"] });
            expect(deploy.jobs.dev.if).to.contain("develop");
            expect(deploy.jobs["prod-stage"].if).to.contain("github.ref_type == 'tag'");
            expect(deploy.jobs["prod-tags"].if).to.contain("github.ref_type == 'tag'");
            expect(deploy.jobs.image.if).to.contain("branch");
        });

        it("tests before anything deploys or previews", () => {
            expect(needs(deploy.jobs.image)).to.include("test");
            expect(needs(deploy.jobs["staging-stage"])).to.include("test");
            const preview = load("preview.yml");
            expect(needs(preview.jobs.preview)).to.include("test");
            expect(needs(preview.jobs.plan)).to.include("test");
        });

        it("previews every stack on every pull request, one run per stack at a time, the diff on the pull request", () => {
            const preview = load("preview.yml") as Workflow & { jobs: Record<string, Job & { strategy: { matrix: { stack: string[] } }; concurrency: { group: string } }> };
            expect(Object.keys(preview.on)).to.deep.equal(["pull_request"]);
            expect(preview.jobs.preview.strategy.matrix.stack).to.deep.equal(["dev", "staging", "prod"]);
            expect(preview.jobs.preview.concurrency.group).to.contain("matrix.stack");
            const pulumiStep = preview.jobs.preview.steps!.find((s) => s.with?.command === "preview")!;
            expect(pulumiStep.with).to.include({ "comment-on-pr": true });
            expect(preview.jobs.preview.steps!.some((s) => s.run?.includes("slotshift status") && s.run.includes("--json"))).to.equal(true);
        });

        it("reaches a rollback by hand and from the alert webhook", () => {
            const rollback = load("rollback.yml") as Workflow & { on: { workflow_dispatch: { inputs: { environment: { options: string[] } } }; repository_dispatch: { types: string[] } } };
            expect(rollback.on.workflow_dispatch.inputs.environment.options).to.deep.equal(["dev", "staging", "prod"]);
            expect(rollback.on.repository_dispatch.types).to.deep.equal(["slotshift-rollback"]);
            for (const j of ["rollback", "alert"]) {
                expect(rollback.jobs[j].with?.command, j).to.equal("rollback");
                expect(rollback.jobs[j].with?.smoke, j).to.equal("public");
            }
            // Each stack's rollback environment (no reviewers: a rollback never waits).
            expect(rollback.jobs.rollback.with?.environment).to.equal(`${rollback.jobs.rollback.with?.stack}-rollback`);
            for (const stack of ["staging", "prod"]) {
                const ctx = { github: { event_name: "repository_dispatch", event: { client_payload: { stack } } } };
                expect(template(String(rollback.jobs.alert.with?.environment), ctx)).to.equal(`${template(String(rollback.jobs.alert.with?.stack), ctx)}-rollback`);
            }
        });
    });

    describe("rollback.yml: every path is one job calling step.yml", () => {
        const rollback = load("rollback.yml") as Workflow & { jobs: Record<string, Job & { permissions?: Record<string, string>; secrets?: Record<string, string>; "runs-on"?: string }> };
        const dispatch = (payload: Record<string, unknown>) => ({ github: { event_name: "repository_dispatch", event: { action: "slotshift-rollback", client_payload: payload } } });
        const manual = (environment: string) => ({ github: { event_name: "workflow_dispatch", event: { inputs: { environment, version: "", sha: "" } } }, inputs: { environment } });
        const running = (ctx: Ctx) => Object.entries(rollback.jobs).filter(([, j]) => j.if === undefined || truthy(evaluate(j.if, ctx))).map(([n]) => n);

        it("sends the relay's dispatch straight to one job that calls step.yml with the alert through with:", () => {
            expect(running(dispatch({ stack: "prod", slot: "green", signal: "error-rate", firedAt: "2026-11-26T14:00:03Z" }))).to.deep.equal(["alert"]);
            const alert = rollback.jobs.alert;
            expect(alert.uses).to.equal("./.github/workflows/step.yml");
            expect(needs(alert)).to.deep.equal([]);
            expect(alert.with).to.deep.equal({
                stack: "${{ github.event.client_payload.stack }}",
                command: "rollback",
                environment: "${{ github.event.client_payload.stack == 'prod' && 'prod-rollback' || 'staging-rollback' }}",
                smoke: "public",
                alert: true,
                "alert-slot": "${{ github.event.client_payload.slot }}",
                "alert-signal": "${{ github.event.client_payload.signal }}",
                "alert-fired-at": "${{ github.event.client_payload.firedAt }}",
            });
            // No job of rollback.yml runs on a runner of its own: no second start, no second install.
            for (const [name, job] of Object.entries(rollback.jobs)) {
                expect(job.uses, name).to.equal("./.github/workflows/step.yml");
                expect(job.steps, name).to.equal(undefined);
                // GITHUB_TOKEN reads only: the stack file is pushed with the GitHub App's token.
                expect(job.permissions, name).to.deep.equal({ contents: "read", "id-token": "write", packages: "read", actions: "read" });
                expect(job.secrets, name).to.deep.equal({ PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}", SLOTSHIFT_APP_PRIVATE_KEY: "${{ secrets.SLOTSHIFT_APP_PRIVATE_KEY }}" });
            }
        });

        it("lets an alert through only for staging and prod, the stacks with a second slot (without case, as GitHub compares)", () => {
            const twoSlots = fs
                .readdirSync(ROOT)
                .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
                .filter((s): s is string => s !== undefined)
                .filter((s) => (parse(fs.readFileSync(path.join(ROOT, `Pulumi.${s}.yaml`), "utf8")) as { config: Record<string, { strategy?: string }> }).config["slotshift:rollout"].strategy !== "direct")
                .sort();
            expect(twoSlots).to.deep.equal(["prod", "staging"]);
            const passes = (stack: unknown) => truthy(evaluate(rollback.jobs.alert.if!, dispatch({ stack, slot: "green" })));
            for (const s of twoSlots) {
                expect(passes(s), s).to.equal(true);
            }
            for (const s of ["dev", "", undefined, null, "x", "prod ", " prod", "prod-rollback", "staging,prod", "prod\n", 'prod"', 0, ["prod"]]) {
                expect(passes(s), JSON.stringify(s)).to.equal(false);
            }
            // GitHub compares strings without case: these pass the if:, and step.yml's first step stops them (below).
            expect(passes("PROD")).to.equal(true);
            expect(passes("Staging")).to.equal(true);
            // The environment is never named from the payload: one of the two rollback environments, whatever the case.
            for (const stack of ["staging", "prod", "PROD", "Staging", "sTaGiNg"]) {
                const environment = template(String(rollback.jobs.alert.with?.environment), dispatch({ stack }));
                expect(environment, stack).to.equal(`${stack.toLowerCase()}-rollback`);
            }
        });

        it("runs a manual rollback as before: staging and prod roll back, dev redeploys a version, no alert", () => {
            expect(running(manual("prod"))).to.deep.equal(["rollback"]);
            expect(running(manual("staging"))).to.deep.equal(["rollback"]);
            expect(running(manual("dev"))).to.deep.equal(["redeploy-dev"]);
            expect(rollback.jobs.rollback.with).to.deep.equal({
                stack: "${{ github.event.inputs.environment }}",
                command: "rollback",
                environment: "${{ github.event.inputs.environment }}-rollback",
                smoke: "public",
            });
            expect(rollback.jobs["redeploy-dev"].with).to.include({ stack: "dev", command: "start", environment: "dev", version: "${{ github.event.inputs.version }}", sha: "${{ github.event.inputs.sha }}" });
        });
    });

    describe("step.yml decides an alert from what is deployed once an update in progress has ended, from the event, not from an empty slot", () => {
        type Step = { name?: string; id?: string; if?: string; run?: string; uses?: string; env?: Record<string, string>; with?: Record<string, unknown>; "timeout-minutes"?: number };
        type Input = { type: string; default?: unknown; required?: boolean };
        const step = load("step.yml") as unknown as {
            on: { workflow_call: { inputs: Record<string, Input> } };
            jobs: { step: { env: Record<string, string>; concurrency: { group: string; "cancel-in-progress": boolean }; steps: Step[] } };
        };
        const job = step.jobs.step;
        const steps = job.steps;
        const action = parse(fs.readFileSync(path.join(ROOT, ".github/actions/setup/action.yml"), "utf8")) as { outputs: Record<string, { value: string }>; runs: { steps: Step[] } };
        const at = (pred: (s: Step) => boolean) => steps.findIndex(pred);
        const gateAt = at((s) => s.id === "stack");
        const setupAt = at((s) => s.uses === "./.github/actions/setup");
        const decisionAt = at((s) => s.id === "alert");
        const holdAt = at((s) => s.run?.includes("holdUntil") === true);
        const editAt = at((s) => s.run?.includes('npx slotshift "${args[@]}"') === true);
        const upAt = at((s) => s.id === "up");
        const gate = steps[gateAt];
        const decision = steps[decisionAt];
        const readOutputs = action.runs.steps.find((s) => s.id === "previous")!;

        it("takes the alert as inputs: `alert` (a boolean, default false) says whether there is one, never an empty slot", () => {
            const inputs = step.on.workflow_call.inputs;
            expect(inputs.alert).to.deep.include({ type: "boolean", default: false });
            for (const k of ["alert-slot", "alert-signal", "alert-fired-at"]) {
                expect(inputs[k], k).to.deep.include({ type: "string", default: "" });
            }
        });

        it("decides after the outputs are read, once an update in progress has ended, and before the hold, the edit and pulumi up", () => {
            // The setup waits out an update of the stack in progress before it reads (settle): a rollback
            // runs beside the steps (see "who waits for whom" below), and decides from what that update left.
            expect(steps[setupAt].with).to.deep.include({ settle: true });
            expect(readOutputs.run!.indexOf("updateInProgress")).to.be.within(0, readOutputs.run!.indexOf("pulumi stack output"));
            expect(gateAt, "the exact stack check comes first").to.equal(0);
            expect([gateAt, setupAt, decisionAt, holdAt, editAt, upAt].every((x) => x >= 0)).to.equal(true);
            expect(gateAt < setupAt && setupAt < decisionAt && decisionAt < holdAt && decisionAt < editAt && decisionAt < upAt).to.equal(true);
            // The setup action writes what is deployed to the file the decision reads, and says whether it could.
            expect(readOutputs.run).to.contain('pulumi stack output --json --stack "$STACK" > .slotshift/previous.json');
            expect(action.outputs["previous-read"].value).to.equal("${{ steps.previous.outputs.read }}");
            expect(steps[setupAt].id).to.equal("setup");
            expect(decision.env!.PREVIOUS_READ).to.equal("${{ steps.setup.outputs.previous-read }}");
            expect(decision.run).to.contain("previous=.slotshift/previous.json");
            expect(decision.if).to.equal("inputs.alert && steps.stack.outputs.exact == 'true'");
        });

        it("checks the approval's age (slotshift approval-age) after the setup and before the hold, the edit and pulumi up, never for a rollback", () => {
            const approvalAt = at((s) => s.id === "approval");
            const approval = steps[approvalAt];
            expect(approval.name).to.equal("Check the approval's age");
            expect(approval.env).to.deep.equal({ GITHUB_TOKEN: "${{ github.token }}" });
            expect(approval.run).to.contain('npx slotshift approval-age --stack "$STACK"');
            const expectAt = at((s) => s.id === "expect");
            expect(setupAt).to.be.lessThan(approvalAt);
            for (const [what, i] of [["expect", expectAt], ["hold", holdAt], ["edit", editAt], ["pulumi up", upAt]] as const) {
                expect(approvalAt, what).to.be.lessThan(i);
            }
            // Every step that writes, deploys or commits comes after it.
            for (const s of steps.slice(0, approvalAt)) {
                expect(s.run ?? "", s.name ?? s.uses).to.not.match(/npx slotshift (start|next|finalize|rollback|retry)\b|"\$\{args\[@\]\}"|pulumi up|commit-stack-file/);
            }
            const runs = (withInputs: Record<string, unknown>) => truthy(evaluate(approval.if!, { inputs: { ...defaults(), ...withInputs }, steps: { stack: { outputs: { exact: "true" } } } }));
            for (const command of ["start", "next", "finalize"]) {
                expect(runs({ stack: "prod", command, environment: "prod" }), command).to.equal(true);
            }
            expect(runs({ stack: "prod", command: "rollback", environment: "prod-rollback" }), "a rollback by hand").to.equal(false);
            expect(runs({ stack: "prod", command: "rollback", environment: "prod-rollback", alert: true }), "an alert's rollback").to.equal(false);
            expect(runs({ stack: "prod", command: "next", environment: "prod", alert: true }), "any alert").to.equal(false);
        });

        it("runs every step after the decision only when it said go (or when there is no alert)", () => {
            // The approval's age is the one step after the decision that never runs for an alert (below).
            const later = steps.slice(decisionAt + 1).filter((s) => s.id !== "approval");
            expect(later.length).to.be.greaterThan(4);
            const ctx = (alert: boolean, go: string | undefined) => ({
                inputs: { ...defaults(), stack: "prod", command: "rollback", environment: "prod-rollback", alert, "wait-hold": true, smoke: "public", expect: "0".repeat(64), analyze: true },
                steps: { stack: { outputs: { exact: "true" } }, setup: { outputs: { "previous-read": "true" } }, up: { outcome: "success" }, alert: { outputs: go === undefined ? {} : { go } } },
            });
            for (const s of later) {
                const name = s.name ?? s.uses ?? s.run;
                expect(s.if, `${name} has a condition`).to.be.a("string");
                expect(s.if, name).to.match(/steps\.alert\.outputs\.go == 'true'/);
                expect(truthy(evaluate(s.if!, ctx(true, "false"))), `${name} on a no-op`).to.equal(false);
                expect(truthy(evaluate(s.if!, ctx(true, undefined))), `${name} when the decision did not run`).to.equal(false);
                expect(truthy(evaluate(s.if!, ctx(true, "true"))), `${name} on go`).to.equal(true);
                expect(truthy(evaluate(s.if!, ctx(false, undefined))), `${name} without an alert`).to.equal(true);
            }
        });

        it("hands the event's data to should-rollback through env only: no ${{ }} in any script of step.yml or the setup action", () => {
            expect(decision.env).to.include({
                ALERT_SLOT: "${{ inputs.alert-slot }}",
                ALERT_SIGNAL: "${{ inputs.alert-signal }}",
                ALERT_FIRED_AT: "${{ inputs.alert-fired-at }}",
            });
            expect(job.env.STACK).to.equal("${{ inputs.stack }}");
            expect(decision.run).to.match(/npx slotshift should-rollback --stack="\$STACK" --slot="\$ALERT_SLOT" --signal="\$ALERT_SIGNAL" --fired-at="\$ALERT_FIRED_AT" \$\{previous:\+--previous="\$previous"\}/);
            for (const s of [...steps, ...action.runs.steps]) {
                expect(s.run ?? "", s.name ?? s.run).not.to.contain("${{");
            }
            expect(readOutputs.env).to.deep.equal({ STACK: "${{ inputs.stack }}", SETTLE: "${{ inputs.settle }}" });
        });

        it("never decides from an empty slot: no shell test of the slot, no jq", () => {
            expect(decision.run).not.to.match(/-[zn] "?\$\{?ALERT_SLOT/);
            expect(decision.run).not.to.match(/\bjq\b/);
            expect([...steps.map((s) => s.run ?? "").join("\n").matchAll(/\$\{?ALERT_SLOT\}?/g)]).to.have.length(1);
        });

        it("hands pulumi only this project's stacks, matched exactly in the shell before checkout and setup", () => {
            const pattern = /case "\$STACK" in\s+([a-z|]+)\) echo "exact=true" >> "\$GITHUB_OUTPUT" ;;/.exec(gate.run!);
            expect(pattern, gate.run).not.to.equal(null);
            const stacks = pattern![1].split("|");
            const files = fs.readdirSync(ROOT).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((x): x is string => x !== undefined);
            expect([...stacks].sort()).to.deep.equal([...files].sort());
            expect(gate.run).to.contain(`allowed: ${[...stacks].sort().join(", ")}`);
            for (const s of steps.slice(gateAt + 1, decisionAt)) {
                expect(s.if, s.name ?? s.uses).to.equal("steps.stack.outputs.exact == 'true'");
            }
        });

        describe("the alert path, run as GitHub runs it: rollback.yml's if:, then step.yml's steps in order (bash -eo pipefail)", () => {
            const rollback = load("rollback.yml");
            const work = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-alert-"));
            const shims = path.join(work, "bin");
            fs.mkdirSync(shims);
            // npx slotshift is the project's bin; pulumi prints the outputs of a stack with green at 25 % since 10 minutes ago.
            // Until cli/main.ts registers approval-age, the shim runs it through registerApproval alone, as main would.
            const approvalRunner = path.join(work, "approval-age.js");
            fs.writeFileSync(
                approvalRunner,
                `process.env.TS_NODE_PROJECT = ${JSON.stringify(path.join(ROOT, "tsconfig.json"))};
const fromRoot = (m) => require(require.resolve(m, { paths: [${JSON.stringify(ROOT)}] }));
fromRoot("ts-node/register/transpile-only");
const { Command } = fromRoot("commander");
const { registerApproval } = require(${JSON.stringify(path.join(ROOT, "cli/approval.ts"))});
const { UsageError } = require(${JSON.stringify(path.join(ROOT, "cli/stackFile.ts"))});
let code = 0;
const program = new Command("slotshift").exitOverride();
registerApproval(program, { out: process.stdout, err: process.stderr, env: process.env }, (c) => (code = c));
program.parseAsync(process.argv.slice(2), { from: "user" }).then(
    () => (process.exitCode = code),
    (e) => { process.stderr.write("slotshift: " + e.message + "\\n"); process.exitCode = e instanceof UsageError || e.code ? 2 : 70; },
);
`,
            );
            fs.writeFileSync(
                path.join(shims, "npx"),
                `#!/bin/sh\n[ "$1" = slotshift ] && shift\n` +
                    `if [ "$1" = approval-age ] && ! grep -q registerApproval ${JSON.stringify(path.join(ROOT, "cli/main.ts"))}; then exec ${JSON.stringify(process.execPath)} ${JSON.stringify(approvalRunner)} "$@"; fi\n` +
                    `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(ROOT, "bin/slotshift.js"))} "$@"\n`,
                { mode: 0o755 },
            );
            /**
             * GitHub's REST API on 127.0.0.1, in a process of its own (the steps run under spawnSync, which
             * blocks this one): GET /repos/{owner}/{repo}/actions/runs/{run_id} answers run 1 as queued an
             * hour ago, run 2 as queued 30 hours ago, run 3 with GitHub's 404, each at the time it is asked.
             */
            const GITHUB_STAND_IN = `
const http = require("http");
const server = http.createServer((req, res) => {
    const m = /^\\/repos\\/octo-org\\/slotshift\\/actions\\/runs\\/([0-9]+)$/.exec(req.url);
    const hours = m && { 1: 1, 2: 30 }[m[1]];
    const at = (h) => new Date(Date.now() - h * 3600000).toISOString().replace(/\\.\\d{3}Z$/, "Z");
    const body = hours
        ? { id: Number(m[1]), status: "in_progress", run_attempt: 1, created_at: at(hours), run_started_at: at(hours) }
        : { message: "Not Found", documentation_url: "https://docs.github.com/rest/actions/workflow-runs#get-a-workflow-run", status: "404" };
    res.writeHead(hours ? 200 : 404, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(body));
});
server.listen(0, "127.0.0.1", () => process.stdout.write("http://127.0.0.1:" + server.address().port + "\\n"));
`;
            let gitHubUrl = "";
            let gitHubProcess: ChildProcess | undefined;
            before(async () => {
                gitHubProcess = spawn(process.execPath, ["-e", GITHUB_STAND_IN], { stdio: ["ignore", "pipe", "inherit"] });
                gitHubUrl = await new Promise<string>((resolve, reject) => {
                    const timer = setTimeout(() => reject(new Error("the GitHub stand-in did not start in 10 s")), 10000);
                    gitHubProcess!.stdout!.once("data", (d: Buffer) => {
                        clearTimeout(timer);
                        resolve(d.toString("utf8").trim());
                    });
                });
            });
            after(() => {
                gitHubProcess?.kill();
            });
            fs.writeFileSync(path.join(shims, "pulumi"), FAKE_PULUMI, { mode: 0o755 });
            if (spawnSync("sh", ["-c", "command -v jq"]).status !== 0) {
                fs.writeFileSync(path.join(shims, "jq"), "#!/bin/sh\ncat > /dev/null\n", { mode: 0o755 });
            }
            const outputs = path.join(work, "outputs.json");
            const rollout = {
                strategy: "canary", live: "blue", candidate: "green", weights: { blue: 75, green: 25 }, versions: { blue: "1.0.0", green: "1.1.0" },
                digests: { blue: null, green: null }, replicas: { blue: 3, green: 3 }, phase: "shifting", step: 2, nextStep: 50, steps: [5, 25, 50, 100],
                stepTakenAt: new Date(Date.now() - 10 * 60000).toISOString(), transition: "step",
            };
            fs.writeFileSync(outputs, JSON.stringify({ rollout }));
            /** The steps that run here; the others (checkout, the edit, pulumi up, commit, smoke) are only recorded as reached. */
            const RUN = new Set(["stack", "alert", "approval"]);

            interface Run {
                /** The steps reached, by id or name; undefined when rollback.yml's if: skips the job. */
                reached?: string[];
                failed?: string;
                status: Record<string, number | null>;
                outputs: Record<string, string>;
                stdout: string;
                stderr: string;
                summary: string;
                pulumi: string;
                pwned: boolean;
            }

            /** step.yml as one job: each step's if: evaluated as GitHub would, the run: steps above executed. */
            function runStep(withInputs: Record<string, unknown>, opts: { pulumiFails?: boolean; runId?: string } = {}): Run {
                const dir = fs.mkdtempSync(path.join(work, "run-"));
                for (const f of fs.readdirSync(ROOT).filter((x) => /^Pulumi(\..+)?\.yaml$/.test(x))) {
                    fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
                }
                const file = (n: string) => path.join(dir, n);
                const read = (n: string) => (fs.existsSync(file(n)) ? fs.readFileSync(file(n), "utf8") : "");
                const inputs = { ...defaults(), ...withInputs };
                const ctx: Ctx = { inputs, github: { token: "ghs_jobToken" }, steps: {} as Record<string, { outputs: Record<string, string> }> };
                // The job's env that the scripts read (the rest is cloud credentials and variables).
                const jobEnv = { STACK: template(job.env.STACK, ctx) };
                const r: Run = { reached: [], status: {}, outputs: {}, stdout: "", stderr: "", summary: "", pulumi: "", pwned: false };
                let n = 0;
                const bash = (id: string, script: string, env: Record<string, string>): Record<string, string> => {
                    const out = file(`output-${n++}`);
                    fs.writeFileSync(path.join(dir, "step.sh"), script);
                    const p = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", path.join(dir, "step.sh")], {
                        cwd: dir,
                        encoding: "utf8",
                        env: {
                            PATH: `${shims}:${process.env.PATH}`,
                            // What the runner sets for every job; the API is the stand-in above.
                            GITHUB_REPOSITORY: "octo-org/slotshift",
                            GITHUB_RUN_ID: opts.runId ?? "1",
                            GITHUB_API_URL: gitHubUrl,
                            GITHUB_OUTPUT: out,
                            GITHUB_STEP_SUMMARY: file("summary"),
                            PULUMI_CALLS: file("pulumi-calls"),
                            FAKE_OUTPUTS: outputs,
                            ...(opts.pulumiFails ? { FAKE_PULUMI_FAILS: "1" } : {}),
                            ...jobEnv,
                            ...env,
                        },
                    });
                    r.status[id] = p.status;
                    r.stdout += p.stdout;
                    r.stderr += p.stderr;
                    r.outputs[id] = fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "";
                    if (p.status !== 0) {
                        r.failed = id;
                    }
                    return Object.fromEntries(r.outputs[id].split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
                };
                const stepsCtx = ctx.steps as Record<string, { outputs: Record<string, string> }>;
                for (const s of steps) {
                    if (r.failed !== undefined && !(s.if ?? "").includes("always()")) {
                        continue; // a later step's if: implies success(), unless it says always()
                    }
                    if (s.if !== undefined && !truthy(evaluate(s.if, ctx))) {
                        continue;
                    }
                    const id = s.id ?? s.name ?? s.uses!;
                    r.reached!.push(id);
                    const env = Object.fromEntries(Object.entries(s.env ?? {}).map(([k, v]) => [k, template(v, ctx)]));
                    if (s.run !== undefined && RUN.has(id)) {
                        stepsCtx[id] = { outputs: bash(id, s.run, env) };
                    } else if (s.uses === "./.github/actions/setup") {
                        // The setup action's last step, as the composite runs it; the rest installs tools.
                        const actionCtx: Ctx = { inputs: Object.fromEntries(Object.entries(s.with!).map(([k, v]) => [k, template(String(v), ctx)])), steps: {} };
                        const readEnv = Object.fromEntries(Object.entries(readOutputs.env!).map(([k, v]) => [k, template(v, actionCtx)]));
                        (actionCtx.steps as Record<string, unknown>).previous = { outputs: bash("setup", readOutputs.run!, readEnv) };
                        stepsCtx[id] = { outputs: Object.fromEntries(Object.entries(action.outputs).map(([k, o]) => [k, template(o.value, actionCtx)])) };
                    }
                }
                r.summary = read("summary");
                r.pulumi = read("pulumi-calls");
                r.pwned = fs.existsSync(file("pwned")) || fs.existsSync(path.join(work, "pwned"));
                return r;
            }

            /** The relay's dispatch: rollback.yml's alert job, if its if: lets it run, with its with: evaluated. */
            function runDispatch(payload: Record<string, unknown>, opts: { pulumiFails?: boolean } = {}): Run {
                const ctx = { github: { event_name: "repository_dispatch", event: { action: "slotshift-rollback", client_payload: payload } } };
                const alertJob = rollback.jobs.alert;
                if (!truthy(evaluate(alertJob.if!, ctx))) {
                    return { status: {}, outputs: {}, stdout: "", stderr: "", summary: "", pulumi: "", pwned: false };
                }
                const withInputs = Object.fromEntries(Object.entries(alertJob.with!).map(([k, v]) => [k, typeof v === "string" ? template(v, ctx) : v]));
                return runStep(withInputs, opts);
            }

            const recent = () => new Date(Date.now() - 5 * 60000).toISOString();
            const ACTED = ["slotshift ${{ inputs.command }}", "up", "app-token", "Commit the stack file", "Smoke test", "Notify"];
            const DECIDED = ["stack", "checkout", "setup", "alert"];
            /** What the setup asks pulumi: whether an update is in progress (settle), then the outputs. */
            const READ = (stack: string) => `stack ls --json\nstack output --json --stack ${stack}\n`;

            it("rolls back the candidate carrying traffic: go, then the edit, pulumi up, the commit and the smoke test", () => {
                const r = runDispatch({ stack: "prod", slot: "green", signal: "error-rate", firedAt: recent() });
                expect(r.failed, r.stderr).to.equal(undefined);
                expect(r.outputs.alert).to.equal("go=true\nstack=prod\n");
                expect(r.pulumi).to.equal(READ("prod"));
                expect(r.stdout).to.match(/^rollback prod: green is prod's candidate at 25 %/m);
                expect(r.reached).to.deep.equal([...DECIDED, ...ACTED]);
            });

            it("succeeds as a no-op on the shared database's alert (no slot), saying why in the summary, and goes no further", () => {
                const r = runDispatch({ stack: "prod", slot: "", signal: "db-connections", firedAt: recent() });
                expect(r.failed, r.stderr).to.equal(undefined);
                expect(r.outputs.alert).to.equal("go=false\n");
                expect(r.summary).to.match(/^slotshift should-rollback: no rollback: the alert on prod names no slot .*\n$/);
                expect(r.reached).to.deep.equal(DECIDED);
            });

            it("succeeds as a no-op on a stale alert and on the live slot", () => {
                for (const p of [{ stack: "prod", slot: "green", firedAt: new Date(Date.now() - 60 * 60000).toISOString() }, { stack: "prod", slot: "blue", firedAt: recent() }]) {
                    const r = runDispatch(p);
                    expect(r.failed, r.stderr).to.equal(undefined);
                    expect(r.outputs.alert, JSON.stringify(p)).to.equal("go=false\n");
                    expect(r.reached).to.deep.equal(DECIDED);
                }
            });

            it("skips the job for dev and any stack but staging and prod, and stops a wrong-case stack before checkout and pulumi", () => {
                for (const stack of ["dev", "x", "", 'prod"; touch pwned; echo "']) {
                    const r = runDispatch({ stack, slot: "green", firedAt: recent() });
                    expect(r.reached, stack).to.equal(undefined);
                }
                const r = runDispatch({ stack: "PROD", slot: "green", firedAt: recent() });
                expect(r.failed, r.stderr).to.equal(undefined);
                expect(r.reached).to.deep.equal(["stack"]);
                expect(r.outputs.stack).to.equal("exact=false\n");
                expect(r.pulumi).to.equal("");
                expect(r.summary).to.equal('slotshift step: no rollback: stack "PROD" is not exactly a stack of this project; allowed: dev, prod, staging\n');
            });

            it("runs none of the event's data as code, and hands pulumi no stack but the project's", () => {
                const firedAt = recent();
                // Straight into step.yml too, as if a caller had no if: at all.
                const direct = runStep({ stack: 'prod"; touch pwned; echo "', command: "rollback", environment: "x", alert: true, "alert-slot": "$(touch pwned)", "alert-fired-at": firedAt });
                expect(direct.failed, direct.stderr).to.equal(undefined);
                expect(direct.reached).to.deep.equal(["stack"]);
                expect(direct.pwned).to.equal(false);
                expect(direct.pulumi).to.equal("");
                expect(direct.summary).to.equal('slotshift step: no rollback: stack "prod???touch?pwned??echo??" is not exactly a stack of this project; allowed: dev, prod, staging\n');
                const payloads = [
                    { stack: "prod", slot: "$(touch pwned)", signal: "`touch pwned`", firedAt },
                    { stack: "prod", slot: "green\ngo=true", signal: "--help\nstack=prod", firedAt },
                    { stack: "staging", slot: "green; touch pwned", signal: "$(touch pwned)", firedAt },
                ];
                for (const p of payloads) {
                    const r = runDispatch(p);
                    const what = JSON.stringify(p);
                    expect(r.failed, `${what}: ${r.stderr}`).to.equal(undefined);
                    expect(r.outputs.alert, what).to.equal("go=false\n");
                    expect(r.pwned, what).to.equal(false);
                    expect(r.pulumi, what).to.equal(READ(p.stack));
                    expect(r.reached, what).to.deep.equal(DECIDED);
                    expect(r.stdout.split("\n").filter((l) => l.startsWith("no rollback")), what).to.have.length(1);
                }
                const r = runDispatch({ stack: "prod", slot: "green", firedAt: "$(touch pwned)" });
                expect(r.failed).to.equal("alert");
                expect(r.status.alert).to.equal(2);
                expect(r.pwned).to.equal(false);
                expect(r.outputs.alert).to.equal("");
                expect(r.reached).to.deep.equal(DECIDED);
            });

            it("fails, and never takes them for 'never updated', when the stack's outputs cannot be read; the event alone still settles a no-op", () => {
                const r = runDispatch({ stack: "prod", slot: "green", signal: "error-rate", firedAt: recent() }, { pulumiFails: true });
                expect(r.outputs.setup).to.equal("read=false\n");
                expect(r.failed).to.equal("alert");
                expect(r.status.alert).to.equal(2);
                expect(r.outputs.alert).to.equal("");
                expect(r.stderr).to.contain("the outputs of prod could not be read");
                expect(r.reached).to.deep.equal(DECIDED);
                const db = runDispatch({ stack: "prod", slot: "", signal: "db-connections", firedAt: recent() }, { pulumiFails: true });
                expect(db.failed, db.stderr).to.equal(undefined);
                expect(db.outputs.alert).to.equal("go=false\n");
            });

            it("checks the approval's age of a release step before its edit: within the limit the job goes on", () => {
                for (const command of ["start", "next", "finalize"]) {
                    const r = runStep({ stack: "prod", command, environment: "prod", version: "1.2.0", sha: "abc1234" }, { runId: "1" });
                    expect(r.failed, r.stdout + r.stderr).to.equal(undefined);
                    expect(r.status.approval, command).to.equal(0);
                    expect(r.stdout).to.match(/^approved within the limit: queued at \S+, 1 h [0-9]+ min ago \(limit 24 h\)$/m);
                    expect(r.reached, command).to.deep.equal(["stack", "checkout", "setup", "approval", ...ACTED]);
                }
            });

            it("stops a step whose approval is older than the limit, or whose run GitHub cannot read, before the edit and pulumi up, with the command's line", () => {
                const old = runStep({ stack: "prod", command: "next", environment: "prod" }, { runId: "2" });
                expect(old.failed).to.equal("approval");
                expect(old.status.approval).to.equal(1);
                // A step stopped by its approval's age is still said: Notify runs always().
                expect(old.reached).to.deep.equal(["stack", "checkout", "setup", "approval", "Notify"]);
                expect(old.stdout).to.match(/^::error::approval too old: queued at \S+, 30 h 0 min ago, longer than slotshift:promotion.approvalTimeoutHours \(24 h\); re-run the job to deploy now: .*$/m);
                expect(old.pulumi, "only the setup's read").to.equal(READ("prod"));
                const unreadable = runStep({ stack: "staging", command: "start", environment: "staging", version: "1.2.0", sha: "abc1234" }, { runId: "3" });
                expect(unreadable.failed).to.equal("approval");
                expect(unreadable.reached).to.deep.equal(["stack", "checkout", "setup", "approval", "Notify"]);
                expect(unreadable.stdout).to.match(/^::error::slotshift approval-age: GitHub could not be read, so the approval's age is unknown \(never taken as approved\): .*404 Not Found/m);
                expect(unreadable.pulumi).to.equal(READ("staging"));
            });

            it("never checks the approval's age of a rollback: from an alert (whatever it decided) or by hand", () => {
                const r = runDispatch({ stack: "prod", slot: "green", signal: "error-rate", firedAt: recent() }, {});
                expect(r.failed, r.stderr).to.equal(undefined);
                expect(r.reached).to.deep.equal([...DECIDED, ...ACTED]);
                // Even with a run GitHub says was queued 30 hours ago, a rollback goes on.
                const byHand = runStep({ stack: "prod", command: "rollback", environment: "prod-rollback" }, { runId: "2" });
                expect(byHand.failed, byHand.stderr).to.equal(undefined);
                expect(byHand.reached).to.deep.equal(["stack", "checkout", "setup", ...ACTED]);
                const alert = runStep({ stack: "prod", command: "rollback", environment: "prod-rollback", alert: true, "alert-slot": "green", "alert-fired-at": recent() }, { runId: "2" });
                expect(alert.failed, alert.stderr).to.equal(undefined);
                expect(alert.reached).to.not.include("approval");
            });

            it("fails a caller's unknown or wrong-case stack when there is no alert", () => {
                const r = runStep({ stack: "Prod", command: "rollback", environment: "prod-rollback" });
                expect(r.failed).to.equal("stack");
                expect(r.status.stack).to.equal(1);
                expect(r.reached).to.deep.equal(["stack", "Notify"]);
                // Notify asks pulumi only for the stack's webhooks; nothing else of the stack is read.
                expect(r.pulumi.split("\n").filter((l) => l !== "" && !l.startsWith("config get "))).to.deep.equal([]);
                const ok = runStep({ stack: "prod", command: "rollback", environment: "prod-rollback" });
                expect(ok.failed, ok.stderr).to.equal(undefined);
                expect(ok.reached).to.deep.equal(["stack", "checkout", "setup", ...ACTED]);
            });
        });

        /** step.yml's inputs with their defaults, as a caller that gives none of them gets them. */
        function defaults(): Record<string, unknown> {
            return Object.fromEntries(Object.entries(step.on.workflow_call.inputs).filter(([, i]) => "default" in i).map(([k, i]) => [k, i.default]));
        }
    });

    describe("step.yml: who waits for whom, a rollback never cancelled", () => {
        type Step = { name?: string; id?: string; if?: string; run?: string; uses?: string; env?: Record<string, string>; with?: Record<string, unknown>; "timeout-minutes"?: number };
        const step = load("step.yml") as unknown as {
            on: { workflow_call: { inputs: Record<string, { default?: unknown }>; outputs: Record<string, { value: string }> } };
            jobs: { step: { concurrency: { group: string; "cancel-in-progress": boolean }; outputs: Record<string, string>; steps: Step[] } };
        };
        const deploy = load("deploy.yml");
        const rollback = load("rollback.yml");
        const job = step.jobs.step;
        const group = (withInputs: Record<string, unknown>, runId: string) => template(job.concurrency.group, { inputs: withInputs, github: { run_id: runId } });
        const callers = () =>
            [...Object.entries(deploy.jobs).map(([n, j]) => [`deploy.yml ${n}`, j] as const), ...Object.entries(rollback.jobs).map(([n, j]) => [`rollback.yml ${n}`, j] as const)].filter(
                ([, j]) => j.uses === "./.github/workflows/step.yml",
            );

        it("puts every step of a stack in one group, one at a time and never cancelled half way", () => {
            expect(job.concurrency["cancel-in-progress"]).to.equal(false);
            for (const [name, j] of Object.entries(deploy.jobs).filter(([, x]) => x.uses === "./.github/workflows/step.yml")) {
                expect(group(j.with!, "7"), name).to.equal(`slotshift-${String(j.with!.stack)}`);
                expect(group(j.with!, "8"), name).to.equal(group(j.with!, "7"));
            }
            // Dev's redeploy is a deploy of a chosen version: it queues with dev's steps.
            const redeploy = template(String(rollback.jobs["redeploy-dev"].with!.stack), {});
            expect(group({ ...rollback.jobs["redeploy-dev"].with, stack: redeploy }, "7")).to.equal("slotshift-dev");
        });

        it("gives each rollback a group of its own run: never pending behind a step, or behind another rollback, so nothing cancels it", () => {
            for (const stack of ["staging", "prod"]) {
                for (const [name, j] of [["rollback", rollback.jobs.rollback], ["alert", rollback.jobs.alert]] as const) {
                    const ctx = name === "rollback" ? { github: { event: { inputs: { environment: stack } } } } : { github: { event: { client_payload: { stack } } } };
                    const inputs = Object.fromEntries(Object.entries(j.with!).map(([k, v]) => [k, typeof v === "string" ? template(v, ctx) : v]));
                    expect(inputs.command).to.equal("rollback");
                    const a = group(inputs, "1001");
                    expect(a, name).to.equal(`slotshift-${stack}-rollback-1001`);
                    expect(group(inputs, "1002"), "another run").to.not.equal(a);
                    expect(a, "not the steps' group").to.not.equal(`slotshift-${stack}`);
                }
            }
        });

        it("has every later step of a release pass what its previous step left (expect), and the first none", () => {
            expect(job.outputs.rollout).to.equal("${{ steps.up.outputs.rollout }}");
            expect(step.on.workflow_call.outputs.rollout.value).to.equal("${{ jobs.step.outputs.rollout }}");
            expect(step.on.workflow_call.inputs.expect.default).to.equal("");
            for (const [name, j] of Object.entries(deploy.jobs).filter(([, x]) => x.uses === "./.github/workflows/step.yml")) {
                const command = j.with!.command;
                if (command === "start") {
                    expect(j.with, name).to.not.have.property("expect");
                } else {
                    expect(["next", "finalize"], name).to.include(command);
                    expect(needs(j), name).to.have.length(1);
                    expect(j.with!.expect, name).to.equal(`\${{ needs.${needs(j)[0]}.outputs.rollout }}`);
                }
            }
            for (const [name, j] of Object.entries(rollback.jobs)) {
                expect(j.with, name).to.not.have.property("expect");
            }
        });

        it("creates a stack that does not exist yet: pulumi stack select --create before pulumi up; the preview upserts", () => {
            const up = job.steps.find((s) => s.id === "up")!;
            expect(up.uses).to.equal(undefined);
            expect(up.run).to.match(/^pulumi stack select --create "\$STACK"\n/);
            expect(up.run!.indexOf("pulumi stack select --create")).to.be.lessThan(up.run!.indexOf("pulumi up "));
            // No pulumi/actions step runs an update anywhere; the preview's creates its stack when missing.
            const preview = load("preview.yml");
            const previewStep = preview.jobs.preview.steps!.find((s) => s.with?.command === "preview")!;
            expect(previewStep.uses).to.equal(pinned("pulumi/actions"));
            expect(previewStep.with).to.include({ upsert: true, "stack-name": "${{ matrix.stack }}" });
            for (const f of files) {
                for (const j of Object.values(load(f).jobs)) {
                    for (const s of j.steps ?? []) {
                        if (s.uses?.startsWith("pulumi/actions@") && s.with?.command !== undefined) {
                            expect(s.with.command, f).to.equal("preview");
                        }
                    }
                }
            }
        });

        it("pushes with the GitHub App's token, minted after pulumi up for this repository and contents: write, never GITHUB_TOKEN", () => {
            const at = (pred: (s: Step) => boolean) => job.steps.findIndex(pred);
            const token = job.steps[at((s) => s.id === "app-token")];
            const commitAt = at((s) => s.name === "Commit the stack file");
            const commit = job.steps[commitAt];
            expect(token.uses).to.equal(pinned("actions/create-github-app-token"));
            // No owner, no repositories: the token is scoped to this repository alone.
            expect(token.with).to.deep.equal({
                "client-id": "${{ vars.SLOTSHIFT_APP_CLIENT_ID }}",
                "private-key": "${{ secrets.SLOTSHIFT_APP_PRIVATE_KEY }}",
                "permission-contents": "write",
            });
            expect(at((s) => s.id === "up")).to.be.lessThan(at((s) => s.id === "app-token"));
            expect(at((s) => s.id === "app-token")).to.equal(commitAt - 1);
            expect(commit.env!.APP_TOKEN).to.equal("${{ steps.app-token.outputs.token }}");
            // Checkout leaves no credential behind for npm ci and the program.
            const checkout = job.steps[at((s) => s.id === "checkout")];
            expect(checkout.uses).to.equal(pinned("actions/checkout"));
            expect(checkout.with).to.include({ "persist-credentials": false, "fetch-depth": 0 });
            expect(checkout.with).to.not.have.property("token");
            // GITHUB_TOKEN only reads, in step.yml and in every caller; each passes the app's key.
            // actions: read for slotshift approval-age's read of the run; a called workflow gets at most
            // what its caller grants (else the run fails at startup), so every caller grants it too.
            expect((step as unknown as { permissions: Record<string, string> }).permissions).to.deep.equal({ contents: "read", "id-token": "write", packages: "read", actions: "read" });
            for (const [name, j] of callers()) {
                expect((j as Job & { permissions?: Record<string, string> }).permissions, name).to.deep.equal({ contents: "read", "id-token": "write", packages: "read", actions: "read" });
                expect((j as Job & { secrets?: Record<string, string> }).secrets, name).to.include({ SLOTSHIFT_APP_PRIVATE_KEY: "${{ secrets.SLOTSHIFT_APP_PRIVATE_KEY }}" });
            }
            // [skip ci] on the pushed commit; pull --rebase before every push.
            // The commit is .github/scripts/commit-stack-file.sh's, with this message.
            expect(commit.run).to.equal('"$GITHUB_WORKSPACE/.github/scripts/commit-stack-file.sh" "slotshift: $STACK $COMMAND [skip ci]"');
            const committer = fs.readFileSync(path.join(ROOT, ".github/scripts/commit-stack-file.sh"), "utf8");
            expect(committer).to.contain('git commit -q -m "$message"');
            expect(committer.indexOf("git pull --rebase origin")).to.be.within(0, committer.indexOf("git push origin"));
            expect(committer).to.not.match(/GITHUB_TOKEN|github\.token/);
        });
    });

    describe("step.yml's scripts, run as GitHub runs them (bash -eo pipefail, pulumi stood in for)", () => {
        type Step = { name?: string; id?: string; run?: string; env?: Record<string, string> };
        const step = load("step.yml") as unknown as { jobs: { step: { steps: Step[] } } };
        const script = (pred: (s: Step) => boolean) => step.jobs.step.steps.find(pred)!.run!;
        const upScript = script((s) => s.id === "up");
        const expectScript = script((s) => s.id === "expect");
        const commitScript = script((s) => s.name === "Commit the stack file");
        const action = parse(fs.readFileSync(path.join(ROOT, ".github/actions/setup/action.yml"), "utf8")) as { runs: { steps: Step[] } };
        const readScript = action.runs.steps.find((s) => s.id === "previous")!.run!;
        const hasJq = spawnSync("sh", ["-c", "command -v jq"]).status === 0;
        const hasGit = spawnSync("sh", ["-c", "command -v git"]).status === 0;

        const state = (candidateWeight: number, transition: string, stepTakenAt: string) => ({
            rollout: { strategy: "canary", live: "blue", candidate: "green", weights: { blue: 100 - candidateWeight, green: candidateWeight }, phase: "shifting", transition, stepTakenAt },
            endpoints: { scheme: "https", public: "app.example" },
        });
        const AT25 = state(25, "step", "2026-11-26T14:00:00.000Z");
        const AT50 = state(50, "step", "2026-11-26T14:10:00.000Z");
        const ROLLED_BACK = state(0, "rollback", "2026-11-26T14:05:00.000Z");

        /** A job's working directory: .slotshift/previous.json as the setup read it, the stack's outputs, pulumi's calls. */
        function workspace(previous: object, outputs: object = previous) {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-job-"));
            const bin = path.join(dir, "bin");
            fs.mkdirSync(bin);
            fs.writeFileSync(path.join(bin, "pulumi"), FAKE_PULUMI, { mode: 0o755 });
            fs.mkdirSync(path.join(dir, ".slotshift"));
            fs.writeFileSync(path.join(dir, ".slotshift/previous.json"), JSON.stringify(previous, null, 2));
            // A checkout: the stack file, committed.
            fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), "config:\n  slotshift:rollout:\n    weight: 25\n");
            const gitEnv = { ...process.env, HOME: dir, GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
            for (const args of [["init", "-q", "-b", "main"], ["add", "Pulumi.prod.yaml"], ["commit", "-q", "-m", "release"]]) {
                spawnSync("git", args, { cwd: dir, env: gitEnv });
            }
            const file = (n: string, v: object) => {
                fs.writeFileSync(path.join(bin, n), JSON.stringify(v, null, 2));
                return path.join(bin, n);
            };
            const env = (extra: Record<string, string>): Record<string, string> => ({
                PATH: `${bin}:${process.env.PATH}`,
                HOME: dir,
                GITHUB_OUTPUT: path.join(dir, "github-output"),
                GITHUB_RUN_ID: "4242",
                PULUMI_CALLS: path.join(dir, "pulumi-calls"),
                FAKE_OUTPUTS: file("outputs.json", outputs),
                STACK: "prod",
                COMMAND: "next",
                SLOTSHIFT_POLL_SECONDS: "0",
                // The checkout's scripts (.github/scripts) are this repository's.
                GITHUB_WORKSPACE: ROOT,
                ...extra,
            });
            const calls = () => (fs.existsSync(path.join(dir, "pulumi-calls")) ? fs.readFileSync(path.join(dir, "pulumi-calls"), "utf8").trim().split("\n") : []);
            const output = () => (fs.existsSync(path.join(dir, "github-output")) ? fs.readFileSync(path.join(dir, "github-output"), "utf8") : "");
            return { dir, env, file, calls, output };
        }
        const ups = (calls: string[]) => calls.filter((c) => c.startsWith("up "));

        describe("Notify: the job summary always, the stack's webhooks read from its config and masked, never a failure", () => {
            const notifyScript = script((s) => s.name === "Notify");
            /** Runs a script without blocking the event loop: the webhook stand-in answers in this process. */
            const runAsync = (body: string, cwd: string, env: Record<string, string>) =>
                new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
                    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-script-")), "step.sh");
                    fs.writeFileSync(file, body);
                    const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", file], { cwd, env });
                    let stdout = "";
                    let stderr = "";
                    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
                    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
                    child.on("close", (status) => resolve({ status, stdout, stderr }));
                });

            it("posts the step to the Slack webhook pulumi config holds, masks it, writes the summary; a failing post fails nothing", async () => {
                const hooks = new FakeWebhooks();
                await hooks.start();
                try {
                    const good = hooks.slack("/services/T0/B0/SECRETSECRET");
                    for (const [url, posts] of [[good, 1], [`${good}-gone`, 0]] as const) {
                        const w = workspace(AT50);
                        const bin = path.join(w.dir, "bin");
                        // pulumi config get answers the webhook; npx runs this repository's slotshift.
                        fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\nprintf '%s\\n' "$*" >> "$PULUMI_CALLS"\ncase "$*" in *slackWebhookUrl*) echo "${url}" ;; esac\n`, { mode: 0o755 });
                        fs.writeFileSync(path.join(bin, "npx"), `#!/bin/sh\n[ "$1" = slotshift ] || exit 3\nshift\nexec node "${path.join(ROOT, "bin", "slotshift.js")}" "$@"\n`, { mode: 0o755 });
                        for (const f of ["Pulumi.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml"]) {
                            fs.copyFileSync(path.join(ROOT, f), path.join(w.dir, f));
                        }
                        // What pulumi up left: prod with green 1.1.0 at 50 %, as the program writes it.
                        const deployed = {
                            rollout: {
                                strategy: "canary", live: "blue", candidate: "green", weights: { blue: 50, green: 50 }, versions: { blue: "1.0.0", green: "1.1.0" },
                                digests: { blue: null, green: null }, replicas: { blue: 3, green: 2 }, phase: "shifting", step: 3, nextStep: 100, steps: [5, 25, 50, 100],
                                stepTakenAt: new Date(Date.now() - 60000).toISOString(), transition: "step",
                            },
                        };
                        fs.writeFileSync(path.join(w.dir, ".slotshift/deployed.json"), JSON.stringify(deployed));
                        const summary = path.join(w.dir, "summary");
                        const before = hooks.to("/services/T0/B0/SECRETSECRET").length;
                        const r = await runAsync(notifyScript, w.dir, w.env({ JOB_STATUS: "success", GATE: "", GITHUB_STEP_SUMMARY: summary }));
                        expect(r.status, r.stdout + r.stderr).to.equal(0);
                        expect(r.stdout).to.contain(`::add-mask::${url}`);
                        expect(r.stdout.replace(`::add-mask::${url}`, "")).to.not.contain("SECRETSECRET");
                        expect(fs.readFileSync(summary, "utf8")).to.contain("prod: green 1.1.0 at 50 %");
                        expect(hooks.to("/services/T0/B0/SECRETSECRET").length - before).to.equal(posts);
                        expect(w.calls().filter((c) => c.startsWith("config get"))).to.have.length(2);
                    }
                } finally {
                    await hooks.stop();
                }
            });
        });

        describe("pulumi up waits for the stack's lock, bounded, and a step never lands on a stack changed under it", () => {
            before(function () {
                if (!hasJq) {
                    this.skip();
                }
            });

            it("selects or creates the stack, updates it, and outputs the rollout it left, which the next step's expect accepts", () => {
                const w = workspace(AT25);
                const r = runScript(upScript, w.dir, w.env({ FAKE_UP_OUTPUTS: w.file("after.json", AT50) }));
                expect(r.status, r.stdout + r.stderr).to.equal(0);
                expect(w.calls()).to.deep.equal([
                    "stack select --create prod",
                    "stack output --json --stack prod",
                    "up --yes --skip-preview --non-interactive --stack prod --message slotshift: prod next (run 4242)",
                    "stack output --json --stack prod",
                ]);
                const rollout = /^rollout=([0-9a-f]{64})$/m.exec(w.output())?.[1];
                expect(rollout, w.output()).to.be.a("string");
                // What was deployed, for the gate's rollback: the commit whose code ran and the stack file as it was.
                const head = spawnSync("git", ["rev-parse", "HEAD"], { cwd: w.dir, encoding: "utf8" }).stdout.trim();
                expect(w.output()).to.contain(`\nsha=${head}\n`);
                expect(fs.readFileSync(path.join(w.dir, ".slotshift/deployed-stack.yaml"), "utf8")).to.equal(fs.readFileSync(path.join(w.dir, "Pulumi.prod.yaml"), "utf8"));
                // The next job of the release reads those outputs in its setup and passes the check.
                const next = workspace(AT50);
                const ok = runScript(expectScript, next.dir, next.env({ EXPECT: rollout! }));
                expect(ok.status, ok.stdout + ok.stderr).to.equal(0);
                // And refuses after a rollback in between.
                const after = workspace(ROLLED_BACK);
                const refused = runScript(expectScript, after.dir, after.env({ EXPECT: rollout! }));
                expect(refused.status).to.equal(1);
                expect(refused.stdout).to.contain("::error::prod is not as the release's previous step left it (a rollback or another update since): next stops here");
            });

            it("waits out another update's lock ([409] Conflict), then updates", () => {
                const w = workspace(AT25);
                const r = runScript(upScript, w.dir, w.env({ FAKE_LOCKED: "2" }));
                expect(r.status, r.stdout + r.stderr).to.equal(0);
                expect(ups(w.calls())).to.have.length(3);
                expect(r.stdout.match(/another update of prod is in progress: trying again/g)).to.have.length(2);
            });

            it("gives up after its bound, and fails at once on any other error", () => {
                const w = workspace(AT25);
                const r = runScript(upScript, w.dir, w.env({ FAKE_LOCKED: "1000", SLOTSHIFT_LOCK_WAIT_SECONDS: "3", SLOTSHIFT_POLL_SECONDS: "1" }));
                expect(r.status).to.equal(1);
                expect(ups(w.calls())).to.have.length(4);
                expect(r.stdout).to.contain("::error::another update of prod held its lock for more than 3 s");
                const other = workspace(AT25);
                const failed = runScript(upScript, other.dir, other.env({ FAKE_UP_FAILS: "1" }));
                expect(failed.status).to.equal(1);
                expect(ups(other.calls())).to.have.length(1);
                expect(other.output()).to.equal("");
            });

            it("never applies a step over a stack that changed since it was read: not before the first attempt, not after waiting for the lock", () => {
                const w = workspace(AT25, ROLLED_BACK);
                const r = runScript(upScript, w.dir, w.env({}));
                expect(r.status).to.equal(1);
                expect(ups(w.calls())).to.deep.equal([]);
                expect(r.stdout).to.contain("::error::prod changed since this job read it (a rollback?): next is not applied over it");
                // The lock was a rollback's: once it ends, the step stops instead of sending traffic back.
                const waiting = workspace(AT25);
                const r2 = runScript(upScript, waiting.dir, waiting.env({ FAKE_LOCKED: "1", FAKE_AFTER_LOCK: waiting.file("rolled-back.json", ROLLED_BACK) }));
                expect(r2.status).to.equal(1);
                expect(ups(waiting.calls())).to.have.length(1);
                expect(r2.stdout).to.contain("changed since this job read it");
            });

            it("applies a rollback whatever moved meanwhile: back to 0 % is legal from any weight", () => {
                const w = workspace(AT25);
                const r = runScript(upScript, w.dir, w.env({ COMMAND: "rollback", FAKE_LOCKED: "1", FAKE_AFTER_LOCK: w.file("at50.json", AT50) }));
                expect(r.status, r.stdout + r.stderr).to.equal(0);
                // No look at the stack before its attempts: only the outputs it left, after.
                expect(w.calls().map((c) => c.split(" --message")[0])).to.deep.equal([
                    "stack select --create prod",
                    "up --yes --skip-preview --non-interactive --stack prod",
                    "up --yes --skip-preview --non-interactive --stack prod",
                    "stack output --json --stack prod",
                ]);
            });
        });

        describe("the setup reads the outputs once an update in progress has ended (settle)", () => {
            before(function () {
                if (!hasJq) {
                    this.skip();
                }
            });

            it("waits while the stack's update is in progress, then reads", () => {
                const w = workspace({});
                const r = runScript(readScript, w.dir, w.env({ SETTLE: "true", FAKE_BUSY: "2" }));
                expect(r.status, r.stdout + r.stderr).to.equal(0);
                expect(w.calls()).to.deep.equal(["stack ls --json", "stack ls --json", "stack ls --json", "stack output --json --stack prod"]);
                expect(w.output()).to.equal("read=true\n");
                expect(r.stdout.match(/an update of prod is in progress: waiting/g)).to.have.length(2);
            });

            it("waits a bounded time, and not at all without settle or when the backend cannot say", () => {
                const w = workspace({});
                const r = runScript(readScript, w.dir, w.env({ SETTLE: "true", FAKE_BUSY: "1000", SLOTSHIFT_SETTLE_SECONDS: "2", SLOTSHIFT_POLL_SECONDS: "1" }));
                expect(r.status).to.equal(0);
                expect(r.stdout).to.contain("::warning::an update of prod has been in progress for more than 2 s: reading its outputs as they are");
                expect(w.calls().filter((c) => c === "stack ls --json")).to.have.length(3);
                const off = workspace({});
                expect(runScript(readScript, off.dir, off.env({ SETTLE: "false", FAKE_BUSY: "1000" })).status).to.equal(0);
                expect(off.calls()).to.deep.equal(["stack output --json --stack prod"]);
                const down = workspace({});
                expect(runScript(readScript, down.dir, down.env({ SETTLE: "true", FAKE_PULUMI_FAILS: "1" })).status).to.equal(0);
                expect(down.output()).to.equal("read=false\n");
            });
        });

        describe("the commit: pushed with [skip ci], rebased and retried a bounded number of times, the deployed file winning a conflict", () => {
            before(function () {
                if (!hasJq || !hasGit) {
                    this.skip();
                }
            });

            const FILE = "config:\n  slotshift:rollout:\n    live: blue\n    weight: 25\n";
            const git = (cwd: string, ...args: string[]) => {
                const r = spawnSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, HOME: cwd, GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" } });
                expect(r.status, `git ${args.join(" ")}: ${r.stderr}`).to.equal(0);
                return r.stdout.trim();
            };
            /** origin (bare, main), another clone that pushes first, and the job's clone with its edit made. */
            function repos(edit: string, deployed: object, outputs: object) {
                const w = workspace(AT25, outputs);
                const origin = path.join(w.dir, "origin.git");
                git(w.dir, "init", "-q", "--bare", "-b", "main", origin);
                const seed = path.join(w.dir, "seed");
                git(w.dir, "clone", "-q", origin, seed);
                git(seed, "checkout", "-q", "-b", "main");
                fs.writeFileSync(path.join(seed, "Pulumi.prod.yaml"), FILE);
                fs.writeFileSync(path.join(seed, "README.md"), "readme\n");
                git(seed, "add", ".");
                git(seed, "commit", "-q", "-m", "seed");
                git(seed, "push", "-q", "origin", "main");
                const job = path.join(w.dir, "job");
                git(w.dir, "clone", "-q", origin, job);
                fs.mkdirSync(path.join(job, ".slotshift"));
                fs.writeFileSync(path.join(job, ".slotshift/deployed.json"), JSON.stringify(deployed));
                fs.writeFileSync(path.join(job, "Pulumi.prod.yaml"), edit);
                const other = (file: string, text: string, message: string) => {
                    fs.writeFileSync(path.join(seed, file), text);
                    git(seed, "commit", "-q", "-am", message);
                    git(seed, "push", "-q", "origin", "main");
                };
                const run = (extra: Record<string, string> = {}) =>
                    runScript(commitScript, job, w.env({ BRANCH: "main", APP_TOKEN: "ghs_notarealtoken", GIT_CONFIG_NOSYSTEM: "1", SLOTSHIFT_PUSH_BACKOFF_SECONDS: "0", ...extra }));
                const log = () => git(origin, "log", "--format=%s", "main").split("\n");
                const shown = () => git(origin, "show", "main:Pulumi.prod.yaml") + "\n";
                return { w, origin, job, other, run, log, shown };
            }
            const AT50_FILE = FILE.replace("weight: 25", "weight: 50");
            const AT0_FILE = FILE.replace("weight: 25", "weight: 0");

            it("commits the stack file with [skip ci] and pushes it, leaving no token in .git/config", () => {
                const g = repos(AT50_FILE, AT50, AT50);
                const r = g.run();
                expect(r.status, r.stdout + r.stderr).to.equal(0);
                expect(g.log()).to.deep.equal(["slotshift: prod next [skip ci]", "seed"]);
                expect(g.shown()).to.equal(AT50_FILE);
                expect(fs.readFileSync(path.join(g.job, ".git/config"), "utf8")).to.not.contain("ghs_notarealtoken");
            });

            it("does nothing when the file did not change", () => {
                const g = repos(FILE, AT25, AT25);
                const r = g.run();
                expect(r.status, r.stdout + r.stderr).to.equal(0);
                expect(r.stdout).to.contain("Pulumi.prod.yaml is unchanged: nothing to commit");
                expect(g.log()).to.deep.equal(["seed"]);
            });

            it("rebases onto a commit pushed meanwhile, and pushes on top of it", () => {
                const g = repos(AT50_FILE, AT50, AT50);
                g.other("README.md", "readme, edited\n", "docs");
                const r = g.run();
                expect(r.status, r.stdout + r.stderr).to.equal(0);
                expect(g.log()).to.deep.equal(["slotshift: prod next [skip ci]", "docs", "seed"]);
                expect(g.shown()).to.equal(AT50_FILE);
            });

            it("keeps its own file on a conflict while its update is still what is deployed (a step that landed first)", () => {
                // The job rolled back after a step to 50 % (whose commit is on main already).
                const g = repos(AT0_FILE, ROLLED_BACK, ROLLED_BACK);
                g.other("Pulumi.prod.yaml", AT50_FILE, "slotshift: prod next [skip ci]");
                const r = g.run({ COMMAND: "rollback" });
                expect(r.status, r.stdout + r.stderr).to.equal(0);
                expect(r.stdout).to.match(/::warning::Pulumi\.prod\.yaml conflicts with [0-9a-f]+ \(slotshift: prod next \[skip ci\]\) on main; this job's update is still what is deployed, so its file wins/);
                expect(g.shown()).to.equal(AT0_FILE);
                expect(g.log()).to.deep.equal(["slotshift: prod rollback [skip ci]", "slotshift: prod next [skip ci]", "seed"]);
            });

            it("steps aside on a conflict when a later update is deployed: that update's job commits its own file", () => {
                const g = repos(AT50_FILE, AT50, ROLLED_BACK);
                g.other("Pulumi.prod.yaml", AT0_FILE, "slotshift: prod rollback [skip ci]");
                const r = g.run();
                expect(r.status, r.stdout + r.stderr).to.equal(0);
                expect(r.stdout).to.contain("a later update of prod is deployed: its job commits its own file; this one is not pushed");
                expect(g.shown()).to.equal(AT0_FILE);
                expect(g.log()).to.deep.equal(["slotshift: prod rollback [skip ci]", "seed"]);
            });

            it("pushes nothing twice: the same edit already on main (two rollbacks at once) is dropped by the rebase", () => {
                const g = repos(AT0_FILE, ROLLED_BACK, ROLLED_BACK);
                g.other("Pulumi.prod.yaml", AT0_FILE, "slotshift: prod rollback [skip ci]");
                const r = g.run({ COMMAND: "rollback" });
                expect(r.status, r.stdout + r.stderr).to.equal(0);
                expect(g.log()).to.deep.equal(["slotshift: prod rollback [skip ci]", "seed"]);
            });

            it("tries a refused push again, a bounded number of times, and says what to check", () => {
                const g = repos(AT50_FILE, AT50, AT50);
                const count = path.join(g.w.dir, "pushes");
                // Refuses the first two pushes (as a rule would), then takes them.
                fs.writeFileSync(path.join(g.origin, "hooks/pre-receive"), `#!/bin/sh\nn=$(cat ${count} 2> /dev/null || echo 0); n=$((n + 1)); echo $n > ${count}\n[ $n -gt 2 ]\n`, { mode: 0o755 });
                const r = g.run();
                expect(r.status, r.stdout + r.stderr).to.equal(0);
                expect(fs.readFileSync(count, "utf8").trim()).to.equal("3");
                expect(g.log()[0]).to.equal("slotshift: prod next [skip ci]");
                // Refused every time: five attempts, then a failure that names the bypass.
                const h = repos(AT50_FILE, AT50, AT50);
                const count2 = path.join(h.w.dir, "pushes");
                fs.writeFileSync(path.join(h.origin, "hooks/pre-receive"), `#!/bin/sh\nn=$(cat ${count2} 2> /dev/null || echo 0); echo $((n + 1)) > ${count2}\nexit 1\n`, { mode: 0o755 });
                const refused = h.run();
                expect(refused.status).to.equal(1);
                expect(fs.readFileSync(count2, "utf8").trim()).to.equal("5");
                expect(refused.stdout).to.contain("::error::could not push Pulumi.prod.yaml to main in 5 attempts: is the GitHub App a bypass actor (Always) of the branch's rules?");
            });
        });

        describe("the gate: slotshift analyze after the smoke test; anything but a pass rolls the step back and fails the job", () => {
            type GateStep = Step & { if?: string; uses?: string; "timeout-minutes"?: number };
            const steps = step.jobs.step.steps as GateStep[];
            const at = (pred: (s: GateStep) => boolean) => steps.findIndex(pred);
            const analyzeAt = at((s) => s.id === "analyze");
            const rollbackAt = at((s) => s.id === "gate-rollback");
            const deploy = load("deploy.yml");
            const rollbackWf = load("rollback.yml");
            /** A stand-in for npx: records `slotshift ...` with the credential variables, exits $FAKE_NPX_EXIT; `rollback` sets the weight to 0. */
            const FAKE_NPX = `#!/bin/sh
[ "$1" = slotshift ] && shift
printf '%s | %s %s %s %s | %s\\n' "$*" "\${AZURE_TOKEN_CREDENTIALS:-}" "\${AZURE_FEDERATED_TOKEN_FILE:+token-file}" "\${AZURE_CLIENT_ID:-no-client}" "\${AZURE_TENANT_ID:-no-tenant}" "$(if [ -e newer-code.txt ]; then echo newer-code; else echo deployed-code; fi)" >> "$NPX_CALLS"
if [ "$1" = rollback ]; then sed -i 's/weight: 25/weight: 0/' "Pulumi.$STACK.yaml"; exit 0; fi
exit "\${FAKE_NPX_EXIT:-0}"
`;
            const FAKE_CURL = `#!/bin/sh\nif [ -n "$FAKE_CURL_FAILS" ]; then echo "curl: (22) 403" >&2; exit 22; fi\necho '{"count":1,"value":"oidc-token-for-the-exchange"}'\n`;
            function gateWorkspace() {
                const w = workspace(AT25);
                const bin = path.dirname(w.env({}).FAKE_OUTPUTS);
                fs.writeFileSync(path.join(bin, "npx"), FAKE_NPX, { mode: 0o755 });
                fs.writeFileSync(path.join(bin, "curl"), FAKE_CURL, { mode: 0o755 });
                const npx = () => (fs.existsSync(path.join(w.dir, "npx-calls")) ? fs.readFileSync(path.join(w.dir, "npx-calls"), "utf8").trim().split("\n") : []);
                const env = (extra: Record<string, string>) =>
                    w.env({ NPX_CALLS: path.join(w.dir, "npx-calls"), RUNNER_TEMP: w.dir, ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.example/?x=1", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "req", ARM_CLIENT_ID: "app-client-id", ARM_TENANT_ID: "app-tenant-id", GITHUB_STEP_SUMMARY: path.join(w.dir, "summary"), ...extra });
                return { ...w, npx, env };
            }

            it("runs after the smoke test, only in steps that move traffic, with each step's verdict handed to the next", () => {
                expect(analyzeAt).to.equal(at((s) => s.name === "Smoke test") + 1);
                expect(rollbackAt).to.equal(analyzeAt + 1);
                // Then only Notify, which runs always(): a failed gate is said too.
                expect(rollbackAt).to.equal(steps.length - 2);
                expect(steps[steps.length - 1].name).to.equal("Notify");
                const gated = Object.entries(deploy.jobs).filter(([, j]) => j.with?.analyze === true).map(([n]) => n);
                expect(gated).to.deep.equal(["staging-switch", "prod-canary-5", "prod-canary-25", "prod-canary-50", "prod-canary-100"]);
                for (const [name, j] of Object.entries(deploy.jobs)) {
                    if (j.uses === "./.github/workflows/step.yml" && ["next", "finalize"].includes(String(j.with?.command)) && needs(j).length === 1 && deploy.jobs[needs(j)[0]].with?.analyze === true) {
                        expect(j.with?.analysis, name).to.equal(`\${{ needs.${needs(j)[0]}.outputs.analysis }}`);
                    }
                }
                for (const [name, j] of Object.entries(rollbackWf.jobs)) {
                    expect(j.with, name).to.not.have.property("analyze");
                }
                const ctx = (analyze: boolean, passed: string | undefined, up = "success") => ({ inputs: { analyze, alert: false }, steps: { up: { outcome: up }, analyze: { outputs: passed === undefined ? {} : { passed } } } });
                expect(truthy(evaluate(steps[analyzeAt].if!, ctx(true, undefined)))).to.equal(true);
                expect(truthy(evaluate(steps[analyzeAt].if!, ctx(false, undefined)))).to.equal(false);
                expect(truthy(evaluate(steps[rollbackAt].if!, ctx(true, "true")))).to.equal(false);
                expect(truthy(evaluate(steps[rollbackAt].if!, ctx(true, "false")))).to.equal(true);
                expect(truthy(evaluate(steps[rollbackAt].if!, ctx(false, "false")))).to.equal(false);
                // Deployed, and the gate never ran (a failed smoke test or commit, a cut watch, a cancel): rolled back.
                expect(steps[rollbackAt].if!).to.match(/^\$\{\{ always\(\) && /);
                expect(truthy(evaluate(steps[rollbackAt].if!, ctx(true, undefined)))).to.equal(true);
                // Nothing deployed: nothing to roll back.
                expect(truthy(evaluate(steps[rollbackAt].if!, ctx(true, undefined, "failure")))).to.equal(false);
                expect(steps[analyzeAt]["timeout-minutes"]).to.equal(40);
                // The previous step's verdict is written where next and finalize look for it.
                const edit = steps.find((s) => s.run?.includes('npx slotshift "${args[@]}"'))!;
                expect(edit.env).to.include({ ANALYSIS: "${{ inputs.analysis }}" });
                expect(edit.run).to.contain('printf \'%s\\n\' "$ANALYSIS" > ".slotshift/analysis/$STACK.json"');
            });

            describe("run as GitHub runs them", () => {
                before(function () {
                    if (!hasJq || !hasGit) {
                        this.skip();
                    }
                });

                it("watches until the hold with a fresh workload identity token and the job's app and tenant (what @azure/identity's WorkloadIdentityCredential reads), and says it passed", () => {
                    const w = gateWorkspace();
                    const r = runScript(steps[analyzeAt].run!, w.dir, w.env({}));
                    expect(r.status, r.stdout + r.stderr).to.equal(0);
                    expect(w.output()).to.equal("exit=0\npassed=true\n");
                    expect(w.npx()).to.deep.equal(["analyze --stack prod --previous .slotshift/gate.json --watch --until hold | WorkloadIdentityCredential token-file app-client-id app-tenant-id | deployed-code"]);
                    expect(fs.readFileSync(path.join(w.dir, "slotshift-analysis-oidc"), "utf8").trim()).to.equal("oidc-token-for-the-exchange");
                    expect(r.stdout + r.stderr).not.to.contain("oidc-token-for-the-exchange");
                });

                it("succeeds itself on a fail, an inconclusive end, an error, or no analysis at all, and says it did not pass", () => {
                    for (const code of ["5", "6", "7", "2"]) {
                        const w = gateWorkspace();
                        const r = runScript(steps[analyzeAt].run!, w.dir, w.env({ FAKE_NPX_EXIT: code }));
                        expect(r.status, code).to.equal(0);
                        expect(w.output(), code).to.equal(`exit=${code}\npassed=false\n`);
                        expect(r.stdout).to.contain(`::error::the analysis of prod's step did not pass (exit ${code}): rolling it back`);
                    }
                    const noToken = gateWorkspace();
                    const r = runScript(steps[analyzeAt].run!, noToken.dir, noToken.env({ FAKE_CURL_FAILS: "1" }));
                    expect(r.status).to.equal(0);
                    expect(noToken.output()).to.match(/^exit=[1-9][0-9]*\npassed=false\n$/);
                    expect(noToken.npx()).to.deep.equal([]);
                });

                /**
                 * A job's checkout as the gate finds it: the step deployed from commit `deployed` (the stack
                 * file at weight 25 saved beside it), then the commit step rebased it onto a newer commit of
                 * main that adds newer-code.txt, and pushed.
                 */
                function jobRepo(w: ReturnType<typeof gateWorkspace>) {
                    const git = (cwd: string, ...args: string[]) => {
                        const r = spawnSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, HOME: cwd, GIT_CONFIG_NOSYSTEM: "1", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" } });
                        expect(r.status, `git ${args.join(" ")}: ${r.stderr}`).to.equal(0);
                        return r.stdout.trim();
                    };
                    const origin = path.join(w.dir, "origin.git");
                    git(w.dir, "init", "-q", "--bare", "-b", "main", origin);
                    const job = path.join(w.dir, "job");
                    git(w.dir, "clone", "-q", origin, job);
                    git(job, "checkout", "-q", "-b", "main");
                    fs.writeFileSync(path.join(job, "Pulumi.prod.yaml"), "config:\n  slotshift:rollout:\n    weight: 5\n");
                    git(job, "add", ".");
                    git(job, "commit", "-q", "-m", "release");
                    git(job, "push", "-q", "origin", "main");
                    const deployed = git(job, "rev-parse", "HEAD");
                    // Merged meanwhile by someone else: newer code the job never ran.
                    const other = path.join(w.dir, "other");
                    git(w.dir, "clone", "-q", origin, other);
                    fs.writeFileSync(path.join(other, "newer-code.txt"), "x\n");
                    git(other, "add", ".");
                    git(other, "commit", "-q", "-m", "newer code");
                    git(other, "push", "-q", "origin", "main");
                    // The step's edit, deployed from `deployed`, then committed and rebased by the commit step.
                    fs.writeFileSync(path.join(job, "Pulumi.prod.yaml"), "config:\n  slotshift:rollout:\n    weight: 25\n");
                    fs.mkdirSync(path.join(job, ".slotshift"));
                    fs.copyFileSync(path.join(job, "Pulumi.prod.yaml"), path.join(job, ".slotshift/deployed-stack.yaml"));
                    git(job, "commit", "-q", "-am", "slotshift: prod next [skip ci]");
                    git(job, "pull", "-q", "--rebase", "origin", "main");
                    git(job, "push", "-q", "origin", "HEAD:main");
                    expect(fs.existsSync(path.join(job, "newer-code.txt"))).to.equal(true);
                    return { git, origin, job, deployed };
                }

                it("rolls back from the code that was deployed, routing only, after waiting for the lock; commits the file on the branch; fails the job with the verdict in the summary", () => {
                    const w = gateWorkspace();
                    const { git, origin, job, deployed } = jobRepo(w);
                    fs.writeFileSync(path.join(job, ".slotshift/gate.json"), "{}");
                    const r = runScript(steps[rollbackAt].run!, job, w.env({ NPX_CALLS: path.join(w.dir, "npx-calls"), BRANCH: "main", APP_TOKEN: "ghs_notarealtoken", GATE_EXIT: "5", FAKE_LOCKED: "1", GIT_CONFIG_NOSYSTEM: "1", DEPLOYED_SHA: deployed }));
                    expect(r.status, r.stdout + r.stderr).to.equal(1);
                    // slotshift rollback ran in the deployed commit's tree, without the newer code.
                    expect(w.npx()).to.deep.equal(["rollback --stack prod --previous .slotshift/gate.json |   no-client no-tenant | deployed-code"]);
                    expect(ups(w.calls())).to.have.length(2);
                    expect(w.calls().filter((c) => !c.startsWith("up "))).to.deep.equal([]);
                    expect(git(origin, "log", "--format=%s", "main").split("\n")).to.deep.equal([
                        "slotshift: prod rollback, the step's analysis did not pass [skip ci]",
                        "slotshift: prod next [skip ci]",
                        "newer code",
                        "release",
                    ]);
                    expect(git(origin, "show", "main:Pulumi.prod.yaml")).to.contain("weight: 0");
                    // The rollback's commit changes the stack file alone: the newer code stays on main.
                    expect(git(origin, "show", "--name-only", "--format=", "main")).to.equal("Pulumi.prod.yaml");
                    expect(git(origin, "show", "main:newer-code.txt")).to.equal("x");
                    expect(fs.readFileSync(path.join(job, ".git/config"), "utf8")).to.not.contain("ghs_notarealtoken");
                    expect(r.stdout).to.contain("::error::prod rolled back: the step's analysis did not pass (exit 5); the release stops here");
                    expect(fs.readFileSync(path.join(w.dir, "summary"), "utf8")).to.equal("slotshift step: prod rolled back: its analysis did not pass (exit 5)\n");
                });

                it("rolls back from the stack file as deployed when the gate never read the outputs", () => {
                    const w = gateWorkspace();
                    const { job, deployed } = jobRepo(w);
                    const r = runScript(steps[rollbackAt].run!, job, w.env({ NPX_CALLS: path.join(w.dir, "npx-calls"), BRANCH: "main", APP_TOKEN: "ghs_notarealtoken", GATE_EXIT: "none", GIT_CONFIG_NOSYSTEM: "1", DEPLOYED_SHA: deployed }));
                    expect(r.status).to.equal(1);
                    expect(w.npx()).to.deep.equal(["rollback --stack prod |   no-client no-tenant | deployed-code"]);
                    expect(ups(w.calls())).to.have.length(1);
                });

                it("fails the job, saying the step is not rolled back, when the rollback's update fails", () => {
                    const w = gateWorkspace();
                    const { job, deployed } = jobRepo(w);
                    const r = runScript(steps[rollbackAt].run!, job, w.env({ NPX_CALLS: path.join(w.dir, "npx-calls"), GATE_EXIT: "6", FAKE_UP_FAILS: "1", DEPLOYED_SHA: deployed }));
                    expect(r.status).to.equal(1);
                    expect(ups(w.calls())).to.have.length(1);
                    expect(r.stdout).to.contain("::error::pulumi up of the rollback failed: prod's step is NOT rolled back; roll it back by hand (Actions, rollback)");
                    expect(r.stdout).not.to.contain("prod rolled back");
                });
            });
        });
    });

    describe("secrets", () => {
        it("never prints a secret: secrets reach steps only through env and with", () => {
            const texts = [...files.map((f) => fs.readFileSync(path.join(WORKFLOWS, f), "utf8")), fs.readFileSync(path.join(ROOT, ".github/actions/setup/action.yml"), "utf8")];
            for (const text of texts) {
                const doc = parse(text) as { jobs?: Record<string, Job>; runs?: { steps: { run?: string }[] } };
                const runs = [...Object.values(doc.jobs ?? {}).flatMap((j) => j.steps ?? []), ...(doc.runs?.steps ?? [])].map((s) => s.run ?? "");
                // The scripts the steps run from the checkout are held to the same.
                const scripts = path.join(ROOT, ".github/scripts");
                runs.push(...fs.readdirSync(scripts).map((f) => fs.readFileSync(path.join(scripts, f), "utf8")));
                for (const run of runs) {
                    expect(run).not.to.match(/\$\{\{\s*secrets\./);
                    expect(run).not.to.match(/echo .*(TOKEN|PASSWORD|SECRET)/i);
                    expect(run).not.to.match(/set -x/);
                }
            }
        });

        it("signs in to Azure with OIDC: no stored keys, no client secret", () => {
            const all = files.map((f) => fs.readFileSync(path.join(WORKFLOWS, f), "utf8")).join("\n") + fs.readFileSync(path.join(ROOT, ".github/actions/setup/action.yml"), "utf8");
            expect(all).not.to.match(/client-secret|ARM_CLIENT_SECRET|AZURE_CREDENTIALS/);
            expect(all).to.contain("ARM_USE_OIDC");
            expect(all).to.contain("id-token: write");
        });

        it("pins every remote action to a full commit SHA, its release in a comment: owner/repo@<40 hex> # vX.Y.Z", () => {
            const remote = allUses().filter((u) => !u.uses.startsWith("./"));
            expect(remote.length).to.be.greaterThan(10);
            for (const u of remote) {
                const what = `${u.file}: uses: ${u.uses} ${u.comment}`;
                expect(u.uses, what).to.match(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$/);
                expect(u.comment, what).to.match(/^# v\d+\.\d+(\.\d+)?$/);
            }
        });

        it("pins each action to the commit of the release its comment names, the same everywhere", () => {
            const seen = new Set<string>();
            for (const u of allUses().filter((x) => !x.uses.startsWith("./"))) {
                const [action, sha] = u.uses.split("@");
                const what = `${u.file}: ${u.uses} ${u.comment}`;
                expect(PINS, what).to.have.property(action);
                expect(sha, what).to.equal(PINS[action].sha);
                expect(u.comment, what).to.equal(`# ${PINS[action].tag}`);
                seen.add(action);
            }
            expect([...seen].sort()).to.deep.equal(Object.keys(PINS).sort());
            // setup-node before 4.2.0 uses the old cache service.
            const [major, minor] = PINS["actions/setup-node"].tag.slice(1).split(".").map(Number);
            expect(major === 4 && minor >= 2, PINS["actions/setup-node"].tag).to.equal(true);
        });
    });

    describe("CODEOWNERS", () => {
        it("names owners for everything, and release managers for prod's stack file and the rules", () => {
            const text = fs.readFileSync(path.join(ROOT, ".github/CODEOWNERS"), "utf8");
            expect(text).to.match(/^\*\s+@/m);
            expect(text).to.match(/^Pulumi\.prod\.yaml\s+.*release-managers/m);
            expect(text).to.match(/^rollout\/\s+.*release-managers/m);
        });
    });

    describe("releasing slotshift", () => {
        const LOG = "# Changelog\n\n## [Unreleased]\n\n### Added\n- The thing.\n\n## [0.1.0] - 2026-11-01\n\n### Added\n- The first.\n";

        it("moves Unreleased under the new version with its date", () => {
            expect(releaseChangelog(LOG, "0.2.0", "2026-11-26")).to.equal(
                "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-11-26\n\n### Added\n- The thing.\n\n## [0.1.0] - 2026-11-01\n\n### Added\n- The first.\n",
            );
        });

        it("refuses a release with nothing under Unreleased, or one already there", () => {
            const released = releaseChangelog(LOG, "0.2.0", "2026-11-26");
            expect(() => releaseChangelog(released, "0.3.0", "2026-11-27")).to.throw(/nothing under '## \[Unreleased\]'/);
            expect(() => releaseChangelog(LOG, "0.1.0", "2026-11-27")).to.throw(/already has a section for 0\.1\.0/);
        });

        it("sets package.json's version and keeps every other byte", () => {
            const pkg = '{\n  "name": "slotshift",\n  "version": "0.1.0",\n  "private": true\n}\n';
            expect(bumpPackage(pkg, "0.2.0")).to.equal(pkg.replace("0.1.0", "0.2.0"));
        });

        it("edits the project's files with npm run release -- <version> --no-git, and refuses an older version", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-release-"));
            fs.copyFileSync(path.join(ROOT, "package.json"), path.join(dir, "package.json"));
            fs.copyFileSync(path.join(ROOT, "CHANGELOG.md"), path.join(dir, "CHANGELOG.md"));
            const current = (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version;
            expect(release(["0.0.1", "--no-git"], dir)).to.equal(1);
            const [major, minor] = current.split(".").map(Number);
            const next = `${major}.${minor + 1}.0`;
            expect(release([next, "--no-git", "--date", "2026-11-26"], dir)).to.equal(0);
            expect(fs.readFileSync(path.join(dir, "CHANGELOG.md"), "utf8")).to.contain(`## [Unreleased]\n\n## [${next}] - 2026-11-26\n`);
            expect((JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string }).version).to.equal(next);
        });
    });
});

describe("how pulumi up starts the program", function () {
    this.timeout(120000);

    it("compiles with tsconfig.pulumi.json: no type check (Pulumi reads noCheck), SWC, and the project's settings", async () => {
        const { parse: parseYaml } = await import("yaml");
        const project = parseYaml(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: { typescript: boolean; tsconfig: string } } };
        expect(project.runtime.options).to.deep.equal({ typescript: true, tsconfig: "tsconfig.pulumi.json" });
        const ts = await import("typescript");
        const read = (f: string) => ts.parseConfigFileTextToJson(f, fs.readFileSync(path.join(ROOT, f), "utf8")).config as { extends?: string; compilerOptions: Record<string, unknown>; "ts-node"?: Record<string, unknown> };
        const pulumiConfig = read("tsconfig.pulumi.json");
        expect(pulumiConfig.extends).to.equal("./tsconfig.json");
        expect(pulumiConfig.compilerOptions.noCheck).to.equal(true);
        expect(pulumiConfig["ts-node"]).to.deep.equal({ swc: true });
        // The type check itself stays on where npm test runs it.
        const main = read("tsconfig.json");
        expect(main.compilerOptions.strict).to.equal(true);
        expect(main.compilerOptions.noCheck).to.equal(undefined);
    });

    it("loads without doing anything until Pulumi runs it, and takes the Azure and Kubernetes SDKs by module", () => {
        const script = `
            const path = require("path");
            require("ts-node").register({ project: ${JSON.stringify(path.join(ROOT, "tsconfig.pulumi.json"))}, transpileOnly: true });
            const pulumi = require("@pulumi/pulumi");
            let calls = 0;
            pulumi.runtime.setMocks({ newResource(a) { calls++; return { id: a.name, state: a.inputs }; }, call() { calls++; return {}; } }, "slotshift", "prod", false);
            const formatter = Error.prepareStackTrace;
            const program = require(${JSON.stringify(path.join(ROOT, "index.ts"))});
            const roots = Object.keys(require.cache).filter((f) => /node_modules\\/@pulumi\\/(azure-native|kubernetes|docker)\\/index\\.js$/.test(f));
            process.stdout.write(JSON.stringify({ calls, program: typeof program, formatterKept: Error.prepareStackTrace === formatter, roots }));
        `;
        const r = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" });
        expect(r.status, r.stderr).to.equal(0);
        const out = JSON.parse(r.stdout) as { calls: number; program: string; formatterKept: boolean; roots: string[] };
        expect(out.program, "the program is a function Pulumi calls").to.equal("function");
        expect(out.calls, "registrations and calls while loading").to.equal(0);
        expect(out.formatterKept, "the stack formatter is installed when the program runs, not when it loads").to.equal(true);
        // @pulumi/docker has no per-module entry points; its root is small. The other two are not.
        expect(out.roots.filter((f) => !f.includes("@pulumi/docker/")), "root packages loaded").to.deep.equal([]);
    });

    it("starts the prod program and its floor cold that way (the bench's harness), and both register the same", async () => {
        const { plan } = await import("../cli/engine");
        const { readStackConfig } = await import("../cli/stackFile");
        const staging = await plan({ stack: "staging", root: ROOT, resolveReferences: true });
        const prod = await plan({ stack: "prod", root: ROOT, references: { staging: staging.outputs } });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-floor-"));
        const replay = path.join(dir, "registrations.json");
        fs.writeFileSync(replay, JSON.stringify({ resources: prod.resources, outputs: prod.outputs }));
        const cfg = readStackConfig(ROOT, "prod");
        const cold = (program: string) => {
            const r = spawnSync(process.execPath, [path.join(ROOT, "bench/child.js"), program, "transpile"], {
                encoding: "utf8",
                env: {
                    ...process.env,
                    PULUMI_CONFIG: JSON.stringify(cfg.config),
                    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(cfg.secretKeys),
                    BENCH_STACK: "prod",
                    BENCH_REFERENCES: JSON.stringify({ staging: staging.outputs }),
                    BENCH_REPLAY: replay,
                },
            });
            expect(r.status, r.stderr).to.equal(0);
            const out = JSON.parse(r.stdout.trim()) as { error: string | null; done: number; loaded: number; registrations: number };
            expect(out.error, program).to.equal(null);
            expect(out.done).to.be.greaterThan(out.loaded);
            return out.registrations;
        };
        try {
            const program = cold(ROOT);
            // The plan's resources, the stack itself and the two stack references the program reads.
            expect(program).to.equal(prod.resources.length + 3);
            expect(cold(path.join(ROOT, "bench/replay")), "the floor's registrations").to.equal(program);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
