import { expect } from "chai";
import { createHash } from "crypto";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { MANIFEST_MEDIA_TYPES, RegistryError, parseChallenge, registryLocation, resolveDigest, retryAfterSeconds } from "../cli/registry";
import { UsageError } from "../cli/stackFile";
import { configEdit, editText } from "../cli/stackEdit";
import { ROOT, runCli } from "./helpers";

/** One request as the server saw it. */
interface Seen {
    readonly method: string;
    readonly path: string;
    readonly query: URLSearchParams;
    readonly authorization?: string;
    readonly accept?: string;
}

interface Server {
    readonly base: string;
    readonly seen: Seen[];
    close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL, base: string) => void;

/** A real HTTP server on 127.0.0.1 recording every request. */
async function serve(handle: Handler): Promise<Server> {
    const seen: Seen[] = [];
    let base = "";
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", base);
        seen.push({ method: req.method ?? "", path: url.pathname, query: url.searchParams, authorization: req.headers.authorization, accept: req.headers.accept });
        handle(req, res, url, base);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
        base,
        seen,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

const NAME = "nextgen-market/nextgen-market";
const IMAGE = `ghcr.io/${NAME}`;
/** A multi-platform image index, as `docker buildx` pushes it. */
const INDEX = Buffer.from(
    JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [
            {
                mediaType: "application/vnd.oci.image.manifest.v1+json",
                digest: `sha256:${"ab".repeat(32)}`,
                size: 1234,
                platform: { architecture: "amd64", os: "linux" },
            },
        ],
    }),
);
const INDEX_DIGEST = `sha256:${createHash("sha256").update(INDEX).digest("hex")}`;
const USER = "deployer";
const PASSWORD = "ghp_s3cretPersonalAccessToken";
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;

interface RegistryModel {
    /** Tags the repository holds. @default { "main-abcdef1", "1.1.0-e4f5a6b" } */
    readonly tags?: readonly string[];
    /** Pulls need these credentials (the token service checks them); otherwise anonymous tokens pull. */
    readonly private?: boolean;
    /** The token response's field. @default "token" (GHCR and Docker Hub both send it) */
    readonly tokenField?: "token" | "access_token";
    /** Whether HEAD carries Docker-Content-Digest. @default true */
    readonly headDigest?: boolean;
    /** What GET says in Docker-Content-Digest. @default the true digest */
    readonly getDigest?: string;
}

/**
 * A registry speaking the documented wire format: the manifest endpoints want a Bearer token and
 * answer 401 with a challenge naming the realm, the service and the scope; the realm answers
 * `{ "token": ... }` for a valid Basic login (or anonymous, for a public repository).
 */
function registry(model: RegistryModel = {}): Handler {
    const tags = model.tags ?? ["main-abcdef1", "1.1.0-e4f5a6b"];
    const tokens = new Set<string>();
    return (req, res, url, base) => {
        const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
            const text = JSON.stringify(body);
            res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
            res.end(req.method === "HEAD" ? undefined : text);
        };
        if (url.pathname === "/token") {
            const basic = req.headers.authorization;
            if (basic !== undefined && basic !== BASIC) {
                return json(401, { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] });
            }
            const grants = basic === BASIC || !model.private;
            const token = `tok-${tokens.size + 1}-${grants ? "pull" : "none"}`;
            tokens.add(token);
            return json(200, { [model.tokenField ?? "token"]: token, expires_in: 300, issued_at: new Date().toISOString() });
        }
        const m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
        if (!m || m[1] !== NAME) {
            return json(404, { errors: [{ code: "NAME_UNKNOWN", message: "repository name not known to registry" }] });
        }
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
        if (bearer === undefined || !tokens.has(bearer) || bearer.endsWith("-none")) {
            return json(
                401,
                { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] },
                { "WWW-Authenticate": `Bearer realm="${base}/token",service="registry.test",scope="repository:${NAME}:pull"` },
            );
        }
        if (!tags.includes(m[2])) {
            return json(404, { errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] });
        }
        const headers: Record<string, string | number> = { "Content-Type": "application/vnd.oci.image.index.v1+json", "Content-Length": INDEX.length };
        if (req.method === "HEAD" && model.headDigest !== false) {
            headers["Docker-Content-Digest"] = INDEX_DIGEST;
        }
        if (req.method === "GET") {
            headers["Docker-Content-Digest"] = model.getDigest ?? INDEX_DIGEST;
        }
        res.writeHead(200, headers);
        res.end(req.method === "HEAD" ? undefined : INDEX);
    };
}

/** Every server a test started is closed after it. */
const servers: Server[] = [];
async function start(handle: Handler): Promise<Server> {
    const s = await serve(handle);
    servers.push(s);
    return s;
}
afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** The RegistryError a lookup throws. */
async function failure(p: Promise<unknown>): Promise<RegistryError> {
    try {
        await p;
    } catch (e) {
        expect(e).to.be.instanceOf(RegistryError);
        return e as RegistryError;
    }
    throw new Error("the lookup succeeded");
}

describe("the registry digest lookup (OCI distribution API)", () => {
    it("anonymous: 401 with a Bearer challenge, a token from the realm, HEAD again with it, the Docker-Content-Digest", async () => {
        const s = await start(registry());
        const digest = await resolveDigest(IMAGE, "main-abcdef1", { env: {}, baseUrl: s.base });
        expect(digest).to.equal(INDEX_DIGEST);
        expect(s.seen.map((r) => `${r.method} ${r.path}`)).to.deep.equal([`HEAD /v2/${NAME}/manifests/main-abcdef1`, "GET /token", `HEAD /v2/${NAME}/manifests/main-abcdef1`]);
        expect(s.seen[0].authorization).to.equal(undefined);
        expect(s.seen[1].authorization, "an anonymous token request").to.equal(undefined);
        expect(s.seen[1].query.get("service")).to.equal("registry.test");
        expect(s.seen[1].query.getAll("scope")).to.deep.equal([`repository:${NAME}:pull`]);
        expect(s.seen[2].authorization).to.equal("Bearer tok-1-pull");
        for (const type of MANIFEST_MEDIA_TYPES) {
            expect(s.seen[0].accept).to.contain(type);
        }
    });

    it("takes access_token when the token service answers OAuth 2.0 style", async () => {
        const s = await start(registry({ tokenField: "access_token" }));
        expect(await resolveDigest(IMAGE, "main-abcdef1", { env: {}, baseUrl: s.base })).to.equal(INDEX_DIGEST);
        expect(s.seen[2].authorization).to.equal("Bearer tok-1-pull");
    });

    it("sends basic credentials to the token service only, and reads a private image with the token", async () => {
        const s = await start(registry({ private: true }));
        const env = { SLOTSHIFT_REGISTRY_USERNAME: USER, SLOTSHIFT_REGISTRY_PASSWORD: PASSWORD, SLOTSHIFT_REGISTRY_URL: s.base };
        expect(await resolveDigest(IMAGE, "main-abcdef1", { env })).to.equal(INDEX_DIGEST);
        const token = s.seen.filter((r) => r.path === "/token");
        expect(token.map((r) => r.authorization)).to.deep.equal([BASIC]);
        for (const r of s.seen.filter((x) => x.path !== "/token")) {
            expect(r.authorization ?? "", "a manifest request").not.to.match(/^Basic/);
        }
    });

    it("names the deploy tag and asks whether it was pushed on a 404", async () => {
        const s = await start(registry());
        const e = await failure(resolveDigest(IMAGE, "main-0000000", { env: {}, baseUrl: s.base }));
        expect(e.status).to.equal(404);
        expect(e.message).to.contain(`cannot resolve the digest of ${IMAGE}:main-0000000`);
        expect(e.message).to.contain(`the deploy tag main-0000000 is not in ${IMAGE}: was the image pushed?`);
        expect(e.message).to.contain("404 Not Found");
        expect(e.message.split("\n")).to.have.length(1);
    });

    it("says which variables to check when the token service refuses the credentials, and never shows them", async () => {
        const s = await start(registry({ private: true }));
        const env = { SLOTSHIFT_REGISTRY_USERNAME: USER, SLOTSHIFT_REGISTRY_PASSWORD: "wrong-password", SLOTSHIFT_REGISTRY_URL: s.base };
        const e = await failure(resolveDigest(IMAGE, "main-abcdef1", { env }));
        expect(e.status).to.equal(401);
        expect(e.message).to.match(/the token service 127\.0\.0\.1:\d+ answered 401 Unauthorized: SLOTSHIFT_REGISTRY_USERNAME \/ SLOTSHIFT_REGISTRY_PASSWORD were refused/);
        expect(e.message).to.contain("read:packages");
        expect(e.message).not.to.contain("wrong-password");
        expect(e.message).not.to.contain(Buffer.from(`${USER}:wrong-password`).toString("base64"));
        expect(s.seen.filter((r) => r.path === "/token")).to.have.length(1);
    });

    it("says which variables to set when an anonymous lookup of a private image is refused", async () => {
        const s = await start(registry({ private: true }));
        const e = await failure(resolveDigest(IMAGE, "main-abcdef1", { env: {}, baseUrl: s.base }));
        expect(e.status).to.equal(401);
        expect(e.message).to.contain("needs credentials: set SLOTSHIFT_REGISTRY_USERNAME and SLOTSHIFT_REGISTRY_PASSWORD (GHCR: a token with read:packages)");
        // One token, one retry: no loop.
        expect(s.seen.map((r) => r.method)).to.deep.equal(["HEAD", "GET", "HEAD"]);
    });

    it("gives up on a registry that never answers, within the timeout", async () => {
        const s = await start(() => {
            // accepts the connection, never answers
        });
        const t0 = Date.now();
        const e = await failure(resolveDigest(IMAGE, "main-abcdef1", { env: {}, baseUrl: s.base, timeoutMs: 300 }));
        expect(Date.now() - t0).to.be.lessThan(5000);
        expect(e.status).to.equal(undefined);
        expect(e.message).to.match(/no answer from 127\.0\.0\.1:\d+ within 0\.3 s: check the network/);
    });

    it("keeps to the whole lookup's deadline too", async () => {
        const s = await start(() => undefined);
        const t0 = Date.now();
        const e = await failure(resolveDigest(IMAGE, "main-abcdef1", { env: {}, baseUrl: s.base, timeoutMs: 20000, deadlineMs: 300 }));
        expect(Date.now() - t0).to.be.lessThan(5000);
        expect(e.message).to.contain("no answer from");
    });

    it("says so when nothing listens", async () => {
        const s = await start(registry());
        const base = s.base;
        await s.close();
        servers.splice(0);
        const e = await failure(resolveDigest(IMAGE, "main-abcdef1", { env: {}, baseUrl: base }));
        expect(e.message).to.match(/cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    });

    it("falls back to GET and the sha256 of the manifest when HEAD has no Docker-Content-Digest", async () => {
        const s = await start(registry({ headDigest: false }));
        expect(await resolveDigest(IMAGE, "main-abcdef1", { env: {}, baseUrl: s.base })).to.equal(INDEX_DIGEST);
        const last = s.seen[s.seen.length - 1];
        expect(`${last.method} ${last.path}`).to.equal(`GET /v2/${NAME}/manifests/main-abcdef1`);
        expect(last.authorization).to.equal("Bearer tok-1-pull");
    });

    it("refuses a GET whose Docker-Content-Digest does not match the manifest it sent", async () => {
        const s = await start(registry({ headDigest: false, getDigest: `sha256:${"0".repeat(64)}` }));
        const e = await failure(resolveDigest(IMAGE, "main-abcdef1", { env: {}, baseUrl: s.base }));
        expect(e.message).to.contain(`says Docker-Content-Digest sha256:${"0".repeat(64)} but the manifest it sent hashes to ${INDEX_DIGEST}`);
    });

    describe("429 Too Many Requests", () => {
        const limited = (retryAfter: string | undefined, times: number): Handler => {
            const inner = registry();
            let n = 0;
            return (req, res, url, base) => {
                if (url.pathname.includes("/manifests/") && n++ < times) {
                    res.writeHead(429, retryAfter === undefined ? {} : { "Retry-After": retryAfter });
                    res.end();
                    return;
                }
                inner(req, res, url, base);
            };
        };

        it("waits out a short Retry-After once, then goes on", async () => {
            const s = await start(limited("1", 1));
            const t0 = Date.now();
            expect(await resolveDigest(IMAGE, "main-abcdef1", { env: {}, baseUrl: s.base })).to.equal(INDEX_DIGEST);
            expect(Date.now() - t0).to.be.greaterThanOrEqual(950);
            expect(s.seen.filter((r) => r.method === "HEAD")).to.have.length(3);
        });

        it("fails at once, saying when to try again, when the wait is long", async () => {
            const s = await start(limited("120", 1));
            const t0 = Date.now();
            const e = await failure(resolveDigest(IMAGE, "main-abcdef1", { env: {}, baseUrl: s.base }));
            expect(Date.now() - t0).to.be.lessThan(2000);
            expect(e.status).to.equal(429);
            expect(e.message).to.match(/is rate limiting \(429 Too Many Requests, Retry-After 120\): try again after 120 s/);
            expect(s.seen).to.have.length(1);
        });

        it("retries only once", async () => {
            const s = await start(limited("0", 5));
            const e = await failure(resolveDigest(IMAGE, "main-abcdef1", { env: {}, baseUrl: s.base }));
            expect(e.status).to.equal(429);
            expect(s.seen).to.have.length(2);
        });
    });

    it("follows a redirect, and never carries Authorization to another host", async () => {
        const target = await start(registry());
        const front = await start((_req, res, url) => {
            res.writeHead(307, { Location: `${target.base}${url.pathname}${url.search}` });
            res.end();
        });
        // The token comes from the target's realm; the front only redirects.
        const e = await failure(resolveDigest(IMAGE, "main-abcdef1", { env: {}, baseUrl: front.base }));
        // Each HEAD to the front carries what we have; the target never sees it.
        expect(e.status).to.equal(401);
        expect(target.seen.filter((r) => r.path.includes("/manifests/")).every((r) => r.authorization === undefined)).to.equal(true);
        expect(front.seen.some((r) => r.authorization === "Bearer tok-1-pull")).to.equal(true);
    });

    it("stops after its request budget (a redirect loop)", async () => {
        const s = await start((_req, res, url) => {
            res.writeHead(302, { Location: url.pathname });
            res.end();
        });
        const e = await failure(resolveDigest(IMAGE, "main-abcdef1", { env: {}, baseUrl: s.base, maxRequests: 5 }));
        expect(e.message).to.contain("gave up after 5 requests");
        expect(s.seen).to.have.length(5);
    });

    it("maps Docker Hub names to registry-1.docker.io and library/", () => {
        expect(registryLocation("nginx")).to.deep.equal({ host: "registry-1.docker.io", name: "library/nginx", base: "https://registry-1.docker.io" });
        expect(registryLocation("docker.io/nginx").name).to.equal("library/nginx");
        expect(registryLocation("docker.io/acme/app")).to.deep.include({ host: "registry-1.docker.io", name: "acme/app" });
        expect(registryLocation("acme/app")).to.deep.include({ host: "registry-1.docker.io", name: "acme/app" });
        expect(registryLocation(IMAGE)).to.deep.equal({ host: "ghcr.io", name: NAME, base: "https://ghcr.io" });
        expect(registryLocation("localhost:5000/app")).to.deep.include({ host: "localhost:5000", name: "app" });
        expect(registryLocation(IMAGE, "http://127.0.0.1:5000/").base).to.equal("http://127.0.0.1:5000");
        expect(() => registryLocation(IMAGE, "ftp://x")).to.throw(UsageError, /SLOTSHIFT_REGISTRY_URL/);
    });

    it("parses challenges whose quoted values hold commas", () => {
        expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"')).to.deep.equal({
            scheme: "bearer",
            params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:samalba/my-app:pull,push" },
        });
        expect(parseChallenge('Basic realm="Registry Realm"')).to.deep.equal({ scheme: "basic", params: { realm: "Registry Realm" } });
        expect(retryAfterSeconds("30")).to.equal(30);
        expect(retryAfterSeconds(new Date(Date.now() + 5000).toUTCString())).to.be.within(4, 6);
        expect(retryAfterSeconds("soon")).to.equal(undefined);
    });

    it("wants both credential variables or neither", async () => {
        try {
            await resolveDigest(IMAGE, "main-abcdef1", { env: { SLOTSHIFT_REGISTRY_USERNAME: USER } });
            expect.fail("no error");
        } catch (e) {
            expect(e).to.be.instanceOf(UsageError);
            expect((e as Error).message).to.contain("SLOTSHIFT_REGISTRY_PASSWORD is empty");
        }
    });
});

/** A project folder with copies of the real stack files. */
function project(edit: (name: string, text: string) => string = (_n, t) => t): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slotshift-registry-"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    for (const stack of ["dev", "staging", "prod"]) {
        const name = `Pulumi.${stack}.yaml`;
        fs.writeFileSync(path.join(dir, name), edit(name, fs.readFileSync(path.join(ROOT, name), "utf8")));
    }
    return dir;
}

/** Runs the slotshift command in a folder with an environment. */
function slotshift(dir: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return runCli(dir, args, env);
}

const read = (dir: string, stack: string) => fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8");
const tmpFiles = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"));

describe("slotshift start --resolve-digest", function () {
    this.timeout(120000);

    it("writes the deploy tag's digest with version, gitSha and buildNumber (staging: main-<sha>)", async () => {
        const s = await start(registry());
        const dir = project();
        const r = await slotshift(dir, { SLOTSHIFT_REGISTRY_URL: s.base }, "start", "1.2.0", "--sha", "abcdef1", "--build", "150", "--resolve-digest", "--stack", "staging");
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.contain(`stage 1.2.0 in green at 0 %; main-abcdef1 is ${INDEX_DIGEST}`);
        const text = read(dir, "staging");
        const green = text.slice(text.indexOf("    green:"), text.indexOf("  slotshift:rollout:"));
        expect(green).to.contain("version: 1.2.0\n");
        expect(green).to.contain("gitSha: abcdef1\n");
        expect(green).to.contain("buildNumber: 150");
        expect(green).to.contain(`digest: "${INDEX_DIGEST}"`);
        expect(s.seen.filter((x) => x.path.includes("/manifests/")).every((x) => x.path === `/v2/${NAME}/manifests/main-abcdef1`)).to.equal(true);
    });

    it("writes exactly what --digest writes", async () => {
        const s = await start(registry());
        const resolved = project();
        const given = project();
        const args = ["start", "1.2.0", "--sha", "abcdef1", "--build", "150", "--stack", "staging"];
        expect((await slotshift(resolved, { SLOTSHIFT_REGISTRY_URL: s.base }, ...args, "--resolve-digest")).code).to.equal(0);
        expect((await slotshift(given, {}, ...args, "--digest", INDEX_DIGEST)).code).to.equal(0);
        expect(read(resolved, "staging")).to.equal(read(given, "staging"));
    });

    it("reads X.Y.Z-<sha> in prod", async () => {
        const s = await start(registry());
        const dir = project((name, text) => (name === "Pulumi.prod.yaml" ? editText(text, [configEdit("slotshift:slots.green", undefined)]) : text));
        const r = await slotshift(dir, { SLOTSHIFT_REGISTRY_URL: s.base }, "start", "1.1.0", "--sha", "e4f5a6b", "--build", "131", "--resolve-digest", "--stack", "prod");
        expect(r.code, r.stderr).to.equal(0);
        expect(read(dir, "prod")).to.contain(`digest: "${INDEX_DIGEST}"`);
        expect(s.seen[s.seen.length - 1].path).to.equal(`/v2/${NAME}/manifests/1.1.0-e4f5a6b`);
    });

    it("is a usage error in dev, which builds its image, exit 2", async () => {
        const s = await start(registry());
        const dir = project();
        const before = read(dir, "dev");
        const r = await slotshift(dir, { SLOTSHIFT_REGISTRY_URL: s.base }, "start", "1.3.0-alpha.1", "--sha", "abcdef1", "--resolve-digest", "--stack", "dev");
        expect(r.code).to.equal(2);
        expect(r.stderr).to.contain("--resolve-digest is for staging and prod");
        expect(read(dir, "dev")).to.equal(before);
        expect(s.seen).to.have.length(0);
    });

    it("is a usage error together with --digest, exit 2", async () => {
        const dir = project();
        const before = read(dir, "staging");
        const r = await slotshift(dir, {}, "start", "1.2.0", "--sha", "abcdef1", "--digest", INDEX_DIGEST, "--resolve-digest", "--stack", "staging");
        expect(r.code).to.equal(2);
        expect(r.stderr).to.match(/option '--resolve-digest' cannot be used with option '--digest <digest>'/);
        expect(read(dir, "staging")).to.equal(before);
    });

    it("is a usage error without --sha, exit 2", async () => {
        const r = await slotshift(project(), {}, "start", "1.2.0", "--resolve-digest", "--stack", "staging");
        expect(r.code).to.equal(2);
        expect(r.stderr).to.contain("--resolve-digest needs --sha <git-sha>: the deploy tag of staging is main-<sha>");
    });

    it("refuses what pulumi up would refuse before asking the registry, exit 1", async () => {
        const s = await start(registry());
        const dir = project();
        const before = read(dir, "prod");
        const r = await slotshift(dir, { SLOTSHIFT_REGISTRY_URL: s.base }, "start", "1.2.0", "--sha", "abcdef1", "--resolve-digest", "--stack", "prod");
        expect(r.code).to.equal(1);
        expect(r.stderr).to.contain("but staging has 1.1.0 live");
        expect(read(dir, "prod")).to.equal(before);
        expect(s.seen).to.have.length(0);
    });

    it("writes nothing when the registry lookup fails, exit 4", async () => {
        const s = await start(registry());
        const dir = project();
        const before = read(dir, "staging");
        const r = await slotshift(dir, { SLOTSHIFT_REGISTRY_URL: s.base }, "start", "1.2.0", "--sha", "fedcba9", "--resolve-digest", "--stack", "staging");
        expect(r.code).to.equal(4);
        expect(r.stderr).to.match(/^slotshift: cannot resolve the digest of ghcr\.io\/nextgen-market\/nextgen-market:main-fedcba9: the deploy tag main-fedcba9 is not in ghcr\.io\/nextgen-market\/nextgen-market: was the image pushed\?.*; nothing written\n$/);
        expect(r.stdout).to.equal("");
        expect(read(dir, "staging")).to.equal(before);
        expect(tmpFiles(dir)).to.deep.equal([]);
    });

    it("never prints the credentials, refused or not", async () => {
        const s = await start(registry({ private: true }));
        const dir = project();
        const env = { SLOTSHIFT_REGISTRY_URL: s.base, SLOTSHIFT_REGISTRY_USERNAME: USER, SLOTSHIFT_REGISTRY_PASSWORD: PASSWORD };
        const ok = await slotshift(dir, env, "start", "1.2.0", "--sha", "abcdef1", "--resolve-digest", "--dry-run", "--stack", "staging");
        expect(ok.code, ok.stderr).to.equal(0);
        expect(ok.stdout).to.contain("dry run: nothing written");
        const bad = await slotshift(dir, { ...env, SLOTSHIFT_REGISTRY_PASSWORD: `${PASSWORD}x` }, "start", "1.2.0", "--sha", "abcdef1", "--resolve-digest", "--stack", "staging");
        expect(bad.code).to.equal(4);
        expect(bad.stderr).to.contain("SLOTSHIFT_REGISTRY_USERNAME / SLOTSHIFT_REGISTRY_PASSWORD were refused");
        for (const out of [ok.stdout, ok.stderr, bad.stdout, bad.stderr]) {
            expect(out).not.to.contain(PASSWORD);
            expect(out).not.to.contain(BASIC.slice(6));
        }
        expect(read(dir, "staging")).to.equal(fs.readFileSync(path.join(ROOT, "Pulumi.staging.yaml"), "utf8"));
    });

    it("lists exit code 4 in --help", async () => {
        const r = await slotshift(project(), {}, "--help");
        expect(r.stdout).to.match(/4 +start --resolve-digest: the registry lookup failed/);
    });
});
