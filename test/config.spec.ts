import { expect } from "chai";
import { parseStackConfig, ENVIRONMENT_DEFAULTS } from "../rollout/config";
import { ConfigError } from "../rollout/errors";
import { edited, stackConfig, withKey } from "./helpers";

/** Parses and returns the refusal, failing the test when the config is accepted. */
function refusal(config: Record<string, string>, stack = "prod"): ConfigError {
    try {
        parseStackConfig(config, stack);
    } catch (e) {
        if (ConfigError.isInstance(e)) {
            return e;
        }
        throw e;
    }
    expect.fail("the config was accepted");
}

describe("stack config", () => {
    describe("the real stack files", () => {
        for (const stack of ["dev", "staging", "prod"]) {
            it(`parses Pulumi.${stack}.yaml`, () => {
                const cfg = parseStackConfig(stackConfig(stack).config, stack);
                expect(cfg.environment).to.equal(stack);
                expect(cfg.app.name).to.equal("nextgen-market");
                expect(cfg.app.image).to.equal("ghcr.io/nextgen-market/nextgen-market");
                expect(cfg.app.healthPath).to.equal("/api/health");
            });
        }

        it("gives 1, 2 and 3 replicas to dev, staging and prod", () => {
            expect(["dev", "staging", "prod"].map((s) => parseStackConfig(stackConfig(s).config, s).app.replicas)).to.deep.equal([1, 2, 3]);
        });
    });

    describe("defaults", () => {
        const minimal = (env: string) =>
            ({
                "slotshift:cluster": JSON.stringify({ resourceGroup: "aks-rg", name: "aks" }),
                "slotshift:app": JSON.stringify({ name: "shop", image: "ghcr.io/acme/shop" }),
                "slotshift:slots": JSON.stringify({ blue: { version: env === "dev" ? "1.0.0-alpha.1" : "1.0.0", gitSha: "abcdef1" } }),
            }) as Record<string, string>;

        for (const env of ["dev", "staging", "prod"] as const) {
            it(`take the environment from the stack name ${env} and its defaults`, () => {
                const cfg = parseStackConfig(minimal(env), env);
                const d = ENVIRONMENT_DEFAULTS[env];
                expect(cfg.environment).to.equal(env);
                expect(cfg.rollout.strategy).to.equal(d.strategy);
                expect(cfg.rollout.steps).to.deep.equal(d.steps);
                expect(cfg.rollout.minStepMinutes).to.equal(d.minStepMinutes);
                expect(cfg.app.replicas).to.equal(d.replicas);
                expect(cfg.app.port).to.equal(8080);
                expect(cfg.rollout.weight).to.equal(0);
                expect(cfg.rollout.live).to.equal("blue");
                expect(cfg.traffic.ttl).to.equal(30);
                expect(cfg.alerts.errorRatePercent).to.equal(1);
                expect(cfg.alerts.p99LatencyMs).to.equal(2000);
                expect(cfg.alerts.cpuPercent).to.deep.equal({ warning: 80, critical: 90 });
                expect(cfg.alerts.dbConnections).to.deep.equal({ max: 20, alertAt: 18 });
                expect(cfg.alerts.healthFailures).to.equal(3);
                expect(cfg.analysis).to.deep.equal({ minRequests: 100, intervalSeconds: { canary: 10, gradual: 30 }, maxErrorRateRatio: 2, maxLatencyRatio: 1.5, progressDeadlineMinutes: 15 });
            });
        }

        it("promote prod from staging unless told otherwise", () => {
            expect(parseStackConfig(minimal("prod"), "prod").promotion.from).to.equal("staging");
            expect(parseStackConfig(minimal("staging"), "staging").promotion.from).to.equal(undefined);
        });

        it("let slotshift:environment name the environment of a stack with another name", () => {
            const cfg = parseStackConfig({ ...minimal("prod"), "slotshift:environment": "prod" }, "prod-westeurope");
            expect(cfg.environment).to.equal("prod");
            expect(cfg.rollout.strategy).to.equal("canary");
        });

        it("ignore keys of other namespaces", () => {
            expect(() => parseStackConfig({ ...minimal("dev"), "azure-native:location": "westeurope", "kubernetes:context": "aks" }, "dev")).not.to.throw();
        });
    });

    describe("refusals name the key, the value and what is allowed", () => {
        const cases: { what: string; stack?: string; edits: Record<string, unknown>; key: string; message: RegExp }[] = [
            { what: "negative replicas", edits: { "slotshift:app.replicas": -1 }, key: "slotshift:app.replicas", message: /^slotshift:app\.replicas is -1; allowed: an integer from 1 to 50$/ },
            { what: "replicas as text", edits: { "slotshift:app.replicas": "three" }, key: "slotshift:app.replicas", message: /slotshift:app\.replicas is "three"; allowed: an integer from 1 to 50/ },
            { what: "a weight that is not a step", edits: { "slotshift:rollout.weight": 30 }, key: "slotshift:rollout.weight", message: /slotshift:rollout\.weight is 30; allowed: 0 or one of slotshift:rollout\.steps \(5, 25, 50, 100\)/ },
            { what: "a weight above 100", edits: { "slotshift:rollout.weight": 150 }, key: "slotshift:rollout.weight", message: /slotshift:rollout\.weight is 150; allowed: 0 or one of slotshift:rollout\.steps/ },
            { what: "an unknown strategy", edits: { "slotshift:rollout.strategy": "rolling" }, key: "slotshift:rollout.strategy", message: /slotshift:rollout\.strategy is "rolling"; allowed: one of direct, blue-green, canary/ },
            { what: "a misspelt rollout key", edits: { "slotshift:rollout.wieght": 5 }, key: "slotshift:rollout.wieght", message: /slotshift:rollout\.wieght is not a known key; did you mean slotshift:rollout\.weight\?/ },
            { what: "a misspelt top-level key", edits: { "slotshift:rolout": { weight: 5 } }, key: "slotshift:rolout", message: /slotshift:rolout is not a known key; did you mean slotshift:rollout\?/ },
            { what: "a misspelt slot", edits: { "slotshift:slots.gren": { version: "1.0.0" } }, key: "slotshift:slots.gren", message: /did you mean slotshift:slots\.green\?/ },
            { what: "a prerelease in prod", edits: { "slotshift:slots.green.version": "1.1.0-rc.1" }, key: "slotshift:slots.green.version", message: /slotshift:slots\.green\.version is "1\.1\.0-rc\.1"; allowed: a release X\.Y\.Z only/ },
            { what: "build metadata in staging", stack: "staging", edits: { "slotshift:slots.green.version": "1.1.0-rc.1+build.9" }, key: "slotshift:slots.green.version", message: /allowed: a release candidate X\.Y\.Z-rc\.N/ },
            { what: "a version that is not semver", edits: { "slotshift:slots.blue.version": "1.0" }, key: "slotshift:slots.blue.version", message: /slotshift:slots\.blue\.version is "1\.0"; .*not a semantic version/ },
            { what: "an image with a tag", edits: { "slotshift:app.image": "ghcr.io/acme/shop:latest" }, key: "slotshift:app.image", message: /slotshift:app\.image is "ghcr\.io\/acme\/shop:latest"; allowed: an image repository without tag or digest/ },
            { what: "an app name Kubernetes would reject", edits: { "slotshift:app.name": "Next_Gen" }, key: "slotshift:app.name", message: /slotshift:app\.name is "Next_Gen"; allowed: a DNS label/ },
            { what: "an app name too long", edits: { "slotshift:app.name": "a".repeat(41) }, key: "slotshift:app.name", message: /at most 40 characters/ },
            { what: "steps that do not end at 100", edits: { "slotshift:rollout.steps": [5, 25, 50] }, key: "slotshift:rollout.steps", message: /slotshift:rollout\.steps is \[5,25,50\]; allowed: steps whose last is 100/ },
            { what: "steps that fall", edits: { "slotshift:rollout.steps": [50, 25, 100] }, key: "slotshift:rollout.steps", message: /allowed: steps that rise strictly/ },
            { what: "a live slot that is not a colour", edits: { "slotshift:rollout.live": "red" }, key: "slotshift:rollout.live", message: /slotshift:rollout\.live is "red"; allowed: one of blue, green/ },
            { what: "an unknown environment", edits: { "slotshift:environment": "qa" }, key: "slotshift:environment", message: /slotshift:environment is "qa"; allowed: one of dev, staging, prod/ },
            { what: "a live slot with no version", edits: { "slotshift:slots.blue.version": undefined }, key: "slotshift:slots.blue.version", message: /slotshift:slots\.blue\.version is missing; required: a version: slotshift:rollout\.live is blue/ },
            { what: "traffic to an empty candidate", edits: { "slotshift:slots.green": {}, "slotshift:rollout.weight": 5 }, key: "slotshift:rollout.weight", message: /slotshift:rollout\.weight is 5; allowed: 0 while slotshift:slots\.green has no version/ },
            { what: "a weight with strategy direct", stack: "dev", edits: { "slotshift:rollout.weight": 100 }, key: "slotshift:rollout.weight", message: /allowed: 0: strategy direct deploys the live slot in place/ },
            { what: "direct deployment in prod", edits: { "slotshift:rollout.strategy": "direct", "slotshift:rollout.steps": [100] }, key: "slotshift:rollout.strategy", message: /slotshift:rollout\.strategy is "direct"; allowed: canary or blue-green/ },
            { what: "a TTL of 0", edits: { "slotshift:traffic.ttl": 0 }, key: "slotshift:traffic.ttl", message: /slotshift:traffic\.ttl is 0; allowed: a DNS TTL in seconds from 1 to 86400/ },
            { what: "an unknown router", edits: { "slotshift:traffic.router": "nginx" }, key: "slotshift:traffic.router", message: /allowed: one of traffic-manager, gateway-api/ },
            { what: "an error rate over 100 %", edits: { "slotshift:alerts.errorRatePercent": 150 }, key: "slotshift:alerts.errorRatePercent", message: /slotshift:alerts\.errorRatePercent is 150; allowed: a percentage above 0 and at most 100/ },
            { what: "a p99 latency of 0", edits: { "slotshift:alerts.p99LatencyMs": 0 }, key: "slotshift:alerts.p99LatencyMs", message: /slotshift:alerts\.p99LatencyMs is 0; allowed: milliseconds from 1 to 600000/ },
            { what: "a CPU warning above critical", edits: { "slotshift:alerts.cpuPercent": { warning: 95, critical: 90 } }, key: "slotshift:alerts.cpuPercent.warning", message: /warning must be below critical/ },
            { what: "more DB connections alerted than exist", edits: { "slotshift:alerts.dbConnections": { max: 20, alertAt: 25 } }, key: "slotshift:alerts.dbConnections.alertAt", message: /slotshift:alerts\.dbConnections\.alertAt is 25; allowed: alertAt at most max/ },
            { what: "a bad email", edits: { "slotshift:alerts.emails": ["oncall"] }, key: "slotshift:alerts.emails[0]", message: /slotshift:alerts\.emails\[0\] is "oncall"; allowed: an email address/ },
            { what: "a short git sha", edits: { "slotshift:slots.green.gitSha": "abc" }, key: "slotshift:slots.green.gitSha", message: /allowed: a git commit sha: 7 to 40 lowercase hex characters/ },
            { what: "a version with no sha nor digest", edits: { "slotshift:slots.green.gitSha": undefined }, key: "slotshift:slots.green.gitSha", message: /slotshift:slots\.green\.gitSha is missing; required: the git commit sha green's image was built from/ },
            { what: "a bad digest", edits: { "slotshift:slots.green.digest": "sha256:xyz" }, key: "slotshift:slots.green.digest", message: /allowed: an image digest: sha256: and 64 lowercase hex characters/ },
            { what: "promotion from itself", edits: { "slotshift:promotion.from": "prod" }, key: "slotshift:promotion.from", message: /slotshift:promotion\.from is "prod"; allowed: another stack than prod itself/ },
            { what: "an app that is not an object", edits: { "slotshift:app": "nextgen" }, key: "slotshift:app", message: /slotshift:app is "\[secret\]"; allowed:/ },
            { what: "an analysis with no requests needed", edits: { "slotshift:analysis.minRequests": 0 }, key: "slotshift:analysis.minRequests", message: /^slotshift:analysis\.minRequests is 0; allowed: a whole number of requests from 1 to 1000000$/ },
            { what: "an analysis interval below 5 s", edits: { "slotshift:analysis.intervalSeconds.canary": 2 }, key: "slotshift:analysis.intervalSeconds.canary", message: /^slotshift:analysis\.intervalSeconds\.canary is 2; allowed: seconds from 5 to 600 between two analyses$/ },
            { what: "an interval as text", edits: { "slotshift:analysis.intervalSeconds.gradual": "30s" }, key: "slotshift:analysis.intervalSeconds.gradual", message: /^slotshift:analysis\.intervalSeconds\.gradual is "30s"; allowed: seconds from 5 to 600 between two analyses$/ },
            { what: "an error-rate ratio below 1", edits: { "slotshift:analysis.maxErrorRateRatio": 0.5 }, key: "slotshift:analysis.maxErrorRateRatio", message: /^slotshift:analysis\.maxErrorRateRatio is 0\.5; allowed: a ratio from 1 to 100: the candidate fails when its error rate is above the live slot's times this$/ },
            { what: "a latency ratio above 100", edits: { "slotshift:analysis.maxLatencyRatio": 150 }, key: "slotshift:analysis.maxLatencyRatio", message: /^slotshift:analysis\.maxLatencyRatio is 150; allowed: a ratio from 1 to 100: the candidate fails when its p99 latency is above the live slot's times this$/ },
            { what: "a progress deadline past the step job's timeout", edits: { "slotshift:analysis.progressDeadlineMinutes": 90 }, key: "slotshift:analysis.progressDeadlineMinutes", message: /^slotshift:analysis\.progressDeadlineMinutes is 90; allowed: minutes from 1 to 30 \(the step job's timeout also holds the updates\)$/ },
            { what: "a misspelt analysis key", edits: { "slotshift:analysis.minRequest": 50 }, key: "slotshift:analysis.minRequest", message: /slotshift:analysis\.minRequest is not a known key; did you mean slotshift:analysis\.minRequests\?/ },
            { what: "a probe timeout the interval cannot hold", edits: { "slotshift:traffic.probeIntervalSeconds": 10, "slotshift:traffic.probeTimeoutSeconds": 10 }, key: "slotshift:traffic.probeTimeoutSeconds", message: /a probe timeout below the probe interval/ },
        ];

        for (const c of cases) {
            it(`refuses ${c.what}`, () => {
                const stack = c.stack ?? "prod";
                const e = refusal(edited(stack, c.edits), stack);
                expect(e.key).to.equal(c.key);
                expect(e.message).to.match(c.message);
            });
        }

        it("refuses a stack whose name is no environment when slotshift:environment is missing", () => {
            const e = refusal(withKey(stackConfig("prod").config, "slotshift:environment", undefined), "eu-west");
            expect(e.key).to.equal("slotshift:environment");
            expect(e.message).to.contain('the stack name "eu-west" is not an environment; allowed: one of dev, staging, prod');
        });

        it("lists every problem, the first one first", () => {
            const e = refusal(edited("prod", { "slotshift:app.replicas": 0, "slotshift:traffic.ttl": -5 }));
            expect(e.key).to.equal("slotshift:app.replicas");
            expect(e.problems).to.have.length(2);
            expect(e.message).to.contain("also: slotshift:traffic.ttl is -5");
        });
    });
});
