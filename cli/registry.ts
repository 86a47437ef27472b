/**
 * Resolves `repository:tag` to its manifest digest over the OCI Distribution API, with Node's
 * own fetch: no Docker engine, no Docker SDK. `slotshift start --resolve-digest` writes the
 * digest into the stack file, so `pulumi preview` and `up` need no registry lookup (and no
 * Docker provider, which pings a Docker daemon: pulumi/pulumi-docker#1106).
 *
 * The wire, as the specs give it:
 * - `HEAD /v2/<name>/manifests/<tag>` with `Accept` for the OCI image index and manifest and the
 *   Docker manifest list and v2 manifest. A 200 "MUST contain the digest of the uploaded blob or
 *   manifest in the header `Docker-Content-Digest`"; registries of earlier spec versions may leave
 *   it out (OCI distribution-spec v1.1.1, spec.md, "Checking if content exists in the registry").
 *   Then a `GET` of the same URL and the sha256 of the body; when a GET carries the header, "the
 *   client MUST verify the value matches the returned manifest" ("Pulling manifests").
 * - A missing manifest is `404 Not Found` (both sections).
 * - `401` with `WWW-Authenticate: Bearer realm="...",service="...",scope="..."`: `GET` the realm
 *   with `service` and each `scope`, with HTTP Basic credentials or none, and retry with
 *   `Authorization: Bearer <token>`; the response's token is `token`, or `access_token` "for
 *   compatibility with OAuth 2.0", at least one present (distribution/distribution
 *   docs/content/spec/auth/token.md, the same text as docs.docker.com/reference/api/registry/auth).
 *   GHCR's realm is https://ghcr.io/token and answers `token` (the password: a personal access
 *   token (classic) with `read:packages`, or GITHUB_TOKEN in Actions, per docs.github.com "Working
 *   with the Container registry"); Docker Hub's is https://auth.docker.io/token; ACR's
 *   /oauth2/token answers `access_token` only (learn.microsoft.com, ACR REST "Access Tokens - Get
 *   From Login").
 * - Redirects are followed, and `Authorization` is never forwarded to another host (spec.md, "API").
 * - `429 Too Many Requests` "SHOULD include a `Retry-After` header" (spec.md, "Error Codes"): one
 *   retry when the wait is short, else a clear error saying when to try again.
 *
 * Bounded: each request has a timeout, the whole lookup a deadline and a request budget; bodies
 * are read up to a cap. Errors are one line naming the image, the tag, the registry's status and
 * what to do, never a credential.
 */
import { createHash } from "crypto";
import { STATUS_CODES } from "http";
import { UsageError } from "./stackFile";

/** The manifest media types asked for, most specific first. */
export const MANIFEST_MEDIA_TYPES = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
] as const;

/** The environment variables of the registry lookup. */
export const REGISTRY_ENV = {
    username: "SLOTSHIFT_REGISTRY_USERNAME",
    password: "SLOTSHIFT_REGISTRY_PASSWORD",
    /** `http(s)://host[:port]`: replaces `https://<registry>` (tests, a mirror). */
    url: "SLOTSHIFT_REGISTRY_URL",
} as const;

/** The registry failed the lookup: not found, denied, rate limited, unreachable, timed out. */
export class RegistryError extends Error {
    constructor(
        message: string,
        /** The registry's HTTP status, when it answered. */
        readonly status?: number,
    ) {
        super(message);
        this.name = "RegistryError";
    }
}

/** Basic credentials for the token service (or a registry asking for Basic). */
export interface RegistryCredentials {
    readonly username: string;
    readonly password: string;
}

/** The credentials in the environment; both variables or neither. */
export function registryCredentials(env: NodeJS.ProcessEnv): RegistryCredentials | undefined {
    const username = env[REGISTRY_ENV.username] ?? "";
    const password = env[REGISTRY_ENV.password] ?? "";
    if (username === "" && password === "") {
        return undefined;
    }
    if (username === "" || password === "") {
        const missing = username === "" ? REGISTRY_ENV.username : REGISTRY_ENV.password;
        throw new UsageError(`${missing} is empty: set both ${REGISTRY_ENV.username} and ${REGISTRY_ENV.password}, or neither for an anonymous lookup`);
    }
    return { username, password };
}

/** Where a repository lives: the registry host, the repository name on it, the URL to call. */
export interface RegistryLocation {
    /** The registry host (`registry-1.docker.io` for Docker Hub). */
    readonly host: string;
    /** The `<name>` of the API paths (`library/nginx` for Docker Hub's `nginx`). */
    readonly name: string;
    /** `https://<host>`, or the override, without a trailing slash. */
    readonly base: string;
}

/**
 * Splits `[host[:port]/]path` as Docker does: the first component is a host when it holds a `.`
 * or a `:` or is `localhost`; otherwise the image is on Docker Hub, whose API host is
 * `registry-1.docker.io` and whose single-name images are under `library/`.
 */
export function registryLocation(repository: string, baseUrl?: string): RegistryLocation {
    const slash = repository.indexOf("/");
    const first = slash === -1 ? "" : repository.slice(0, slash);
    const explicit = first !== "" && (first.includes(".") || first.includes(":") || first === "localhost");
    let host = explicit ? first : "docker.io";
    let name = explicit ? repository.slice(slash + 1) : repository;
    if (host === "docker.io" || host === "index.docker.io") {
        host = "registry-1.docker.io";
        if (!name.includes("/")) {
            name = `library/${name}`;
        }
    }
    let base = `https://${host}`;
    if (baseUrl !== undefined && baseUrl !== "") {
        let url: URL;
        try {
            url = new URL(baseUrl);
        } catch {
            throw new UsageError(`${REGISTRY_ENV.url} ${JSON.stringify(baseUrl)} is not a URL; allowed: http(s)://host[:port]`);
        }
        if ((url.protocol !== "https:" && url.protocol !== "http:") || url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
            throw new UsageError(`${REGISTRY_ENV.url} must be http(s)://host[:port][/path] without credentials, query or fragment`);
        }
        base = url.toString().replace(/\/+$/, "");
    }
    return { host, name, base };
}

/** Options of a lookup; the defaults suit a CI job. */
export interface ResolveOptions {
    /** Where credentials and the URL override come from. @default process.env */
    readonly env?: NodeJS.ProcessEnv;
    /** Replaces `https://<registry>`; else `SLOTSHIFT_REGISTRY_URL`. */
    readonly baseUrl?: string;
    /** Each request's timeout, ms. @default 20000 */
    readonly timeoutMs?: number;
    /** The whole lookup's deadline, ms, waits included. @default 60000 */
    readonly deadlineMs?: number;
    /** Requests at most, redirects, token and retry included. @default 8 */
    readonly maxRequests?: number;
    /** The longest `Retry-After` waited out once on a 429, seconds. @default 10 */
    readonly maxRetryAfterSeconds?: number;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** Registries must accept manifests of at least 4 MiB (spec.md, "Pushing Manifests"); read no more. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_TOKEN_BYTES = 1024 * 1024;

/** The status as `404 Not Found`. */
function statusText(status: number): string {
    return `${status} ${STATUS_CODES[status] ?? ""}`.trim();
}

/** A host name that is this machine: the only place a plain-http token service may get credentials. */
function isLoopback(hostname: string): boolean {
    return hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** A `WWW-Authenticate` challenge: the scheme (lowercase) and its auth-params. */
export interface Challenge {
    readonly scheme: string;
    readonly params: Readonly<Record<string, string>>;
}

/**
 * Parses the first challenge of a `WWW-Authenticate` value (RFC 9110 §11.6.1):
 * `Bearer realm="https://x/token",service="x",scope="repository:a/b:pull"`. Quoted values may
 * hold commas and escaped quotes; parameter names are case-insensitive.
 */
export function parseChallenge(header: string | null): Challenge | undefined {
    if (header === null) {
        return undefined;
    }
    const m = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?:\s+|$)/.exec(header);
    if (!m) {
        return undefined;
    }
    const params: Record<string, string> = {};
    let rest = header.slice(m[0].length);
    const param = /^\s*,?\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*/;
    for (;;) {
        const p = param.exec(rest);
        if (!p) {
            break;
        }
        params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3];
        rest = rest.slice(p[0].length);
    }
    return { scheme: m[1].toLowerCase(), params };
}

/** `Retry-After` in seconds: delta-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function retryAfterSeconds(value: string | null, now: number = Date.now()): number | undefined {
    if (value === null) {
        return undefined;
    }
    const v = value.trim();
    if (/^[0-9]+$/.test(v)) {
        return Number(v);
    }
    const at = Date.parse(v);
    return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Drops a body we will not read, so its connection is freed. */
async function discard(res: Response): Promise<void> {
    try {
        await res.body?.cancel();
    } catch {
        // already closed or aborted
    }
}

/** One lookup's requests: the budget, the deadline, the timeouts, the redirects. */
class Session {
    private count = 0;
    private readonly deadline: number;

    constructor(
        private readonly fail: (what: string, status?: number) => RegistryError,
        private readonly timeoutMs: number,
        deadlineMs: number,
        private readonly maxRequests: number,
    ) {
        this.deadline = Date.now() + deadlineMs;
    }

    /** Milliseconds left before the deadline. */
    remaining(): number {
        return this.deadline - Date.now();
    }

    /** A request, its redirects followed (never carrying Authorization to another origin). */
    async request(url: URL, method: "HEAD" | "GET", headers: Record<string, string>): Promise<Response> {
        let current = url;
        let h = { ...headers };
        for (;;) {
            if (this.count >= this.maxRequests) {
                throw this.fail(`gave up after ${this.maxRequests} requests (last: ${method} ${current.host}${current.pathname}): try again, or check the registry for a redirect loop`);
            }
            this.count++;
            const ms = Math.min(this.timeoutMs, this.remaining());
            if (ms <= 0) {
                throw this.fail(`no answer from ${current.host} within the lookup's deadline: check the network or the registry's status, then try again`);
            }
            let res: Response;
            try {
                res = await fetch(current, { method, headers: h, redirect: "manual", signal: AbortSignal.timeout(ms) });
            } catch (e) {
                throw this.networkError(e, current, ms);
            }
            const location = res.headers.get("location");
            if ([301, 302, 303, 307, 308].includes(res.status) && location !== null) {
                await discard(res);
                let next: URL;
                try {
                    next = new URL(location, current);
                } catch {
                    throw this.fail(`${current.host} redirected to an invalid URL (${statusText(res.status)})`, res.status);
                }
                if (next.protocol !== "https:" && next.protocol !== "http:") {
                    throw this.fail(`${current.host} redirected to a ${next.protocol} URL (${statusText(res.status)})`, res.status);
                }
                if (next.origin !== current.origin) {
                    h = { ...h };
                    delete h.Authorization;
                }
                current = next;
                continue;
            }
            return res;
        }
    }

    /** The body as bytes, at most `max`, within the request's timeout. */
    async body(res: Response, url: URL, max: number): Promise<Buffer> {
        const declared = Number(res.headers.get("content-length") ?? "NaN");
        if (declared > max) {
            await discard(res);
            throw this.fail(`${url.host} sent ${declared} bytes for ${url.pathname}; at most ${max} are read`);
        }
        const chunks: Buffer[] = [];
        let size = 0;
        try {
            const reader = res.body?.getReader();
            for (;;) {
                const r = reader ? await reader.read() : { done: true as const, value: undefined };
                if (r.done) {
                    break;
                }
                size += r.value.byteLength;
                if (size > max) {
                    await reader!.cancel();
                    throw this.fail(`${url.host} sent more than ${max} bytes for ${url.pathname}`);
                }
                chunks.push(Buffer.from(r.value));
            }
        } catch (e) {
            if (e instanceof RegistryError) {
                throw e;
            }
            throw this.networkError(e, url, this.timeoutMs);
        }
        return Buffer.concat(chunks);
    }

    private networkError(e: unknown, url: URL, ms: number): RegistryError {
        const err = e as { name?: string; cause?: { code?: string; name?: string } };
        if (err.name === "TimeoutError" || err.name === "AbortError" || err.cause?.name === "TimeoutError") {
            return this.fail(`no answer from ${url.host} within ${ms / 1000} s: check the network or the registry's status, then try again`);
        }
        const code = err.cause?.code ?? err.name ?? "error";
        return this.fail(`cannot reach ${url.host} (${code}): check the host name, the network and any proxy, then try again`);
    }
}

/**
 * The digest (`sha256:<64 hex>`) of `repository:tag` as the registry stores it: the digest of the
 * manifest or image index the tag names, which is what `repository@sha256:...` pulls.
 */
export async function resolveDigest(repository: string, tag: string, options: ResolveOptions = {}): Promise<string> {
    const env = options.env ?? process.env;
    const ref = `${repository}:${tag}`;
    if (!TAG.test(tag)) {
        throw new UsageError(`cannot resolve ${ref}: ${JSON.stringify(tag)} is not an image tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})`);
    }
    const creds = registryCredentials(env);
    const loc = registryLocation(repository, options.baseUrl ?? env[REGISTRY_ENV.url]);
    const fail = (what: string, status?: number) => new RegistryError(`cannot resolve the digest of ${ref}: ${what}`, status);
    const session = new Session(fail, options.timeoutMs ?? 20000, options.deadlineMs ?? 60000, options.maxRequests ?? 8);
    const maxWait = options.maxRetryAfterSeconds ?? 10;
    const manifestUrl = new URL(`${loc.base}/v2/${loc.name}/manifests/${tag}`);
    /** The registry as called (the override's host:port in tests). */
    const where = manifestUrl.host;
    const setVars = `set ${REGISTRY_ENV.username} and ${REGISTRY_ENV.password} (GHCR: a token with read:packages)`;
    const checkVars = `${REGISTRY_ENV.username} / ${REGISTRY_ENV.password} were refused: check them (GHCR: a personal access token (classic) with read:packages, or GITHUB_TOKEN with the package's read access)`;

    /** What a final status means for this lookup. */
    const statusError = (res: Response, from: string): RegistryError => {
        const s = statusText(res.status);
        switch (res.status) {
            case 404:
                return fail(`the deploy tag ${tag} is not in ${repository}: was the image pushed? (${from}: ${s}${creds ? "" : `; a private image also answers so to an anonymous lookup: ${setVars}`})`, 404);
            case 401:
                return fail(`${from} answered ${s}: ${creds ? checkVars : `${repository} needs credentials: ${setVars}`}`, 401);
            case 403:
                return fail(`${from} answered ${s}: ${creds ? `the user in ${REGISTRY_ENV.username} may not read ${repository}: grant it read access` : `${repository} needs credentials: ${setVars}`}`, 403);
            case 429: {
                const after = res.headers.get("retry-after");
                return fail(`${from} is rate limiting (${s}${after === null ? "" : `, Retry-After ${after.trim()}`}): try again ${after === null ? "later" : `after ${after.trim()}${/^[0-9]+$/.test(after.trim()) ? " s" : ""}`}${creds ? "" : `, or ${setVars} for a higher limit`}`, 429);
            }
            default:
                return fail(`${from} answered ${s}: ${res.status >= 500 ? "the registry failed; try again later" : "unexpected for a manifest lookup; check the image repository in slotshift:app.image"}`, res.status);
        }
    };

    /** A Bearer token from the challenge's realm. */
    const token = async (challenge: Challenge): Promise<string> => {
        const realm = challenge.params.realm;
        let url: URL;
        try {
            url = new URL(realm ?? "");
        } catch {
            throw fail(`${where} asked for a Bearer token without a usable realm (${JSON.stringify(realm ?? "")})`, 401);
        }
        if (url.protocol !== "https:" && url.protocol !== "http:") {
            throw fail(`${where}'s token realm is a ${url.protocol} URL; allowed: https`, 401);
        }
        if (creds && url.protocol === "http:" && !isLoopback(url.hostname)) {
            throw fail(`${where}'s token realm ${url.host} is plain http: credentials are sent over https only`, 401);
        }
        if (challenge.params.service !== undefined) {
            url.searchParams.set("service", challenge.params.service);
        }
        const scopes = (challenge.params.scope ?? `repository:${loc.name}:pull`).split(" ").filter((s) => s !== "");
        for (const scope of scopes) {
            url.searchParams.append("scope", scope);
        }
        const headers: Record<string, string> = { Accept: "application/json" };
        if (creds) {
            headers.Authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
        }
        const res = await session.request(url, "GET", headers);
        if (res.status !== 200) {
            await discard(res);
            throw statusError(res, `the token service ${url.host}`);
        }
        const text = (await session.body(res, url, MAX_TOKEN_BYTES)).toString("utf8");
        let body: { token?: unknown; access_token?: unknown };
        try {
            body = JSON.parse(text) as typeof body;
        } catch {
            throw fail(`the token service ${url.host} answered 200 without JSON: is ${url.origin} a registry token service?`);
        }
        const t = typeof body.token === "string" && body.token !== "" ? body.token : typeof body.access_token === "string" && body.access_token !== "" ? body.access_token : undefined;
        if (t === undefined) {
            throw fail(`the token service ${url.host} answered 200 with neither "token" nor "access_token"`);
        }
        return t;
    };

    const accept = MANIFEST_MEDIA_TYPES.join(", ");
    let authorization: string | undefined;
    let authenticated = false;
    let waited = false;
    let method: "HEAD" | "GET" = "HEAD";
    for (;;) {
        const headers: Record<string, string> = { Accept: accept };
        if (authorization !== undefined) {
            headers.Authorization = authorization;
        }
        const res = await session.request(manifestUrl, method, headers);
        if (res.status === 200) {
            const header = res.headers.get("docker-content-digest")?.trim() ?? "";
            if (method === "HEAD") {
                await discard(res);
                if (DIGEST.test(header)) {
                    return header;
                }
                // An earlier-spec registry (no header) or another algorithm: hash the manifest itself.
                method = "GET";
                continue;
            }
            const body = await session.body(res, manifestUrl, MAX_MANIFEST_BYTES);
            if (body.length === 0) {
                throw fail(`${where} answered GET with an empty manifest (${statusText(200)})`, 200);
            }
            const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
            if (header.startsWith("sha256:") && header !== digest) {
                throw fail(`${where} says Docker-Content-Digest ${header} but the manifest it sent hashes to ${digest}: try again, or ask the registry's operators`, 200);
            }
            return digest;
        }
        if (res.status === 401 && !authenticated) {
            authenticated = true;
            const challenge = parseChallenge(res.headers.get("www-authenticate"));
            await discard(res);
            if (challenge?.scheme === "bearer") {
                authorization = `Bearer ${await token(challenge)}`;
                continue;
            }
            if (challenge?.scheme === "basic" && creds) {
                if (manifestUrl.protocol === "http:" && !isLoopback(manifestUrl.hostname)) {
                    throw fail(`${where} asks for Basic credentials over plain http: credentials are sent over https only`, 401);
                }
                authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
                continue;
            }
            throw statusError(res, where);
        }
        if (res.status === 429 && !waited) {
            const wait = retryAfterSeconds(res.headers.get("retry-after"));
            if (wait !== undefined && wait <= maxWait && wait * 1000 < session.remaining()) {
                waited = true;
                await discard(res);
                await new Promise((r) => setTimeout(r, wait * 1000));
                continue;
            }
        }
        await discard(res);
        throw statusError(res, where);
    }
}
