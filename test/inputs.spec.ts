/**
 * Every bad input, one line: the files `--previous` and `--reference` read, the stacks
 * `--reference` names, `--now`, values too long to echo, numbers JSON cannot hold, and secrets
 * inside wrongly typed parents. Each refusal is one line of stderr naming the option (or key)
 * and what is allowed, with no stack trace, no byte of a file and no secret.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MAX_JSON_BYTES, checkReferences, checkRolloutOutput, parseNow, readStackOutputs } from "../cli/inputs";
import { main as planMain } from "../cli/plan";
import { readStackConfig } from "../cli/stackFile";
import { RawConfig, parseStackConfig } from "../rollout/config";
import { ConfigError, SECRET_MARK, showValue } from "../rollout/errors";

const ROOT = path.resolve(__dirname, "..");
const NOW = "2026-01-01T00:10:00Z";
const SECRET = "SECRETSECRET";
const STACK_TRACE = /\n\s+at /;

type Rollout = Record<string, unknown>;

describe("inputs: every bad input, one line", function () {
    this.timeout(120000);

    let dir = "";
    let outputs: Record<string, unknown> = {};
    let fifo: string | undefined;

    /** Runs the plan command in the temp project. */
    const plan = async (args: readonly string[]) => {
        let stdout = "";
        let stderr = "";
        const cwd = process.cwd();
        process.chdir(dir);
        try {
            const code = await planMain(args, { write: (s: string) => (stdout += s) }, { write: (s: string) => (stderr += s) });
            return { code, stdout, stderr };
        } finally {
            process.chdir(cwd);
        }
    };

    /** Writes a file of outputs whose rollout output is the one planned, edited. */
    const withRollout = (name: string, edit: (r: Rollout) => void): string => {
        const doc = JSON.parse(JSON.stringify(outputs)) as { rollout: Rollout };
        edit(doc.rollout);
        fs.writeFileSync(path.join(dir, name), JSON.stringify(doc, null, 2));
        return name;
    };

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-inputs-"));
        fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        fs.symlinkSync(path.join(ROOT, "index.ts"), path.join(dir, "index.ts"));
        for (const f of fs.readdirSync(ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f))) {
            fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
        }
        const r = await plan(["--stack", "prod", "--json", "--now", "2026-01-01T00:00:00Z"]);
        expect(r.code, r.stderr).to.equal(0);
        outputs = (JSON.parse(r.stdout) as { outputs: Record<string, unknown> }).outputs;
        expect(outputs.rollout, "the plan's rollout output").to.be.an("object");

        fs.writeFileSync(path.join(dir, "good.json"), JSON.stringify(outputs));
        const staging = await plan(["--stack", "staging", "--json", "--now", "2026-01-01T00:00:00Z"]);
        expect(staging.code, staging.stderr).to.equal(0);
        fs.writeFileSync(path.join(dir, "staging.json"), JSON.stringify((JSON.parse(staging.stdout) as { outputs: unknown }).outputs));
        fs.writeFileSync(path.join(dir, "not-json.txt"), `token=${SECRET}\nhttps://hooks.example/${SECRET}\n`);
        fs.writeFileSync(path.join(dir, "bad-middle.json"), `{\n  "rollout": {\n    "live": ${SECRET}\n  }\n}\n`);
        fs.writeFileSync(path.join(dir, "cut.json"), `{"rollout": {"live": "${SECRET}`);
        fs.writeFileSync(path.join(dir, "empty.json"), "  \n");
        fs.writeFileSync(path.join(dir, "list.json"), `["${SECRET}"]`);
        fs.writeFileSync(path.join(dir, "string.json"), `"${SECRET}"`);
        fs.writeFileSync(path.join(dir, "deep.json"), `{"x": ${"[".repeat(100)}${"]".repeat(100)}}`);
        fs.writeFileSync(path.join(dir, "utf16.json"), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(outputs), "utf16le")]));
        fs.writeFileSync(path.join(dir, "latin1.json"), Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]));
        fs.writeFileSync(path.join(dir, "big.json"), `{"pad": "${"x".repeat(MAX_JSON_BYTES)}"}`);
        fs.writeFileSync(path.join(dir, "plan-bad-outputs.json"), JSON.stringify({ resources: [], outputs: [SECRET] }));
        fs.mkdirSync(path.join(dir, "a-directory"));
        withRollout("weights-120.json", (r) => (r.weights = { blue: 60, green: 60 }));
        withRollout("weights-both-100.json", (r) => (r.weights = { blue: 100, green: 100 }));
        withRollout("candidate-live.json", (r) => (r.candidate = "blue"));
        withRollout("candidate-null.json", (r) => (r.candidate = null));
        withRollout("steps-flat.json", (r) => (r.steps = [5, 25, 25, 100]));
        withRollout("steps-short.json", (r) => (r.steps = [5, 25, 50]));
        withRollout("step-wrong.json", (r) => {
            r.weights = { blue: 75, green: 25 };
            r.step = 3;
            r.phase = "shifting";
        });
        withRollout("phase-wrong.json", (r) => {
            r.weights = { blue: 75, green: 25 };
            r.step = 2;
            r.phase = "shifted";
        });
        withRollout("weight-off-steps.json", (r) => {
            r.weights = { blue: 70, green: 30 };
            r.step = 2;
            r.phase = "shifting";
        });
        withRollout("ts-word.json", (r) => (r.stepTakenAt = "yesterday"));
        withRollout("ts-feb30.json", (r) => (r.warmUntil = "2026-02-30T00:00:00Z"));
        withRollout("ts-next.json", (r) => (r.nextMoveAt = `soon ${SECRET.toLowerCase()}`));
        withRollout("ts-finalized.json", (r) => (r.finalizedAt = "2026-13-01T00:00:00Z"));
        withRollout("ts-traffic.json", (r) => (r.trafficSince = "1700000000"));
        withRollout("ts-future.json", (r) => (r.stepTakenAt = "2030-01-01T00:00:00.000Z"));
        withRollout("ts-skew.json", (r) => (r.stepTakenAt = "2026-01-01T00:14:00.000Z"));
        withRollout("shape-weight.json", (r) => (r.weights = { blue: 120, green: -20 }));
        withRollout("shape-live.json", (r) => (r.live = "red"));
        withRollout("inf-weight.json", () => undefined);
        fs.writeFileSync(path.join(dir, "inf-weight.json"), fs.readFileSync(path.join(dir, "inf-weight.json"), "utf8").replace(/"blue": 100/, '"blue": 1e999'));
        fs.writeFileSync(path.join(dir, "rollout-string.json"), JSON.stringify({ ...outputs, rollout: SECRET }));
        if (process.platform !== "win32" && spawnSync("mkfifo", [path.join(dir, "a-fifo")]).status === 0) {
            fifo = "a-fifo";
        }
    });

    after(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    const EXPECTED = "\\(expected what 'pulumi stack output --json --stack prod' writes\\); nothing written";
    const FILE_ANY = "allowed: a regular file of at most 4 MiB holding what 'pulumi stack output --json --stack prod' writes \\(save it to a file first\\); nothing written";
    const prev = (file: string, message: string) => ({ args: ["--previous", file], line: new RegExp(`^--previous ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}${message}$`) });

    /** args → the exact line after `slotshift plan: ` (exit 2 for all). */
    const table: { what: string; args: () => string[]; line: RegExp; needs?: () => boolean; echoesArgument?: boolean }[] = [
        // --now
        { what: "--now 1", args: () => ["--now", "1"], line: /^--now "1" is not an ISO 8601 UTC time; allowed: YYYY-MM-DDTHH:MM\[:SS\[\.fraction\]\]Z, e\.g\. 2026-11-26T14:00:00Z$/ },
        { what: "--now on February 30th", args: () => ["--now", "2026-02-30T10:00:00Z"], line: /^--now "2026-02-30T10:00:00Z" is not a real time \(2026-02 has 28 days\); allowed: .*e\.g\. 2026-11-26T14:00:00Z$/ },
        { what: "--now at 24:00", args: () => ["--now", "2026-01-01T24:00:00Z"], line: /^--now "2026-01-01T24:00:00Z" is not a real time \(hours run from 00 to 23\); allowed: / },
        { what: "--now with an offset", args: () => ["--now", "2026-01-01T10:00:00+01:00"], line: /^--now "2026-01-01T10:00:00\+01:00" is not an ISO 8601 UTC time; allowed: / },
        { what: "--now as a date only", args: () => ["--now", "2026-01-01"], line: /^--now "2026-01-01" is not an ISO 8601 UTC time; allowed: / },
        { what: "--now in words", args: () => ["--now", "tomorrow\nat noon"], line: /^--now "tomorrow\\u000aat noon" is not an ISO 8601 UTC time; allowed: / },
        // files that are not files of outputs
        { what: "a file that is not JSON", ...wrap(prev("not-json.txt", ` is not JSON at line 1, column \\d+ ${EXPECTED}`)) },
        { what: "JSON broken in the middle", ...wrap(prev("bad-middle.json", ` is not JSON at line 3, column \\d+ ${EXPECTED}`)) },
        { what: "JSON cut short", ...wrap(prev("cut.json", ` is not JSON(: it ends early| at line 1, column \\d+) ${EXPECTED}`)) },
        { what: "an empty file", ...wrap(prev("empty.json", ` is empty ${EXPECTED}`)) },
        { what: "a JSON list", ...wrap(prev("list.json", ` is JSON but a list, not an object of stack outputs ${EXPECTED}`)) },
        { what: "a JSON string", ...wrap(prev("string.json", ` is JSON but a string, not an object of stack outputs ${EXPECTED}`)) },
        { what: "JSON nested 100 deep", ...wrap(prev("deep.json", ` nests arrays and objects deeper than 64 levels ${EXPECTED}`)) },
        { what: "UTF-16 (PowerShell's >)", ...wrap(prev("utf16.json", ` is UTF-16 text; allowed: UTF-8 JSON, .*; nothing written`)) },
        { what: "Latin-1 bytes", ...wrap(prev("latin1.json", ` is not UTF-8 text ${EXPECTED}`)) },
        { what: "a file over 4 MiB", ...wrap(prev("big.json", ` is larger than 4 MiB; allowed: a file of at most 4 MiB holding .*; nothing written`)) },
        { what: "a plan whose outputs are a list", ...wrap(prev("plan-bad-outputs.json", ` is a plan document whose outputs are not an object .*; nothing written`)) },
        { what: "a missing file", ...wrap(prev("missing.json", `: cannot read it \\(there is no such file\\); allowed: a readable file holding .*; nothing written`)) },
        { what: "a directory", ...wrap(prev("a-directory", ` is a directory; ${FILE_ANY}`)) },
        { what: "/dev/zero", ...wrap(prev("/dev/zero", ` is a device; ${FILE_ANY}`)), needs: () => fs.existsSync("/dev/zero") },
        { what: "/dev/urandom", ...wrap(prev("/dev/urandom", ` is a device; ${FILE_ANY}`)), needs: () => fs.existsSync("/dev/urandom") },
        { what: "a FIFO with no writer", args: () => ["--previous", fifo!], line: new RegExp(`^--previous a-fifo is a pipe \\(FIFO\\); ${FILE_ANY}$`), needs: () => fifo !== undefined },
        {
            what: "/proc/self/environ (a regular file of size 0)",
            ...wrap(prev("/proc/self/environ", ` is not JSON( at line \\d+, column \\d+|: it ends early)? ${EXPECTED}`)),
            needs: () => fs.existsSync("/proc/self/environ"),
        },
        // the rollout output it holds
        { what: "weights summing to 120", ...wrap(prev("weights-120.json", ": rollout.weights sum to 120 \\(blue 60, green 60\\); allowed: they sum to 100")) },
        { what: "both slots at 100", ...wrap(prev("weights-both-100.json", ": rollout.weights sum to 200 \\(blue 100, green 100\\); allowed: they sum to 100")) },
        {
            what: "the candidate is live",
            ...wrap(prev("candidate-live.json", ": rollout.candidate is blue, the same slot as rollout.live; allowed: green \\(the slot that is not live\\), or null with strategy direct")),
        },
        {
            what: "no candidate with canary",
            ...wrap(prev("candidate-null.json", ": rollout.candidate is null with strategy canary; allowed: green \\(the slot that is not live\\); null only with strategy direct")),
        },
        { what: "steps that do not rise", ...wrap(prev("steps-flat.json", ": rollout.steps is \\[5,25,25,100\\]; allowed: whole percentages from 1 to 100 that rise strictly and end at 100, e.g. \\[5,25,50,100\\]")) },
        { what: "steps that stop short of 100", ...wrap(prev("steps-short.json", ": rollout.steps is \\[5,25,50\\]; allowed: .*end at 100.*")) },
        { what: "a step the weight is not", ...wrap(prev("step-wrong.json", ": rollout.step is 3 but rollout.weights.green is 25 \\(step 2 of \\[5,25,50,100\\]\\); allowed: 2")) },
        { what: "a phase the weight is not", ...wrap(prev("phase-wrong.json", ": rollout.phase is shifted but rollout.weights.green is 25; allowed: shifting")) },
        { what: "a weight that is no step", ...wrap(prev("weight-off-steps.json", ": rollout.weights.green is 30, not one of rollout.steps \\[5,25,50,100\\]; allowed: 0 or one of the steps")) },
        { what: "stepTakenAt in words", ...wrap(prev("ts-word.json", ': rollout.stepTakenAt is "yesterday"; allowed: an ISO 8601 time, e.g. 2026-11-26T14:00:00.000Z')) },
        { what: "warmUntil on February 30th", ...wrap(prev("ts-feb30.json", ': rollout.warmUntil is "2026-02-30T00:00:00Z"; allowed: an ISO 8601 time or null, e.g. 2026-11-26T14:00:00.000Z')) },
        { what: "nextMoveAt in words", ...wrap(prev("ts-next.json", ': rollout.nextMoveAt is "soon secretsecret"; allowed: an ISO 8601 time or null, .*')) },
        { what: "finalizedAt in month 13", ...wrap(prev("ts-finalized.json", ': rollout.finalizedAt is "2026-13-01T00:00:00Z"; allowed: an ISO 8601 time or null, .*')) },
        { what: "trafficSince as epoch seconds", ...wrap(prev("ts-traffic.json", ': rollout.trafficSince is "1700000000"; allowed: an ISO 8601 time or null, .*')) },
        {
            what: "stepTakenAt years after --now",
            ...wrap(prev("ts-future.json", ': rollout.stepTakenAt is "2030-01-01T00:00:00.000Z", more than 5 minutes after now \\(2026-01-01T00:10:00.000Z\\); allowed: a time no later than now .*')),
        },
        { what: "weights out of range", ...wrap(prev("shape-weight.json", ": rollout.weights.blue is 120; allowed: what slotshift writes there \\(.*\\)")) },
        { what: "a slot that is no colour", ...wrap(prev("shape-live.json", ': rollout.live is "red"; allowed: what slotshift writes there \\(.*\\)')) },
        { what: "a weight of 1e999", ...wrap(prev("inf-weight.json", ": rollout.weights.blue is Infinity; allowed: what slotshift writes there \\(.*\\)")) },
        { what: "a rollout output that is a string", ...wrap(prev("rollout-string.json", ": rollout is a string; allowed: what slotshift writes there \\(.*\\)")) },
        // --reference
        {
            what: "--reference to a stack prod does not promote from",
            args: () => ["--reference", "qa=good.json"],
            line: /^--reference qa: this stack promotes from staging \(slotshift:promotion\.from\), not from qa; allowed: --reference staging=FILE$/,
        },
        {
            what: "--reference org/project/qa",
            args: () => ["--reference", "acme/slotshift/qa=good.json"],
            line: /^--reference qa: this stack promotes from staging \(slotshift:promotion\.from\), not from qa; allowed: --reference staging=FILE$/,
        },
        {
            what: "--reference on a stack that promotes from none",
            args: () => ["--stack", "dev", "--reference", "staging=good.json"],
            line: /^--reference staging: this stack promotes from no stack \(slotshift:promotion\.from is not set\), so no reference is read; allowed: no --reference$/,
        },
        {
            what: "--reference staging=/dev/zero",
            args: () => ["--reference", "staging=/dev/zero"],
            line: /^--reference staging=\/dev\/zero is a device; allowed: a regular file of at most 4 MiB holding what 'pulumi stack output --json --stack staging' writes \(save it to a file first\); nothing written$/,
            needs: () => fs.existsSync("/dev/zero"),
        },
        { what: "--reference staging=FILE with bad weights", args: () => ["--reference", "staging=weights-120.json"], line: /^--reference staging=weights-120\.json: rollout\.weights sum to 120 \(blue 60, green 60\); allowed: they sum to 100$/ },
        {
            what: "--reference without =",
            args: () => ["--reference", `${SECRET}\n`],
            line: /^--reference "SECRETSECRET\\u000a": expected STACK=FILE, e\.g\. staging=staging-outputs\.json$/,
            echoesArgument: true,
        },
    ];

    function wrap(p: { args: string[]; line: RegExp }): { args: () => string[]; line: RegExp } {
        return { args: () => p.args, line: p.line };
    }

    for (const c of table) {
        it(`refuses ${c.what}: exit 2, one line, no stack trace, no file content`, async function () {
            if (c.needs !== undefined && !c.needs()) {
                this.skip();
            }
            const args = c.args();
            const withStack = args.includes("--stack") ? args : ["--stack", "prod", ...args];
            const r = await plan(args.includes("--now") ? withStack : [...withStack, "--now", NOW]);
            expect(r.code, r.stderr).to.equal(2);
            expect(r.stdout).to.equal("");
            expect(r.stderr).not.to.match(STACK_TRACE);
            expect(r.stderr.endsWith("\n"), "ends in a line break").to.equal(true);
            const lines = r.stderr.slice(0, -1).split("\n");
            expect(lines, r.stderr).to.have.length(1);
            expect(lines[0].startsWith("slotshift plan: "), lines[0]).to.equal(true);
            expect(lines[0].slice("slotshift plan: ".length)).to.match(c.line);
            expect(lines[0].length, "short").to.be.below(400);
            if (c.echoesArgument !== true) {
                expect(r.stderr).not.to.contain(SECRET);
            }
        });
    }

    it("accepts a good --previous, a plan document and stepTakenAt within 5 minutes of --now", async () => {
        fs.writeFileSync(path.join(dir, "plan-doc.json"), JSON.stringify({ stack: "prod", resources: [], outputs }));
        for (const file of ["good.json", "plan-doc.json", "ts-skew.json"]) {
            const r = await plan(["--stack", "prod", "--json", "--now", NOW, "--previous", file]);
            expect(r.code, `${file}: ${r.stderr}`).to.equal(0);
            expect(r.stderr).not.to.match(STACK_TRACE);
        }
    });

    it("accepts --reference staging=FILE on prod", async () => {
        const r = await plan(["--stack", "prod", "--json", "--now", NOW, "--reference", "staging=staging.json"]);
        expect(r.code, `${r.stderr}${r.stdout}`).to.equal(0);
    });

    describe("the functions", () => {
        it("parseNow: strict ISO 8601 UTC, real dates only", () => {
            const good: [string, string][] = [
                ["2026-11-26T14:00:00Z", "2026-11-26T14:00:00.000Z"],
                ["2026-11-26T14:00Z", "2026-11-26T14:00:00.000Z"],
                ["2024-02-29T23:59:59.1234567Z", "2024-02-29T23:59:59.123Z"],
            ];
            for (const [text, iso] of good) {
                expect(parseNow(text).toISOString(), text).to.equal(iso);
            }
            const bad: [string, RegExp][] = [
                ["1", /^--now "1" is not an ISO 8601 UTC time/],
                ["", /^--now "" is not an ISO 8601 UTC time/],
                ["2026-02-30T10:00:00Z", /\(2026-02 has 28 days\)/],
                ["2025-02-29T10:00:00Z", /\(2025-02 has 28 days\)/],
                ["2026-04-31T10:00:00Z", /\(2026-04 has 30 days\)/],
                ["2026-00-10T10:00:00Z", /\(there is no month 00\)/],
                ["2026-01-01T10:60:00Z", /\(minutes run from 00 to 59\)/],
                ["2026-01-01T10:00:60Z", /\(seconds run from 00 to 59\)/],
                ["1969-07-20T20:17:00Z", /\(1969 is before 1970\)/],
                ["2026-01-01t10:00:00z", /is not an ISO 8601 UTC time/],
                ["2026-01-01 10:00:00Z", /is not an ISO 8601 UTC time/],
                ["+002026-01-01T10:00:00Z", /is not an ISO 8601 UTC time/],
                ["x".repeat(10000), /^--at "x{40}\.\.\." is not an ISO 8601 UTC time/],
            ];
            for (const [text, message] of bad) {
                expect(() => parseNow(text, text.startsWith("x") ? "--at" : "--now"), text.slice(0, 40)).to.throw(message);
            }
        });

        it("checkReferences: only the stack promoted from", () => {
            expect(() => checkReferences("staging", { staging: {} })).not.to.throw();
            expect(() => checkReferences("org/project/staging", { staging: {} })).not.to.throw();
            expect(() => checkReferences(undefined, {})).not.to.throw();
            expect(() => checkReferences("staging", { qa: {} })).to.throw(/^--reference qa: this stack promotes from staging \(slotshift:promotion\.from\), not from qa; allowed: --reference staging=FILE$/);
            expect(() => checkReferences(undefined, { staging: {} }, "--ref")).to.throw(/^--ref staging: this stack promotes from no stack .*; allowed: no --ref$/);
            expect(() => checkReferences("staging", { [`${"q".repeat(500)}\n`]: {} })).to.throw(/^--reference "q{120}\.\.\.": /);
        });

        it("readStackOutputs names --reference STACK=FILE and the stack it expects", () => {
            const cwd = process.cwd();
            process.chdir(dir);
            try {
                expect(() => readStackOutputs("not-json.txt", { option: "--reference", stack: "staging" })).to.throw(
                    /^--reference staging=not-json\.txt is not JSON at line 1, column \d+ \(expected what 'pulumi stack output --json --stack staging' writes\); nothing written$/,
                );
                expect(() => readStackOutputs("not-json.txt")).to.throw(/^--previous not-json\.txt is not JSON at line 1, column \d+ \(expected what 'pulumi stack output --json' writes\); nothing written$/);
                expect(readStackOutputs("good.json", { now: new Date(NOW) })).to.deep.equal(outputs);
            } finally {
                process.chdir(cwd);
            }
        });

        it("checkRolloutOutput: none passes; a direct stack has no candidate", () => {
            expect(checkRolloutOutput(undefined, "--previous f", new Date(NOW))).to.equal(undefined);
            expect(checkRolloutOutput(null, "--previous f", new Date(NOW))).to.equal(undefined);
            const direct = { ...(outputs.rollout as Rollout), strategy: "direct", candidate: null, weights: { blue: 100, green: 0 }, step: 0, phase: "stable", nextStep: null };
            expect(checkRolloutOutput(direct, "--previous f", new Date(NOW))?.strategy).to.equal("direct");
            expect(() => checkRolloutOutput({ ...direct, weights: { blue: 70, green: 30 } }, "--previous f", new Date(NOW))).to.throw(
                /^--previous f: rollout\.weights\.green is 30 with no candidate; allowed: 0 \(live blue carries all traffic\)$/,
            );
            expect(() => checkRolloutOutput({ ...direct, phase: "staged" }, "--previous f", new Date(NOW))).to.throw(/^--previous f: rollout\.phase is staged but the strategy is direct; allowed: stable$/);
        });
    });

    describe("config refusals: short, and never a secret", () => {
        const base = (): Record<string, string> => ({ ...readStackConfig(ROOT, "prod").config });
        const family = (key: string): Record<string, unknown> => JSON.parse(base()[`slotshift:${key}`] ?? "{}") as Record<string, unknown>;
        const refusal = (raw: RawConfig, options = {}): ConfigError => {
            try {
                parseStackConfig(raw, "prod", options);
            } catch (e) {
                if (ConfigError.isInstance(e)) {
                    return e;
                }
                throw e;
            }
            throw new Error("accepted");
        };
        const hook = `https://hooks.example/${SECRET}`;
        const token = `ghp_${SECRET}abcdefghijkl`;

        /** Shapes of a wrongly typed value at or above a secret → the key the refusal names. */
        const shapes: [string, () => Record<string, string>, string][] = [
            ["alerts as the webhook URL", () => ({ "slotshift:alerts": hook }), "slotshift:alerts"],
            ["alerts as a list holding it", () => ({ "slotshift:alerts": JSON.stringify([hook]) }), "slotshift:alerts"],
            ["alerts as a list of an object holding it", () => ({ "slotshift:alerts": JSON.stringify([{ webhookUrl: hook }]) }), "slotshift:alerts"],
            ["alerts as broken JSON holding it", () => ({ "slotshift:alerts": `{"webhookUrl": "${hook}"` }), "slotshift:alerts"],
            ["alerts.webhookUrl as an object", () => ({ "slotshift:alerts": JSON.stringify({ ...family("alerts"), webhookUrl: { url: hook } }) }), "slotshift:alerts.webhookUrl"],
            ["alerts.webhookUrl as a list", () => ({ "slotshift:alerts": JSON.stringify({ ...family("alerts"), webhookUrl: [hook] }) }), "slotshift:alerts.webhookUrl"],
            ["alerts.webhookUrl as http", () => ({ "slotshift:alerts": JSON.stringify({ ...family("alerts"), webhookUrl: `http://hooks.example/${SECRET}` }) }), "slotshift:alerts.webhookUrl"],
            ["the webhook URL as a key of alerts", () => ({ "slotshift:alerts": JSON.stringify({ ...family("alerts"), [hook]: null }) }), "slotshift:alerts.[secret]"],
            ["app as a list holding the password", () => ({ "slotshift:app": JSON.stringify([{ registry: { password: SECRET } }]) }), "slotshift:app"],
            ["app as broken JSON holding it", () => ({ "slotshift:app": `{"registry": {"password": "${SECRET}"}` }), "slotshift:app"],
            ["app.registry as a string", () => ({ "slotshift:app": JSON.stringify({ ...family("app"), registry: `user:${SECRET}` }) }), "slotshift:app.registry"],
            ["app.registry as a list", () => ({ "slotshift:app": JSON.stringify({ ...family("app"), registry: [SECRET] }) }), "slotshift:app.registry"],
            ["app.registry.password as a number", () => ({ "slotshift:app": JSON.stringify({ ...family("app"), registry: { username: "u", password: 12345 } }) }), "slotshift:app.registry.password"],
            ["the password as a key of app.registry", () => ({ "slotshift:app": JSON.stringify({ ...family("app"), registry: { username: "u", password: "p", [SECRET]: 1 } }) }), "slotshift:app.registry.[secret]"],
            ["rollback as the token", () => ({ "slotshift:rollback": token }), "slotshift:rollback"],
            ["rollback as a list", () => ({ "slotshift:rollback": JSON.stringify([token]) }), "slotshift:rollback"],
            ["rollback.token as an object", () => ({ "slotshift:rollback": JSON.stringify({ repository: "acme/app", token: { t: token } }) }), "slotshift:rollback.token"],
            ["the token as a key of rollback", () => ({ "slotshift:rollback": JSON.stringify({ repository: "acme/app", token, [token]: 1 }) }), "slotshift:rollback.[secret]"],
        ];
        for (const [what, edit, key] of shapes) {
            for (const isSecret of [undefined, () => true, () => false]) {
                it(`${what} (${isSecret === undefined ? "no isSecret" : `isSecret ${String(isSecret())}`}): names ${key}, never the secret`, () => {
                    const e = refusal({ ...base(), ...edit() }, isSecret === undefined ? {} : { isSecret });
                    const all = [e.message, e.key, ...e.problems].join("\n");
                    expect(all).not.to.contain(SECRET);
                    expect(all).not.to.contain(SECRET.toLowerCase());
                    expect(e.problems.map((p) => p.split(" ")[0])).to.include(key);
                    if (!key.endsWith("[secret]")) {
                        expect(all).to.contain(`${key} is "${SECRET_MARK}"`);
                    }
                });
            }
        }

        it("keeps typo suggestions for plain keys beside a secret", () => {
            expect(refusal({ ...base(), "slotshift:alerts": JSON.stringify({ ...family("alerts"), webhookURL: "x" }) }).message).to.match(
                /^slotshift:alerts\.webhookURL is not a known key; did you mean slotshift:alerts\.webhookUrl\?/,
            );
            expect(refusal({ ...base(), "slotshift:rollback": JSON.stringify({ repository: "acme/app", tokne: "x" }) }).message).to.match(/slotshift:rollback\.tokne is not a known key; did you mean slotshift:rollback\.token\?/);
        });

        const long = "a".repeat(10000);
        const huge: [string, () => Record<string, string>][] = [
            ["a 10,000-character app.name", () => ({ "slotshift:app": JSON.stringify({ ...family("app"), name: long }) })],
            ["a 10,000-character unknown key", () => ({ "slotshift:rollout": JSON.stringify({ ...family("rollout"), [long]: 1 }) })],
            ["a 10,000-character top-level key", () => ({ [`slotshift:${long}`]: "x" })],
            ["300 unknown keys", () => ({ "slotshift:traffic": JSON.stringify({ ...family("traffic"), ...Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i])) }) })],
            ["a key with a line break", () => ({ "slotshift:rollout": JSON.stringify({ ...family("rollout"), "we\night": 1 }) })],
            ["a value with line breaks", () => ({ "slotshift:rollout": JSON.stringify({ ...family("rollout"), strategy: "canary\n\u2028x" }) })],
        ];
        for (const [what, edit] of huge) {
            it(`${what}: every line short, keys at most 120 characters`, () => {
                const e = refusal({ ...base(), ...edit() });
                expect(e.message.length, "message").to.be.below(9000);
                expect(e.message.split("\n").length).to.be.at.most(21);
                for (const line of e.message.split("\n")) {
                    expect(line.length, line.slice(0, 100)).to.be.at.most(410);
                }
                expect(e.key.length).to.be.at.most(120);
                for (const p of e.problems) {
                    expect(p).not.to.contain("\n");
                    expect(p).not.to.contain("\u2028");
                }
            });
        }

        it("a 10,000-character stack name makes no huge refusal", () => {
            let e: unknown;
            try {
                parseStackConfig({ ...base(), "slotshift:environment": "prod" }, long);
            } catch (x) {
                e = x;
            }
            expect(ConfigError.isInstance(e)).to.equal(true);
            expect((e as Error).message.length).to.be.below(9000);
        });

        it("shows numbers JSON cannot hold as they are, and refuses them", () => {
            expect(showValue(Infinity)).to.equal("Infinity");
            expect(showValue(-Infinity)).to.equal("-Infinity");
            expect(showValue(NaN)).to.equal("NaN");
            expect(showValue({ a: [Infinity, NaN] })).to.equal('{"a":[Infinity,NaN]}');
            expect(showValue("x".repeat(10000))).to.have.length(80);
            expect(showValue(Array.from({ length: 100000 }, () => "y"))).to.have.length(80);
            const alerts = JSON.stringify({ ...family("alerts"), errorRatePercent: 1 }).replace('"errorRatePercent":1', '"errorRatePercent":1e999');
            expect(refusal({ ...base(), "slotshift:alerts": alerts }).message).to.match(/^slotshift:alerts\.errorRatePercent is Infinity; allowed: a percentage/);
            const app = JSON.stringify({ ...family("app"), replicas: 3 }).replace('"replicas":3', '"replicas":-1e999');
            expect(refusal({ ...base(), "slotshift:app": app }).message).to.match(/^slotshift:app\.replicas is -Infinity; allowed: an integer from 1 to 50$/);
        });
    });
});
