import { expect } from "chai";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { Command, CommanderError } from "commander";
import { APPROVAL_EXIT, MAX_ATTEMPTS, approvalAge, approvalLine, formatAge, parseApiUrl, registerApproval } from "../cli/approval";
import { UsageError } from "../cli/stackFile";
import { ConfigError } from "../rollout/errors";
import { ROOT } from "./helpers";

const TOKEN = "ghs_approvalTestToken0123456789";
const NOW = new Date("2026-11-26T14:00:00Z");
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3600000).toISOString().replace(/\.000Z$/, "Z");

/** A project folder with the real stack files, prod's approvalTimeoutHours as given. */
function project(approvalTimeoutHours?: number): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-approval-"));
    for (const f of fs.readdirSync(ROOT).filter((x) => /^Pulumi(\..+)?\.yaml$/.test(x))) {
        fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    }
    if (approvalTimeoutHours !== undefined) {
        const file = path.join(dir, "Pulumi.prod.yaml");
        const text = fs.readFileSync(file, "utf8");
        expect(text).to.contain("\n  slotshift:promotion:\n");
        fs.writeFileSync(file, text.replace("\n  slotshift:promotion:\n", `\n  slotshift:promotion:\n    approvalTimeoutHours: ${approvalTimeoutHours}\n`));
    }
    return dir;
}

interface Seen {
    method: string;
    url: string;
    headers: http.IncomingHttpHeaders;
}
type Reply = { status: number; headers?: Record<string, string>; body?: unknown; raw?: string } | "hang";

/**
 * GitHub's REST API on 127.0.0.1: GET /repos/{owner}/{repo}/actions/runs/{run_id} answered with
 * the next reply (the last repeats), JSON as GitHub sends it, errors as `{ message, documentation_url }`.
 */
async function gitHub(replies: Reply[]): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
    const seen: Seen[] = [];
    const server = http.createServer((req, res) => {
        req.resume();
        req.on("end", () => {
            seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
            const reply = replies[Math.min(seen.length, replies.length) - 1];
            if (reply === "hang") {
                return;
            }
            const text = reply.raw ?? (reply.body === undefined ? "" : JSON.stringify(reply.body));
            res.writeHead(reply.status, { "content-type": "application/json; charset=utf-8", "x-github-api-version-selected": "2022-11-28", ...reply.headers });
            res.end(text);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        seen,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** A workflow run as GitHub answers it (the fields this check reads, and a few around them). */
function run(fields: { created_at: string; run_started_at?: string | null; run_attempt?: number; status?: string }): Record<string, unknown> {
    return {
        id: 4242,
        name: "deploy",
        run_number: 17,
        event: "push",
        status: "in_progress",
        conclusion: null,
        run_attempt: 1,
        updated_at: NOW.toISOString(),
        html_url: "https://github.com/octo-org/slotshift/actions/runs/4242",
        ...fields,
    };
}
const error = (status: number, message: string, headers: Record<string, string> = {}): Reply => ({
    status,
    headers,
    body: { message, documentation_url: "https://docs.github.com/rest/actions/workflow-runs#get-a-workflow-run", status: String(status) },
});

interface Result {
    code: number;
    stdout: string;
    stderr: string;
    sleeps: number[];
    summary: string;
}

/** `slotshift approval-age` as cli/main.ts runs a command: commander with exitOverride, UsageError 2, ConfigError 1. */
async function approvalAgeCli(dir: string, args: string[], env: NodeJS.ProcessEnv, opts: { requestTimeoutMs?: number } = {}): Promise<Result> {
    let stdout = "";
    let stderr = "";
    const sleeps: number[] = [];
    const summary = path.join(dir, "summary.md");
    fs.rmSync(summary, { force: true });
    const out = { write: (s: string) => (stdout += s) };
    const err = { write: (s: string) => (stderr += s) };
    let code = 0;
    const program = new Command("slotshift").exitOverride().configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) });
    // The deps the tests control (sleep, timeout) go through the io object: registerApproval passes it on.
    const io = { out, err, env: { GITHUB_STEP_SUMMARY: summary, ...env }, sleep: async (ms: number) => void sleeps.push(ms), requestTimeoutMs: opts.requestTimeoutMs ?? 2000, retryDelayMs: 1 };
    registerApproval(program, io, (c) => (code = c));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
        await program.parseAsync(["approval-age", ...args], { from: "user" });
    } catch (e) {
        if (e instanceof CommanderError) {
            code = e.exitCode === 0 ? 0 : 2;
        } else if (e instanceof UsageError) {
            stderr += `slotshift: ${e.message}\n`;
            code = 2;
        } else if (ConfigError.isInstance(e)) {
            stderr += `slotshift: refused: ${e.message}\n`;
            code = 1;
        } else {
            throw e;
        }
    } finally {
        process.chdir(cwd);
    }
    return { code, stdout, stderr, sleeps, summary: fs.existsSync(summary) ? fs.readFileSync(summary, "utf8") : "" };
}

describe("slotshift approval-age: an environment approval older than slotshift:promotion.approvalTimeoutHours does not deploy", function () {
    this.timeout(60000);
    const dir = project();
    const env = (url: string): NodeJS.ProcessEnv => ({ GITHUB_TOKEN: TOKEN, GITHUB_REPOSITORY: "octo-org/slotshift", GITHUB_RUN_ID: "4242", GITHUB_API_URL: url });
    const check = async (replies: Reply[], args: string[] = [], opts: { dir?: string; requestTimeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) => {
        const gh = await gitHub(replies);
        try {
            const r = await approvalAgeCli(opts.dir ?? dir, ["--stack", "prod", "--now", NOW.toISOString(), ...args], { ...env(gh.url), ...opts.env }, opts);
            return { ...r, seen: gh.seen };
        } finally {
            await gh.close();
        }
    };

    describe("GitHub's answer", () => {
        it("approves a run queued within the limit, in one line, after one GET of the run with the token", async () => {
            const r = await check([{ status: 200, body: run({ created_at: hoursAgo(2.5), run_started_at: hoursAgo(2.5) }) }]);
            expect(r.code, r.stderr).to.equal(APPROVAL_EXIT.within);
            expect(r.stdout).to.equal("approved within the limit: queued at 2026-11-26T11:30:00Z, 2 h 30 min ago (limit 24 h)\n");
            expect(r.stderr).to.equal("");
            expect(r.seen).to.have.length(1);
            expect(r.seen[0].method).to.equal("GET");
            expect(r.seen[0].url).to.equal("/repos/octo-org/slotshift/actions/runs/4242");
            expect(r.seen[0].headers.authorization).to.equal(`token ${TOKEN}`);
            expect(r.seen[0].headers.accept).to.equal("application/vnd.github.v3+json");
            expect(r.summary).to.equal("slotshift approval-age prod: approved within the limit: queued at 2026-11-26T11:30:00Z, 2 h 30 min ago (limit 24 h)\n");
        });

        it("refuses a run queued longer ago than the limit (exit 9): the key, the age, the limit, and re-run to proceed", async () => {
            const r = await check([{ status: 200, body: run({ created_at: hoursAgo(30 + 5 / 60), run_started_at: hoursAgo(30 + 5 / 60) }) }]);
            expect(r.code).to.equal(APPROVAL_EXIT.over);
            expect(r.stdout).to.equal(
                "approval too old: queued at 2026-11-25T07:55:00Z, 30 h 5 min ago, longer than slotshift:promotion.approvalTimeoutHours (24 h); " +
                    "re-run the job to deploy now: it was approved 30 h 5 min after it was queued; the limit is slotshift:promotion.approvalTimeoutHours\n",
            );
            expect(r.stdout.split("\n")).to.have.length(2);
            expect(r.summary).to.contain("approval too old");
        });

        it("approves exactly at the limit, and refuses a minute past it", async () => {
            const at = await check([{ status: 200, body: run({ created_at: hoursAgo(24), run_started_at: hoursAgo(24) }) }]);
            expect(at.code, at.stderr).to.equal(APPROVAL_EXIT.within);
            expect(at.stdout).to.contain("24 h 0 min ago (limit 24 h)");
            const past = await check([{ status: 200, body: run({ created_at: hoursAgo(24 + 1 / 60), run_started_at: hoursAgo(24 + 1 / 60) }) }]);
            expect(past.code).to.equal(APPROVAL_EXIT.over);
            expect(past.stdout).to.contain("24 h 1 min ago");
        });

        it("counts a re-run from its own start (run_started_at resets, created_at does not): re-running is how an expired approval is renewed", async () => {
            const rerun = run({ created_at: hoursAgo(72), run_started_at: hoursAgo(1), run_attempt: 2 });
            const r = await check([{ status: 200, body: rerun }]);
            expect(r.code, r.stderr).to.equal(APPROVAL_EXIT.within);
            expect(r.stdout).to.equal("approved within the limit: queued at 2026-11-26T13:00:00Z, 1 h 0 min ago (limit 24 h)\n");
            // A re-run left waiting past the limit again is refused again.
            const stale = await check([{ status: 200, body: run({ created_at: hoursAgo(72), run_started_at: hoursAgo(25), run_attempt: 2 }) }]);
            expect(stale.code).to.equal(APPROVAL_EXIT.over);
        });

        it("takes created_at when GitHub gives no run_started_at", async () => {
            const r = await check([{ status: 200, body: run({ created_at: hoursAgo(26), run_started_at: null }) }]);
            expect(r.code).to.equal(APPROVAL_EXIT.over);
            expect(r.stdout).to.contain("queued at 2026-11-25T12:00:00Z, 26 h 0 min ago");
        });

        it("reads the limit from the stack file: slotshift:promotion.approvalTimeoutHours", async () => {
            const r = await check([{ status: 200, body: run({ created_at: hoursAgo(30), run_started_at: hoursAgo(30) }) }], [], { dir: project(48) });
            expect(r.code, r.stderr).to.equal(APPROVAL_EXIT.within);
            expect(r.stdout).to.contain("(limit 48 h)");
            const refused = await check([], [], { dir: project(0) });
            expect(refused.code).to.equal(APPROVAL_EXIT.refused);
            expect(refused.stderr).to.contain("slotshift:promotion.approvalTimeoutHours");
            expect(refused.seen, "GitHub is not asked for a refused config").to.have.length(0);
        });
    });

    describe("GitHub unreadable: exit 10, one line, never approved", () => {
        const unreadable = (r: Result) => {
            expect(r.code, r.stdout + r.stderr).to.equal(APPROVAL_EXIT.unreadable);
            expect(r.stdout).to.equal("");
            expect(r.stderr).to.match(/^slotshift approval-age: GitHub could not be read, so the approval's age is unknown \(never taken as approved\): .*\n$/);
            expect(r.stderr).not.to.contain(TOKEN);
            expect(r.summary).not.to.contain("approved within");
        };

        it("404: no such run (or the token cannot see it), not retried", async () => {
            const r = await check([error(404, "Not Found")]);
            unreadable(r);
            expect(r.stderr).to.contain("404 Not Found");
            expect(r.stderr).to.contain("no such run");
            expect(r.seen).to.have.length(1);
        });

        it("401: the token refused, not retried, and never echoed", async () => {
            const r = await check([error(401, `Bad credentials for ${TOKEN}`)]);
            unreadable(r);
            expect(r.stderr).to.contain("401 Bad credentials for [redacted]");
            expect(r.stderr).to.contain("the token (GITHUB_TOKEN) was refused");
            expect(r.seen).to.have.length(1);
        });

        it("403 without a rate limit: the token may not read Actions (permissions: actions: read)", async () => {
            const r = await check([error(403, "Resource not accessible by integration", { "x-ratelimit-remaining": "4999" })]);
            unreadable(r);
            expect(r.stderr).to.contain("actions: read");
            expect(r.seen).to.have.length(1);
        });

        it("500 then 200: retried, then answered", async () => {
            const r = await check([error(500, "Server Error"), { status: 200, body: run({ created_at: hoursAgo(3), run_started_at: hoursAgo(3) }) }]);
            expect(r.code, r.stderr).to.equal(APPROVAL_EXIT.within);
            expect(r.seen).to.have.length(2);
            expect(r.sleeps).to.have.length(1);
        });

        it("5xx every time: bounded attempts, then unreadable", async () => {
            const r = await check([error(502, "Bad Gateway")]);
            unreadable(r);
            expect(r.seen).to.have.length(MAX_ATTEMPTS);
            expect(r.stderr).to.contain(`after ${MAX_ATTEMPTS} attempts: 502`);
        });

        it("rate limited (403, x-ratelimit-remaining: 0, retry-after): waits as asked, then answered", async () => {
            const limited = error(403, "API rate limit exceeded for installation ID 1.", { "x-ratelimit-remaining": "0", "x-ratelimit-limit": "1000", "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 2), "retry-after": "2" });
            const r = await check([limited, { status: 200, body: run({ created_at: hoursAgo(3), run_started_at: hoursAgo(3) }) }]);
            expect(r.code, r.stderr).to.equal(APPROVAL_EXIT.within);
            expect(r.sleeps).to.deep.equal([2000]);
            expect(r.seen).to.have.length(2);
        });

        it("rate limited longer than it waits (or every time): unreadable at once, saying how long GitHub asks", async () => {
            const long = await check([error(403, "API rate limit exceeded", { "x-ratelimit-remaining": "0", "retry-after": "3600" })]);
            unreadable(long);
            expect(long.stderr).to.contain("asks to wait 3600 s, longer than the 60 s this check waits");
            expect(long.sleeps).to.deep.equal([]);
            expect(long.seen).to.have.length(1);
            const always = await check([error(429, "secondary rate limit", { "retry-after": "1" })]);
            unreadable(always);
            expect(always.seen).to.have.length(MAX_ATTEMPTS);
            expect(always.sleeps).to.deep.equal([1000, 1000]);
        });

        it("a server that never answers: each call cut at its timeout, bounded attempts", async () => {
            const started = Date.now();
            const r = await check(["hang"], [], { requestTimeoutMs: 300 });
            unreadable(r);
            expect(r.stderr).to.contain("no answer in 0.3 s");
            expect(r.seen).to.have.length(MAX_ATTEMPTS);
            expect(Date.now() - started).to.be.lessThan(10000);
        });

        it("malformed answers: JSON that does not parse, no created_at, a time that is not one", async () => {
            for (const reply of [
                { status: 200, raw: '{"id": 4242, "created_at": "2026-11-26T1' },
                { status: 200, body: { id: 4242, status: "in_progress" } },
                { status: 200, body: run({ created_at: "yesterday" }) },
                { status: 200, body: [run({ created_at: hoursAgo(1) })] },
            ] as Reply[]) {
                const r = await check([reply]);
                unreadable(r);
                expect(r.stderr).to.contain("malformed answer");
            }
        });

        it("a queued time ahead of now by more than clock skew: no answer", async () => {
            const r = await check([{ status: 200, body: run({ created_at: hoursAgo(-2), run_started_at: hoursAgo(-2) }) }]);
            unreadable(r);
            expect(r.stderr).to.contain("after now");
            const skew = await check([{ status: 200, body: run({ created_at: hoursAgo(-1 / 60), run_started_at: hoursAgo(-1 / 60) }) }]);
            expect(skew.code).to.equal(APPROVAL_EXIT.within);
            expect(skew.stdout).to.contain("0 h 0 min ago");
        });
    });

    describe("usage (exit 2), GitHub never asked", () => {
        it("refuses a missing token, repository or run, a bad --now, an unknown stack, and http off 127.0.0.1", async () => {
            const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
                [[], { GITHUB_TOKEN: "" }, /GITHUB_TOKEN is not set/],
                [[], { GITHUB_REPOSITORY: "" }, /no repository: give --repository OWNER\/NAME/],
                [["--repository", "octo-org"], {}, /--repository "octo-org" is not a repository/],
                [["--repository", "../x/y"], {}, /is not a repository/],
                [[], { GITHUB_RUN_ID: "" }, /no workflow run: give --run-id N/],
                [["--run-id", "12abc"], {}, /--run-id "12abc" is not a workflow run id/],
                [[], { GITHUB_RUN_ID: "-1" }, /GITHUB_RUN_ID "-1" is not a workflow run id/],
                [["--now", "2026-11-26 14:00"], {}, /--now "2026-11-26 14:00" is not an ISO 8601 UTC time/],
                [["--stack", "nope"], {}, /nope/],
                [[], { GITHUB_API_URL: "http://api.github.com" }, /GITHUB_API_URL "http:\/\/api.github.com" is not allowed/],
                [[], { GITHUB_API_URL: "http://localhost:1" }, /is not allowed/],
            ];
            for (const [args, extra, says] of cases) {
                const r = await check([{ status: 200, body: run({ created_at: hoursAgo(1) }) }], args, { env: extra });
                expect(r.code, `${args.join(" ")} ${JSON.stringify(extra)}: ${r.stderr}`).to.equal(APPROVAL_EXIT.usage);
                expect(r.stderr).to.match(says);
                expect(r.seen, JSON.stringify(extra)).to.have.length(0);
            }
            const none = await approvalAgeCli(dir, [], env("http://127.0.0.1:9"));
            expect(none.code).to.equal(APPROVAL_EXIT.usage);
        });

        it("takes GitHub's API URL as https anywhere (GitHub Enterprise Server too), http on 127.0.0.1 only", () => {
            expect(parseApiUrl(undefined)).to.equal("https://api.github.com");
            expect(parseApiUrl("")).to.equal("https://api.github.com");
            expect(parseApiUrl("https://ghe.example.com/api/v3/")).to.equal("https://ghe.example.com/api/v3");
            expect(parseApiUrl("http://127.0.0.1:8080")).to.equal("http://127.0.0.1:8080");
            for (const bad of ["ftp://x", "https://u:p@api.github.com", "https://api.github.com/?x=1", "http://[::1]:1", "not a url"]) {
                expect(() => parseApiUrl(bad), bad).to.throw(UsageError);
            }
        });
    });

    describe("the age and its line", () => {
        const at = (h: number) => new Date(NOW.getTime() - h * 3600000);
        it("is within up to and including the limit, and rounds minutes down", () => {
            expect(approvalAge({ createdAt: at(24), runStartedAt: undefined, runAttempt: 1, status: "queued" }, 24, NOW).within).to.equal(true);
            expect(approvalAge({ createdAt: at(24.0001), runStartedAt: undefined, runAttempt: 1, status: "queued" }, 24, NOW).within).to.equal(false);
            expect(approvalAge({ createdAt: at(100), runStartedAt: at(2), runAttempt: 3, status: "in_progress" }, 1, NOW).within).to.equal(false);
            expect(formatAge(59 * 60000 + 59999)).to.equal("0 h 59 min");
            expect(formatAge(25 * 3600000)).to.equal("25 h 0 min");
            const line = approvalLine(approvalAge({ createdAt: at(48), runStartedAt: at(48), runAttempt: 1, status: "waiting" }, 24, NOW));
            expect(line).to.contain("slotshift:promotion.approvalTimeoutHours (24 h)");
            expect(line).to.contain("re-run the job to deploy now");
            expect(line).not.to.contain("\n");
        });
    });
});
