/**
 * The app's entrypoint (`node main.js` in the image). Telemetry starts first: the
 * distro's http instrumentation patches `node:http` when it is next required, so
 * the server module, which requires it, is loaded only after startTelemetry.
 * A static import would be hoisted above the call, hence the require below.
 */
import { startTelemetry, telemetryWarnings } from "./telemetry";

const telemetry = startTelemetry(process.env);
if (telemetry) {
    for (const warning of telemetryWarnings(process.env)) {
        console.log(JSON.stringify(warning));
    }
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const server = require("./server") as typeof import("./server");
server.main(telemetry);
