import { expect } from "chai";
import {
    buildMetadata,
    compareVersions,
    deployTag,
    imageTags,
    parseVersion,
    versionPolicyViolation,
} from "../rollout/versions";

const REPO = "ghcr.io/nextgen-market/nextgen-market";

describe("versions", () => {
    describe("parsing", () => {
        it("reads the release process's examples (docs/RELEASE-PROCESS.md §1), with or without the git tag's leading v", () => {
            expect(parseVersion("v1.0.0")?.raw).to.equal("1.0.0");
            expect(parseVersion("1.0.0-rc.1")?.prerelease).to.deep.equal(["rc", 1]);
            expect(parseVersion("v1.0.0-beta.1+build.123")?.build).to.deep.equal(["build", "123"]);
        });

        for (const bad of ["1.0", "1.0.0.0", "01.0.0", "1.0.0-", "latest", "", " 1.0.0", "=1.0.0", "V1.0.0", "1.0.0+"]) {
            it(`refuses ${JSON.stringify(bad)}`, () => {
                expect(parseVersion(bad)).to.equal(undefined);
            });
        }

        it("orders by semver precedence: prereleases before their release, build metadata ignored", () => {
            expect(compareVersions("1.1.0-rc.1", "1.1.0")).to.be.lessThan(0);
            expect(compareVersions("1.1.0-rc.2", "1.1.0-rc.10")).to.be.lessThan(0);
            expect(compareVersions("2.0.0", "1.99.99")).to.be.greaterThan(0);
            expect(compareVersions("1.0.0+build.1", "1.0.0+build.2")).to.equal(0);
        });
    });

    describe("the policy of each environment", () => {
        const table: [string, string, boolean][] = [
            ["prod", "1.0.0", true],
            ["prod", "v1.0.1", true],
            ["prod", "1.0.0-rc.1", false],
            ["prod", "1.0.0-alpha.1", false],
            ["prod", "1.0.0+build.5", false],
            ["staging", "1.1.0-rc.1", true],
            ["staging", "1.1.0-beta.2", true],
            ["staging", "1.1.0", true],
            ["staging", "1.0.0-beta.1+build.123", false],
            ["dev", "1.0.0-beta.1+build.123", true],
            ["dev", "1.0.0", true],
            ["dev", "0.0.1-alpha", true],
        ];
        for (const [env, version, accepted] of table) {
            it(`${env} ${accepted ? "takes" : "refuses"} ${version}`, () => {
                const violation = versionPolicyViolation(env as "dev" | "staging" | "prod", version);
                if (accepted) {
                    expect(violation).to.equal(undefined);
                } else {
                    expect(violation).to.match(new RegExp(`^${env} takes`));
                }
            });
        }

        it("says what a semantic version looks like when given something else", () => {
            expect(versionPolicyViolation("dev", "1.2")).to.contain("not a semantic version");
        });
    });

    describe("the image tag table", () => {
        const tags = (environment: "dev" | "staging" | "prod", version: string, gitSha: string) =>
            imageTags({ environment, repository: REPO, version, gitSha }).map((t) => [t.tag, t.immutable, t.deployFrom]);

        it("prod publishes vX.Y.Z, X.Y, X.Y.Z-<sha> and latest, and deploys from X.Y.Z-<sha>", () => {
            expect(tags("prod", "1.0.0", "a1b2c3d")).to.deep.equal([
                ["v1.0.0", true, false],
                ["1.0", false, false],
                ["1.0.0-a1b2c3d", true, true],
                ["latest", false, false],
            ]);
        });

        it("staging publishes vX.Y.Z-rc.N, main-<sha> and staging, and deploys from main-<sha>", () => {
            expect(tags("staging", "1.1.0-rc.1", "e4f5a6b")).to.deep.equal([
                ["v1.1.0-rc.1", true, false],
                ["main-e4f5a6b", true, true],
                ["staging", false, false],
            ]);
        });

        it("dev publishes develop-<sha> and dev, and deploys from develop-<sha>", () => {
            expect(tags("dev", "1.2.0-alpha.3+build.140", "0f1e2d3")).to.deep.equal([
                ["develop-0f1e2d3", true, true],
                ["dev", false, false],
            ]);
        });

        it("gives full references on the repository", () => {
            expect(deployTag({ environment: "prod", repository: REPO, version: "1.0.0", gitSha: "a1b2c3d" }).ref).to.equal(
                `${REPO}:1.0.0-a1b2c3d`,
            );
        });

        it("refuses to tag a prerelease for prod, or a bad sha", () => {
            expect(() => imageTags({ environment: "prod", repository: REPO, version: "1.0.0-rc.1", gitSha: "a1b2c3d" })).to.throw(
                /prod takes a release X.Y.Z only/,
            );
            expect(() => imageTags({ environment: "dev", repository: REPO, version: "1.0.0", gitSha: "XYZ" })).to.throw(/git sha "XYZ"/);
        });
    });

    describe("build metadata", () => {
        it("carries the release's build metadata (docs/RELEASE-PROCESS.md §2) from config, the branch by environment", () => {
            expect(
                buildMetadata({ environment: "staging", version: "1.0.0", gitSha: "a1b2c3d", buildNumber: "123", buildDate: "2025-11-19T10:30:00Z", nodeVersion: "20.10.0", npmVersion: "10.2.0" }),
            ).to.deep.equal({
                version: "1.0.0",
                gitSha: "a1b2c3d",
                buildDate: "2025-11-19T10:30:00Z",
                buildNumber: "123",
                branch: "main",
                nodeVersion: "20.10.0",
                npmVersion: "10.2.0",
            });
            expect(buildMetadata({ environment: "dev", version: "1.0.0" }).branch).to.equal("develop");
        });
    });
});
