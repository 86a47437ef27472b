/**
 * `slotshift notify`: one short message per step job, rollback and failed analysis, posted to the
 * stack's channels (`slotshift:notifications`: a Microsoft Teams and/or a Slack incoming webhook)
 * and always appended to the GitHub job summary.
 *
 *   slotshift notify --stack S --event step|rollback|analysis-failed|step-failed
 *                    [--previous FILE] [--verdict pass|fail|inconclusive|error] [--command C]
 *                    [--run-url URL] [--timeout SECONDS] [--strict] [--now ISO]
 *
 * The webhook URLs come from SLOTSHIFT_TEAMS_WEBHOOK_URL and SLOTSHIFT_SLACK_WEBHOOK_URL (the
 * pipeline fills them with `pulumi config get --path slotshift:notifications.<key>`). Each URL
 * carries its own credential: it is never printed, not even in an error (a channel is named "the
 * Teams webhook" / "the Slack webhook", and whatever a server answers is redacted of the URL's parts).
 *
 * A notification never fails the job it reports on: every post is bounded (attempts, a per-request
 * timeout, a capped Retry-After) and never throws; the exit code is 0 whatever the channels answered,
 * unless --strict asks for 11 when any post failed. Only a bad option is exit 2.
 */
import * as fs from "fs";
import { Command, Option } from "commander";
import { RolloutState, readRolloutState } from "../rollout/state";
import { parseNow } from "./inputs";
import { Writer, readOutputsFile } from "./plan";
import { UsageError } from "./stackFile";

/** What happened, as the pipeline says it. */
export const NOTIFY_EVENTS = ["step", "rollback", "analysis-failed", "step-failed"] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** The analysis verdict a message may name (analysis/record.ts: AnalysisRecord["verdict"]). */
export const NOTIFY_VERDICTS = ["pass", "fail", "inconclusive", "error"] as const;
export type NotifyVerdict = (typeof NOTIFY_VERDICTS)[number];

/** `notify`'s own exit code: with --strict, a post failed (0, 1 and 2 are every command's). */
export const NOTIFY_EXIT = { failed: 11 } as const;

/** The environment variables that hold the webhook URLs. */
export const NOTIFY_ENV = { teams: "SLOTSHIFT_TEAMS_WEBHOOK_URL", slack: "SLOTSHIFT_SLACK_WEBHOOK_URL" } as const;

/** What a message is made of. */
export interface NotificationInput {
    readonly stack: string;
    readonly event: NotifyEvent;
    /** The slotshift command the job ran, e.g. `next --stack prod`. */
    readonly command?: string;
    /** What is deployed after the event (the stack's `rollout` output). */
    readonly state?: RolloutState;
    readonly verdict?: NotifyVerdict;
    /** The workflow run, for the link. */
    readonly runUrl?: string;
    /** When the message is sent. */
    readonly at: Date;
}

/** A message: a title, a few lines, and both as one plain text (at most MESSAGE_MAX characters). */
export interface NotificationMessage {
    readonly title: string;
    readonly lines: readonly string[];
    readonly text: string;
}

/** The longest `text` of a message. */
export const MESSAGE_MAX = 1000;
/** The longest value (a stack, a version, a command) shown in a message; longer ones are cut. */
const VALUE_MAX = 80;
/** The longest run link kept; a longer one is dropped (a cut link leads nowhere). */
const URL_MAX = 300;

/** A value for a message: one line, no control characters, at most `max` characters (then `…`). */
function clean(value: string, max = VALUE_MAX): string {
    // eslint-disable-next-line no-control-regex
    const one = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").replace(/\s+/g, " ").trim();
    return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** The run link, when it is an http(s) URL short enough to keep whole. */
function runLink(url: string | undefined): string | undefined {
    if (url === undefined || url.length > URL_MAX) {
        return undefined;
    }
    try {
        const u = new URL(url);
        return (u.protocol === "https:" || u.protocol === "http:") && u.username === "" && u.password === "" && !/\s/.test(url) ? url : undefined;
    } catch {
        return undefined;
    }
}

/** What each slot runs, its weight and its part, in one line: `prod: green 1.1.0 at 25 % (step 2/4), blue 1.0.0 live`. */
export function deployedLine(stack: string, s: RolloutState): string {
    const v = (slot: "blue" | "green") => clean(s.versions[slot] ?? "(empty)");
    const cand = s.candidate;
    const live = `${s.live} ${v(s.live)} live`;
    if (cand !== null && s.weights[cand] > 0) {
        const step = s.step > 0 ? ` (step ${s.step}/${s.steps.length})` : "";
        return `${clean(stack)}: ${cand} ${v(cand)} at ${s.weights[cand]} %${step}, ${live}`;
    }
    let other = "";
    if (cand !== null && s.versions[cand] !== null) {
        const why =
            s.aborted !== null && s.aborted.slot === cand
                ? " (rolled back)"
                : s.warm === cand
                  ? " (warm)"
                  : s.phase === "staged"
                    ? " (staged)"
                    : "";
        other = `, ${cand} ${v(cand)} at 0 %${why}`;
    }
    return `${clean(stack)}: ${live} at 100 %${other}`;
}

/** The title's "what happened". */
function headline(input: NotificationInput): string {
    const s = input.state;
    switch (input.event) {
        case "rollback":
            return "ROLLED BACK";
        case "analysis-failed":
            return "ANALYSIS FAILED";
        case "step-failed":
            return "STEP FAILED";
        case "step":
            break;
    }
    if (s === undefined) {
        return "step done";
    }
    const cand = s.candidate;
    switch (s.transition) {
        case "first-deploy":
            return `first deploy of ${s.live} ${clean(s.versions[s.live] ?? "(empty)")}`;
        case "stage":
            return cand === null ? "staged" : `staged ${cand} ${clean(s.versions[cand] ?? "(empty)")} at 0 %`;
        case "step":
        case "jump":
        case "step-back":
            return cand === null ? "stepped" : `${cand} at ${s.weights[cand]} %`;
        case "finalize":
            return `finalized: ${s.live} ${clean(s.versions[s.live] ?? "(empty)")} is live`;
        case "rollback":
        case "rollback-after-finalize":
            return "rolled back";
        case "decommission":
            return "decommissioned the idle slot";
        default:
            return "step done";
    }
}

/** What the verdict means, in a few words. */
const VERDICT_TEXT: Readonly<Record<NotifyVerdict, string>> = {
    pass: "pass",
    fail: "FAIL",
    inconclusive: "inconclusive (never a pass)",
    error: "error: the logs could not be read (never a pass)",
};

/**
 * The message of an event: a title, the lines (what is deployed, the command, the verdict, the time,
 * the run link) and the two as one text. Pure; names no secret (nothing of the environment, no
 * webhook); every value is one line and cut when long, and the text is at most MESSAGE_MAX characters.
 */
export function notificationMessage(input: NotificationInput): NotificationMessage {
    const title = `slotshift ${clean(input.stack)}: ${headline(input)}`;
    const lines: string[] = [];
    if (input.state !== undefined) {
        lines.push(deployedLine(input.stack, input.state));
    } else {
        lines.push(`${clean(input.stack)}: what is deployed is not known (no stack outputs given)`);
    }
    if (input.command !== undefined && clean(input.command) !== "") {
        lines.push(`command: slotshift ${clean(input.command.replace(/^\s*slotshift\s+/, ""), 120)}`);
    }
    if (input.verdict !== undefined) {
        lines.push(`analysis: ${VERDICT_TEXT[input.verdict]}`);
    }
    lines.push(`at ${input.at.toISOString()}`);
    const link = runLink(input.runUrl);
    if (link !== undefined) {
        lines.push(`run: ${link}`);
    }
    let text = [title, ...lines].join("\n");
    if (text.length > MESSAGE_MAX) {
        text = `${text.slice(0, MESSAGE_MAX - 1)}…`;
    }
    return { title, lines, text };
}

// ---------------------------------------------------------------------------------------------
// The channels' contracts.
//
// Slack incoming webhooks (https://api.slack.com/messaging/webhooks, "Sending messages using
// incoming webhooks"): POST the JSON `{ "text": ... }` (blocks optional) with Content-Type
// application/json to the webhook URL. Success is HTTP 200 (body `ok`); errors are 4xx with a
// plain-text body naming the error (https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks:
// 400 invalid_payload / user_not_found, 403 action_prohibited, 404 channel_not_found,
// 410 channel_is_archived, 500 rollup_error; "interpret a HTTP 200 response as success and any
// other response code as a failure"). Rate limits (https://api.slack.com/docs/rate-limits, "Posting
// messages: 1 per second, short bursts allowed"; slackhq/slack-api-docs page_rate_limits.md: "including
// Incoming Webhooks, Slack will start returning a HTTP 429 Too Many Requests error ... and a Retry-After
// header containing the number of seconds until you can retry"). Text must escape &, < and >
// (https://api.slack.com/reference/surfaces/formatting, "Escaping text").
//
// Microsoft Teams (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using):
// Microsoft 365 (Office 365) connectors are retired; the current way is a Workflows (Power Automate)
// flow with the trigger "When a Teams webhook request is received" and the action "Post card in a
// chat or channel", which takes an Adaptive Card only ("Workflows support Adaptive Cards only. It
// doesn't support the older message card format"), sent in a `message` envelope:
// `{ type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", content: <card> }] }`
// (add-incoming-webhook.md, "Send Adaptive Cards using an Incoming Webhook"; the card `{ type:
// "AdaptiveCard", version, body }`). A Workflows webhook answers 202 Accepted; a connector answered
// 200 with `1`, so any 2xx is taken as delivered. A connector does not answer 429 when throttled:
// it answers 2xx with "Microsoft Teams endpoint returned HTTP error 429" in the body
// (connectors-using.md, "Rate limiting for connectors"), taken as a 429 here.
// ---------------------------------------------------------------------------------------------

/** A channel. */
export type Channel = "teams" | "slack";

/** How a channel is named in every line (never its URL). */
export const CHANNEL_NAME: Readonly<Record<Channel, string>> = { teams: "Teams", slack: "Slack" };

/** Slack's text escaping: `&`, `<` and `>` (so no value can mention `<!channel>` or make a link). */
export function slackEscape(text: string): string {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The body posted to a Slack incoming webhook. */
export function slackPayload(m: NotificationMessage): { text: string } {
    return { text: slackEscape(m.text) };
}

/** The Adaptive Card of a message. */
export function adaptiveCard(m: NotificationMessage, runUrl?: string): Record<string, unknown> {
    const link = runLink(runUrl);
    const card: Record<string, unknown> = {
        type: "AdaptiveCard",
        $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
        version: "1.4",
        body: [
            { type: "TextBlock", text: m.title, weight: "Bolder", size: "Medium", wrap: true },
            ...m.lines.map((line) => ({ type: "TextBlock", text: line, wrap: true, spacing: "Small" })),
        ],
    };
    if (link !== undefined) {
        card.actions = [{ type: "Action.OpenUrl", title: "Open the run", url: link }];
    }
    return card;
}

/** The body posted to a Teams (Workflows) webhook: the card in a `message` envelope. */
export function teamsPayload(m: NotificationMessage, runUrl?: string): Record<string, unknown> {
    return { type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content: adaptiveCard(m, runUrl) }] };
}

/** How hard a post tries. */
export interface PostOptions {
    /** Attempts in all. @default 3 */
    readonly attempts?: number;
    /** One request's timeout, the answer's body included. @default 10000 */
    readonly timeoutMs?: number;
    /** The longest Retry-After honoured (a longer one is waited this long). @default 20000 */
    readonly retryAfterCapMs?: number;
    /** The wait before the second attempt without a Retry-After; doubled for each next one. @default 1000 */
    readonly backoffMs?: number;
    /** Waits; tests give their own. */
    readonly sleep?: (ms: number) => Promise<void>;
}

/** What a post came to. */
export type PostResult = { readonly ok: true; readonly attempts: number; readonly status: number } | { readonly ok: false; readonly attempts: number; readonly reason: string };

/** The longest answer body read. */
const BODY_MAX = 4096;

/**
 * Text from a server or the network, for a line: the URL's credential-bearing parts (the whole URL,
 * its path, its query, every long path segment or query value) replaced by `[webhook]`, one line,
 * at most 160 characters.
 */
export function redact(text: string, url: string): string {
    let out = text;
    const parts: string[] = [url];
    try {
        const u = new URL(url);
        parts.push(u.href, `${u.host}${u.pathname}`, u.search);
        if (u.pathname.length > 1) {
            parts.push(u.pathname);
        }
        parts.push(...u.pathname.split("/").map(decodeSafe).filter((p) => p.length >= 6));
        parts.push(...u.pathname.split("/").filter((p) => p.length >= 6));
        for (const [, value] of u.searchParams) {
            if (value.length >= 6) {
                parts.push(value, encodeURIComponent(value));
            }
        }
    } catch {
        // not a URL: only the text as given is taken out
    }
    for (const p of parts.filter((x) => x.length > 1).sort((a, b) => b.length - a.length)) {
        out = out.split(p).join("[webhook]");
    }
    return clean(out, 160);
}

function decodeSafe(s: string): string {
    try {
        return decodeURIComponent(s);
    } catch {
        return s;
    }
}

/** Seconds (or an HTTP date) of a Retry-After header, as milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
    if (value === null) {
        return undefined;
    }
    const v = value.trim();
    if (/^[0-9]{1,6}$/.test(v)) {
        return Number(v) * 1000;
    }
    const at = Date.parse(v);
    return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The answer's body as text, at most BODY_MAX bytes, within the request's signal. */
async function bodyText(res: Response): Promise<string> {
    const reader = res.body?.getReader();
    if (reader === undefined) {
        return "";
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
        const r = await reader.read();
        if (r.done) {
            break;
        }
        chunks.push(r.value);
        size += r.value.byteLength;
        if (size >= BODY_MAX) {
            await reader.cancel().catch(() => undefined);
            break;
        }
    }
    return Buffer.concat(chunks).toString("utf8").slice(0, BODY_MAX);
}

/** Whether the address is one a webhook may be posted to: https, or http on 127.0.0.1 (a local stand-in). */
export function webhookUrlProblem(text: string): string | undefined {
    let u: URL;
    try {
        u = new URL(text);
    } catch {
        return "is not a URL";
    }
    if (u.username !== "" || u.password !== "") {
        return "carries a user name or password";
    }
    if (u.protocol === "https:" || (u.protocol === "http:" && u.hostname === "127.0.0.1")) {
        return undefined;
    }
    return "is not an https URL";
}

/** The status text of a failed answer, redacted: `HTTP 404 no_service`. */
function failure(status: number, body: string, url: string): string {
    const said = redact(body, url);
    return `HTTP ${status}${said === "" ? "" : ` ${said}`}`;
}

/**
 * Posts a payload to a webhook, as its channel's contract says; never throws. Retried: no answer in
 * time, a network error, 408, 429 (after its Retry-After, capped), 5xx, and a Teams connector's
 * "HTTP error 429" in a 2xx body. Not retried: any other answer (a 4xx names a problem another
 * attempt will not mend). Redirects are not followed (a webhook does not redirect).
 */
export async function postWebhook(channel: Channel, url: string, payload: unknown, options: PostOptions = {}): Promise<PostResult> {
    const attempts = Math.max(1, options.attempts ?? 3);
    const timeoutMs = options.timeoutMs ?? 10000;
    const cap = options.retryAfterCapMs ?? 20000;
    const backoff = options.backoffMs ?? 1000;
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const problem = webhookUrlProblem(url);
    if (problem !== undefined) {
        return { ok: false, attempts: 0, reason: `the ${CHANNEL_NAME[channel]} webhook ${problem}: not posted` };
    }
    const body = JSON.stringify(payload);
    let reason = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
        let wait = backoff * 2 ** (attempt - 1);
        let retry = true;
        try {
            const signal = AbortSignal.timeout(timeoutMs);
            const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body, redirect: "manual", signal });
            const text = await bodyText(res);
            if (res.status >= 200 && res.status < 300) {
                if (channel === "teams" && /HTTP error 429/i.test(text)) {
                    reason = "throttled (the connector answered HTTP error 429)";
                } else if (channel === "slack" && res.status !== 200) {
                    // Slack documents 200 as its only success.
                    reason = failure(res.status, text, url);
                    retry = false;
                } else {
                    return { ok: true, attempts: attempt, status: res.status };
                }
            } else {
                reason = failure(res.status, text, url);
                if (res.status === 429) {
                    const after = retryAfterMs(res.headers.get("retry-after"));
                    if (after !== undefined) {
                        wait = Math.min(after, cap);
                    }
                } else if (res.status !== 408 && res.status < 500) {
                    retry = false;
                }
            }
        } catch (e) {
            const err = e as { name?: string; cause?: { code?: string; message?: string } };
            reason =
                err.name === "TimeoutError" || err.name === "AbortError"
                    ? `no answer within ${timeoutMs / 1000} s`
                    : `cannot reach the ${CHANNEL_NAME[channel]} webhook (${redact(String(err.cause?.code ?? err.cause?.message ?? err.name ?? "error"), url)})`;
        }
        if (!retry || attempt === attempts) {
            return { ok: false, attempts: attempt, reason };
        }
        await sleep(wait);
    }
    return { ok: false, attempts, reason }; // not reached
}

// ---------------------------------------------------------------------------------------------
// The command.
// ---------------------------------------------------------------------------------------------

/** The options of `notify`, as commander gives them. */
export interface NotifyOptions {
    readonly stack: string;
    readonly event: string;
    readonly previous?: string;
    readonly verdict?: string;
    readonly command?: string;
    readonly runUrl?: string;
    readonly timeout?: string;
    readonly strict?: boolean;
    readonly now?: string;
}

/** What `notify` needs from the world; tests give their own. */
export interface NotifyDeps {
    readonly out: Writer;
    readonly err: Writer;
    readonly env: NodeJS.ProcessEnv;
    /** The posts' patience, for tests (the timeout is --timeout's). */
    readonly post?: Omit<PostOptions, "timeoutMs">;
}

/** The run of the workflow this job is part of, from GitHub's variables. */
function runUrlOf(env: NodeJS.ProcessEnv): string | undefined {
    const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: id } = env;
    return server && repo && id ? `${server}/${repo}/actions/runs/${id}` : undefined;
}

function oneOf<T extends string>(option: string, value: string | undefined, allowed: readonly T[]): T | undefined {
    if (value === undefined) {
        return undefined;
    }
    if (!(allowed as readonly string[]).includes(value)) {
        throw new UsageError(`${option} ${JSON.stringify(clean(value, 40))} is not allowed; allowed: ${allowed.join(", ")}`);
    }
    return value as T;
}

/** What is deployed, from --previous; undefined (and a warning) when it cannot be read: the message goes out without it. */
function stateOf(opts: NotifyOptions, at: Date, err: Writer): RolloutState | undefined {
    if (opts.previous === undefined) {
        return undefined;
    }
    try {
        const outputs = readOutputsFile(opts.previous, { option: "--previous", stack: opts.stack, now: at });
        const state = readRolloutState(outputs.rollout);
        if (state === undefined) {
            err.write(`slotshift notify: warning: --previous ${clean(opts.previous)} has no rollout output; the message names no versions\n`);
        }
        return state;
    } catch (e) {
        err.write(`slotshift notify: warning: ${clean((e as Error).message, 300)}; the message names no versions\n`);
        return undefined;
    }
}

/** The message as Markdown for the job summary. */
function summaryOf(m: NotificationMessage): string {
    const md = (t: string) => t.replace(/([\\`*[\]<>|])/g, "\\$1");
    return [`### ${md(m.title)}`, "", ...m.lines.map((l) => (l.startsWith("run: ") ? `- run: ${l.slice(5)}` : `- ${md(l)}`)), ""].join("\n");
}

/** Runs `notify`; returns the exit code. Bad options throw UsageError (exit 2); a failed post never throws. */
export async function notifyCommand(opts: NotifyOptions, deps: NotifyDeps): Promise<number> {
    const { out, err, env } = deps;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(opts.stack)) {
        throw new UsageError(`--stack ${JSON.stringify(clean(opts.stack, 40))} is not a stack name ([A-Za-z0-9][A-Za-z0-9_.-]*, at most 100 characters)`);
    }
    const event = oneOf("--event", opts.event, NOTIFY_EVENTS)!;
    const verdict = oneOf("--verdict", opts.verdict === "" ? undefined : opts.verdict, NOTIFY_VERDICTS);
    let timeoutMs = 10000;
    if (opts.timeout !== undefined) {
        if (!/^[0-9]{1,2}$/.test(opts.timeout) || Number(opts.timeout) < 1 || Number(opts.timeout) > 60) {
            throw new UsageError(`--timeout ${JSON.stringify(clean(opts.timeout, 20))} is not allowed; allowed: whole seconds from 1 to 60 that one request may take (default 10)`);
        }
        timeoutMs = Number(opts.timeout) * 1000;
    }
    const runUrl = opts.runUrl === undefined || opts.runUrl === "" ? runUrlOf(env) : opts.runUrl;
    if (runUrl !== undefined && runLink(runUrl) === undefined) {
        err.write(`slotshift notify: warning: --run-url is not an http(s) URL of at most ${URL_MAX} characters; the message has no run link\n`);
    }
    const at = opts.now === undefined ? new Date() : parseNow(opts.now);
    const state = stateOf(opts, at, err);
    const message = notificationMessage({ stack: opts.stack, event, command: opts.command, state, verdict, runUrl, at });

    out.write(`${message.text}\n\n`);
    const summary = env.GITHUB_STEP_SUMMARY;
    const appendSummary = (text: string) => {
        if (summary) {
            try {
                fs.appendFileSync(summary, text);
            } catch (e) {
                err.write(`slotshift notify: warning: the job summary could not be written (${(e as NodeJS.ErrnoException).code ?? "error"})\n`);
            }
        }
    };
    appendSummary(summaryOf(message));

    const targets = (["teams", "slack"] as const).filter((c) => (env[NOTIFY_ENV[c]] ?? "").trim() !== "");
    if (targets.length === 0) {
        out.write(`no webhook configured (${NOTIFY_ENV.teams}, ${NOTIFY_ENV.slack}): the job summary only\n`);
        appendSummary("\n");
        return 0;
    }
    const post = { ...deps.post, timeoutMs };
    const results = await Promise.all(
        targets.map(async (c) => {
            const url = env[NOTIFY_ENV[c]]!.trim();
            const payload = c === "slack" ? slackPayload(message) : teamsPayload(message, runUrl);
            return { channel: c, result: await postWebhook(c, url, payload, post) };
        }),
    );
    const lines = results.map(({ channel, result }) =>
        result.ok
            ? `notified ${CHANNEL_NAME[channel]}`
            : `${CHANNEL_NAME[channel]}: not notified: ${result.reason}${result.attempts > 0 ? ` (after ${result.attempts} attempt${result.attempts === 1 ? "" : "s"})` : ""}`,
    );
    for (const line of lines) {
        out.write(`${line}\n`);
    }
    appendSummary(`\n${lines.map((l) => `- ${l.replace(/([\\`*[\]<>|])/g, "\\$1")}`).join("\n")}\n\n`);
    const failed = results.some((r) => !r.result.ok);
    return failed && opts.strict ? NOTIFY_EXIT.failed : 0;
}

/**
 * Adds `notify` to the slotshift command. `setCode` receives its exit code; a bad option throws
 * UsageError out of `parseAsync`, as every command's does (cli/main.ts makes it exit 2).
 */
export function registerNotify(program: Command, io: { out: Writer; err: Writer; env: NodeJS.ProcessEnv }, setCode: (code: number) => void, post?: NotifyDeps["post"]): void {
    program
        .command("notify")
        .description("post a short message on a step, a rollback or a failed analysis to the stack's Teams and Slack webhooks, and to the job summary; exit 0 even when a post fails")
        .requiredOption("-s, --stack <stack>", "the stack the message is about")
        .requiredOption("--event <event>", `what happened: ${NOTIFY_EVENTS.join(", ")}`)
        .option("--previous <file>", "the stack's outputs after the event (pulumi stack output --json): the versions and weights named; without it, none")
        .option("--verdict <verdict>", `the analysis verdict: ${NOTIFY_VERDICTS.join(", ")}`)
        .option("--command <command>", "the slotshift command the job ran, e.g. 'next --stack prod'")
        .option("--run-url <url>", "the link to the run (default: from GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_RUN_ID)")
        .option("--timeout <seconds>", "the longest one request may take (default 10; 3 attempts in all)")
        .option("--strict", `exit ${NOTIFY_EXIT.failed} when any post failed`)
        .addOption(new Option("--now <time>", "as at this ISO 8601 time").hideHelp())
        .addHelpText(
            "after",
            `\nWebhooks: ${NOTIFY_ENV.teams} (a Teams Workflows webhook: an Adaptive Card) and ${NOTIFY_ENV.slack} (a Slack incoming webhook: { text }), ` +
                "each posted when set; https only. Their URLs are never printed. The message is always appended to $GITHUB_STEP_SUMMARY when set.",
        )
        .action(async function (this: Command) {
            setCode(await notifyCommand(this.opts<NotifyOptions>(), { ...io, post }));
        });
}
