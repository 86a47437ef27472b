import * as pulumi from "@pulumi/pulumi";
import { Image, RegistryImage, RemoteImage, Tag, getRegistryImageOutput } from "@pulumi/docker";
import { Environment, deployTag, imageTags } from "../rollout/versions";

export interface ContainerImageArgs {
    /** The image repository, without tag or digest. */
    readonly repository: string;
    /** The environment: it decides the tag set and the tag deployed from. */
    readonly environment: Environment;
    /** The version the image carries. */
    readonly version: string;
    /** The commit it was built from; needed unless `digest` is given. */
    readonly gitSha?: string;
    /** The digest, when known ahead (promotion, or pinned by hand): no lookup then. */
    readonly digest?: pulumi.Input<string>;
    /** Build this folder and push the deploy tag instead of looking it up (dev only). */
    readonly buildContext?: string;
    /**
     * Point the environment's moving tags (`latest`, `X.Y`, `staging`, `dev`) at this image.
     * Needs a Docker engine where `pulumi up` runs, and a git sha. @default false
     */
    readonly publishMovingTags?: boolean;
}

/**
 * The immutable reference a slot deploys: `repository@sha256:<digest>`. The
 * digest is read from the registry for the environment's immutable deploy tag
 * (`develop-<sha>`, `main-<sha>`, `X.Y.Z-<sha>`), given outright, or comes
 * from building `buildContext` in dev. Moving tags are never deployed from.
 */
export class ContainerImage extends pulumi.ComponentResource {
    /** `repository@sha256:<digest>`. */
    public readonly ref: pulumi.Output<string>;
    /** `sha256:<digest>`. */
    public readonly digest: pulumi.Output<string>;
    /** The tag the digest was resolved from, or null when the digest was given. */
    public readonly sourceTag: string | null;

    constructor(name: string, args: ContainerImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("slotshift:docker:ContainerImage", name, {}, opts);
        if (args.buildContext !== undefined && args.environment !== "dev") {
            throw new Error(`ContainerImage ${name}: buildContext is set for ${args.environment}; allowed: dev only (staging and prod deploy what was built and promoted)`);
        }
        if (args.digest === undefined && args.gitSha === undefined) {
            throw new Error(`ContainerImage ${name}: neither digest nor gitSha is given; one is needed to find the image`);
        }
        let digest: pulumi.Output<string>;
        if (args.digest !== undefined) {
            digest = pulumi.output(args.digest);
            this.sourceTag = null;
        } else {
            const tag = deployTag({ environment: args.environment, repository: args.repository, version: args.version, gitSha: args.gitSha! });
            this.sourceTag = tag.tag;
            if (args.buildContext !== undefined) {
                const image = new Image(
                    `${name}-build`,
                    { imageName: tag.ref, build: { context: args.buildContext, platform: "linux/amd64" } },
                    { parent: this },
                );
                digest = image.repoDigest.apply((d) => d.slice(d.indexOf("@") + 1));
            } else {
                digest = getRegistryImageOutput({ name: tag.ref }, { parent: this }).sha256Digest;
            }
        }
        this.digest = digest.apply((d) => {
            if (!/^sha256:[0-9a-f]{64}$/.test(d)) {
                throw new pulumi.ResourceError(`ContainerImage ${name}: the registry answered digest ${JSON.stringify(d)}; expected sha256:<64 hex>`, this);
            }
            return d;
        });
        this.ref = this.digest.apply((d) => `${args.repository}@${d}`);

        if (args.publishMovingTags) {
            if (args.gitSha === undefined) {
                throw new Error(`ContainerImage ${name}: publishMovingTags needs gitSha to name the release's tags`);
            }
            const moving = imageTags({ environment: args.environment, repository: args.repository, version: args.version, gitSha: args.gitSha }).filter((t) => !t.immutable);
            const pulled = new RemoteImage(`${name}-pull`, { name: this.ref, keepLocally: true }, { parent: this });
            // Named by position, not by tag text: `X.Y` changes with each minor release, the resource should not.
            moving.forEach((t, i) => {
                const tagged = new Tag(`${name}-moving-${i}`, { sourceImage: pulled.imageId, targetImage: t.ref }, { parent: this });
                new RegistryImage(
                    `${name}-moving-${i}-push`,
                    { name: tagged.targetImage, keepRemotely: true, triggers: { digest: this.digest } },
                    { parent: this },
                );
            });
        }
        this.registerOutputs({ ref: this.ref, digest: this.digest });
    }

}
