// The floor: an empty Pulumi program, started exactly like slotshift's.
import * as pulumi from "@pulumi/pulumi";

export = async () => {
    return { stack: pulumi.getStack() };
};
