/**
 * The CLI's bad-input corpus: each input a user tried, the exact line it gets on stderr and the
 * exit code. Every case also holds that nothing is written (every file of the project byte for
 * byte), no temporary or lock file is left, nothing goes to stdout, stderr is one line with no
 * stack trace, and no secret is echoed. The specs of the parts hold more cases each
 * (test/inputs.spec.ts: --previous, --reference, --now and config messages through the plan;
 * test/fileSafety.spec.ts: files that are not stack files, writes, locks, signals).
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT, runCli } from "./helpers";

/** What a case starts from: the real project, with these edits. */
interface Setup {
    /** A replacement of the prod stack file's text. */
    readonly prod?: (text: string) => string;
    /** Extra files in the project, by name: text, or "dir" for a directory. */
    readonly files?: Readonly<Record<string, string | Buffer>>;
}

interface Case {
    readonly what: string;
    readonly args: readonly string[];
    readonly setup?: Setup;
    readonly code: number;
    readonly line: RegExp;
}

const SECRET = "https://hooks.example/SECRETSECRET";
const rollout = (over: Record<string, unknown>) =>
    JSON.stringify({
        rollout: {
            strategy: "canary",
            live: "blue",
            candidate: "green",
            weights: { blue: 95, green: 5 },
            versions: { blue: "1.0.0", green: "1.1.0" },
            digests: { blue: null, green: null },
            replicas: { blue: 3, green: 3 },
            phase: "shifting",
            step: 1,
            nextStep: 25,
            steps: [5, 25, 50, 100],
            stepTakenAt: "2026-11-26T10:00:00.000Z",
            ...over,
        },
    });
const NOW = ["--now", "2026-11-26T12:00:00Z"];

const CASES: readonly Case[] = [
    // --now: strict ISO 8601 UTC.
    { what: "--now 1", args: ["next", "--stack", "prod", "--now", "1"], code: 2, line: /^slotshift: --now "1" is not an ISO 8601 UTC time; allowed: YYYY-MM-DDTHH:MM\[:SS\[\.fraction\]\]Z, e.g\. 2026-11-26T14:00:00Z$/ },
    { what: "--now on 30 February", args: ["next", "--stack", "prod", "--now", "2026-02-30T10:00:00Z"], code: 2, line: /^slotshift: --now "2026-02-30T10:00:00Z" is not a real time \(2026-02 has 28 days\)/ },
    { what: "--now with an offset", args: ["status", "--stack", "prod", "--now", "2026-11-26T12:00:00+01:00"], code: 2, line: /^slotshift: --now "2026-11-26T12:00:00\+01:00" is not an ISO 8601 UTC time/ },
    { what: "should-rollback --now 1", args: ["should-rollback", "--stack", "prod", "--slot", "green", "--now", "1"], code: 2, line: /^slotshift: --now "1" is not an ISO 8601 UTC time/ },
    // --previous: bounded, never echoed, a rollout state that can be.
    {
        what: "a --previous that is not JSON (its text never echoed)",
        args: ["next", "--stack", "prod", "--previous", "prev.txt"],
        setup: { files: { "prev.txt": `password=${SECRET}\n` } },
        code: 2,
        line: /^slotshift: --previous prev\.txt is not JSON at line 1, column \d+ \(expected what 'pulumi stack output --json --stack prod' writes\); nothing written$/,
    },
    { what: "an endless --previous (/dev/zero)", args: ["status", "--stack", "prod", "--previous", "/dev/zero"], code: 2, line: /^slotshift: --previous \/dev\/zero is a device; allowed: a regular file of at most 4 MiB holding what 'pulumi stack output --json --stack prod' writes \(save it to a file first\); nothing written$/ },
    { what: "a --previous that is a directory", args: ["next", "--stack", "prod", "--previous", "outs"], setup: { files: { outs: "dir" } }, code: 2, line: /^slotshift: --previous outs is a directory/ },
    {
        what: "a --previous whose weights sum to 120",
        args: ["next", "--stack", "prod", "--previous", "prev.json", ...NOW],
        setup: { files: { "prev.json": rollout({ weights: { blue: 60, green: 60 } }) } },
        code: 2,
        line: /^slotshift: --previous prev\.json: rollout\.weights sum to 120 \(blue 60, green 60\); allowed: they sum to 100$/,
    },
    {
        what: "a --previous with both slots at 100",
        args: ["next", "--stack", "prod", "--previous", "prev.json", ...NOW],
        setup: { files: { "prev.json": rollout({ weights: { blue: 100, green: 100 } }) } },
        code: 2,
        line: /^slotshift: --previous prev\.json: rollout\.weights sum to 200/,
    },
    {
        what: "a --previous whose candidate is live",
        args: ["next", "--stack", "prod", "--previous", "prev.json", ...NOW],
        setup: { files: { "prev.json": rollout({ candidate: "blue" }) } },
        code: 2,
        line: /^slotshift: --previous prev\.json: rollout\.candidate is blue, the same slot as rollout\.live; allowed: green \(the slot that is not live\), or null with strategy direct$/,
    },
    {
        what: "a --previous whose step was taken in the future",
        args: ["next", "--stack", "prod", "--previous", "prev.json", ...NOW],
        setup: { files: { "prev.json": rollout({ stepTakenAt: "2026-11-27T12:00:00.000Z" }) } },
        code: 2,
        line: /^slotshift: --previous prev\.json: rollout\.stepTakenAt is "2026-11-27T12:00:00\.000Z", more than 5 minutes after now \(2026-11-26T12:00:00\.000Z\); allowed: a time no later than now/,
    },
    {
        what: "a --previous whose timestamps are not dates",
        args: ["status", "--stack", "prod", "--previous", "prev.json", ...NOW],
        setup: { files: { "prev.json": rollout({ stepTakenAt: "yesterday" }) } },
        code: 2,
        line: /^slotshift: --previous prev\.json: rollout\.stepTakenAt is "yesterday"; allowed: an ISO 8601 time/,
    },
    // --reference: only the stack promoted from.
    {
        what: "a --reference to a stack prod does not promote from",
        args: ["next", "--stack", "prod", "--reference", "qa=qa.json"],
        setup: { files: { "qa.json": "{}" } },
        code: 2,
        line: /^slotshift: --reference qa: this stack promotes from staging \(slotshift:promotion\.from\), not from qa; allowed: --reference staging=FILE$/,
    },
    {
        what: "a malformed --reference document",
        args: ["next", "--stack", "prod", "--reference", "staging=staging.json"],
        setup: { files: { "staging.json": "[1, 2" } },
        code: 2,
        line: /^slotshift: --reference staging=staging\.json is not JSON/,
    },
    // The secret rules of pulumi up, in the CLI too.
    {
        what: "a webhook URL in plain text (pulumi up refuses it; so does the CLI), never echoed",
        args: ["next", "--stack", "prod"],
        setup: { prod: (t) => t.replace("    # Who gets alert emails.\n", `    webhookUrl: ${SECRET}\n    # Who gets alert emails.\n`) },
        code: 1,
        line: /^slotshift: refused: slotshift:alerts\.webhookUrl is given in plain text; allowed: a Pulumi secret only/,
    },
    {
        what: "the alerts given as the webhook URL itself, never echoed",
        args: ["status", "--stack", "prod"],
        setup: { prod: (t) => t.replace(/\n {2}slotshift:alerts:\n(?: {4}.*\n| *#.*\n)*/, `\n  slotshift:alerts: ${SECRET}\n`) },
        code: 1,
        line: /^slotshift: refused: slotshift:alerts is "\[secret\]"/,
    },
    // Stack files that are not what an edit can keep byte for byte.
    {
        what: "a weight given by a YAML alias",
        args: ["next", "--stack", "prod"],
        setup: { prod: (t) => t.replace("    weight: 0\n", "    weight: *w\n").replace("config:\n", "config:\n  other:zero: &w 0\n") },
        code: 2,
        line: /^slotshift: cannot edit slotshift:rollout\.weight in Pulumi\.prod\.yaml: .*alias/,
    },
    { what: "a directory named like a stack file", args: ["status", "--stack", "qa"], setup: { files: { "Pulumi.qa.yaml": "dir" } }, code: 2, line: /^slotshift: .*Pulumi\.qa\.yaml.* directory/ },
    {
        what: "invalid UTF-8 in a comment",
        args: ["next", "--stack", "prod"],
        setup: { files: { "Pulumi.prod.yaml": Buffer.concat([fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml")), Buffer.from("# caf\xe9\n", "latin1")]) } },
        code: 2,
        line: /^slotshift: Pulumi\.prod\.yaml:\d+: not valid UTF-8/,
    },
    // Numbers JSON cannot carry: named as they are written, not as null.
    {
        what: "replicas: .inf",
        args: ["next", "--stack", "prod"],
        setup: { prod: (t) => t.replace("replicas: 3", "replicas: .inf") },
        code: 2,
        line: /^slotshift: Pulumi\.prod\.yaml: slotshift:app\.replicas is Infinity, not a finite number; allowed: a number a config value can hold/,
    },
    { what: "a step of .nan", args: ["status", "--stack", "prod"], setup: { prod: (t) => t.replace("steps: [5, 25, 50, 100]", "steps: [5, .nan, 50, 100]") }, code: 2, line: /^slotshift: Pulumi\.prod\.yaml: slotshift:rollout\.steps\[1\] is NaN, not a finite number/ },
    // Lengths: a message stays short whatever it is given.
    { what: "a 10,000-character stack name", args: ["status", "--stack", "s".repeat(10000)], code: 2, line: /^slotshift: stack name "s{37}\.\.\." \(10000 characters\) is not valid: letters, digits, '_', '\.' and '-' only, at most 100 characters$/ },
    // Commands that need what is not there.
    { what: "retry with nothing deployed known", args: ["retry", "--stack", "prod"], code: 2, line: /^slotshift: retry needs what is deployed, which records the rollback: give --previous FILE/ },
    { what: "finalize at 0 %", args: ["finalize", "--stack", "prod"], code: 1, line: /^slotshift: refused: slotshift:rollout\.weight is 0: finalize needs the candidate at 100 %; the next step is 5/ },
    { what: "decommission of the staged candidate's traffic-carrying slot", args: ["decommission", "--stack", "prod"], setup: { prod: (t) => t.replace("    weight: 0\n", "    weight: 5\n") }, code: 1, line: /^slotshift: refused: green carries 5 % of prod's traffic; roll back first/ },
];

/** Every file of a folder, by name, with its bytes (directories as "dir"). */
function snapshot(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of fs.readdirSync(dir)) {
        const p = path.join(dir, name);
        const st = fs.lstatSync(p);
        out[name] = st.isDirectory() ? "dir" : st.isSymbolicLink() ? `-> ${fs.readlinkSync(p)}` : fs.readFileSync(p).toString("base64");
    }
    return out;
}

function project(setup: Setup = {}): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-corpus-"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    for (const stack of ["dev", "staging", "prod"]) {
        const name = `Pulumi.${stack}.yaml`;
        const text = fs.readFileSync(path.join(ROOT, name), "utf8");
        fs.writeFileSync(path.join(dir, name), stack === "prod" && setup.prod ? setup.prod(text) : text);
    }
    for (const [name, content] of Object.entries(setup.files ?? {})) {
        if (content === "dir") {
            fs.mkdirSync(path.join(dir, name));
        } else {
            fs.writeFileSync(path.join(dir, name), content);
        }
    }
    return dir;
}

describe(`the CLI's bad-input corpus (${CASES.length} inputs): one line, the documented exit code, nothing written`, function () {
    this.timeout(120000);
    // No Pulumi CLI: what is deployed is only what --previous says.
    const env = { ...process.env, PATH: "/usr/bin:/bin" };

    for (const c of CASES) {
        it(`${c.what}: exit ${c.code}`, async () => {
            const dir = project(c.setup);
            const before = snapshot(dir);
            const r = await runCli(dir, c.args, env);
            expect(r.code, r.stderr).to.equal(c.code);
            expect(r.stdout).to.equal("");
            const lines = r.stderr.replace(/\n$/, "").split("\n");
            expect(lines, r.stderr).to.have.length(1);
            expect(lines[0], lines[0]).to.match(c.line);
            expect(lines[0].length, "a short line").to.be.below(700);
            expect(r.stderr).not.to.match(/\n\s+at /);
            expect(r.stderr).not.to.contain("SECRETSECRET");
            expect(snapshot(dir), "nothing written, nothing left behind").to.deep.equal(before);
        });
    }
});
