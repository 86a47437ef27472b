/**
 * How the program treats stack traces inside Pulumi's Node.js host.
 */

/** A V8 stack formatter (`Error.prepareStackTrace`). */
type Formatter = (error: Error, frames: NodeJS.CallSite[]) => unknown;

/** On the formatter this program installs: the formatter it wraps. Installed once per process. */
export const QUIET_STAMPS = Symbol.for("slotshift.quietPromiseStamps");

/**
 * Renders the SDK's promise stamps without their frames. The SDK stamps every promise it makes
 * with `new Error().stack` (dozens per resource), read only by its leak report; rendering those
 * frames through the source maps ts-node installs was most of the program's evaluation time.
 * Every other stack (errors, the resources' source positions) is rendered by the formatter
 * that was there before. With PULUMI_DEBUG_PROMISE_LEAKS set, the stamps keep their frames.
 */
export function quietPromiseStamps(): void {
    const render = Error.prepareStackTrace as (Formatter & { [QUIET_STAMPS]?: Formatter }) | undefined;
    // Node sets a formatter of its own; a runtime without one renders natively, nothing to wrap.
    if (render === undefined || render[QUIET_STAMPS] !== undefined || process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
        return;
    }
    const quiet = function (this: unknown, error: Error, frames: NodeJS.CallSite[]): unknown {
        // A stamp is a bare `new Error()` made in the SDK's debuggablePromise; an error thrown
        // from inside it has a message or another class, and keeps its frames.
        const top = frames[0];
        const stamp =
            error.message === "" &&
            Object.getPrototypeOf(error) === Error.prototype &&
            top?.getFunctionName() === "debuggablePromise" &&
            (top.getFileName() ?? "").endsWith("debuggable.js");
        return stamp ? String(error) : render.call(this, error, frames);
    };
    Error.prepareStackTrace = Object.assign(quiet, { [QUIET_STAMPS]: render });
}
