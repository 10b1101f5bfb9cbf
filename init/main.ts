// Entry point of the init bundle, run by stubjs as PID 1. Nothing here may end the process.
import { quickjsSys } from "../runtime/sysQuickjs.ts";
import { boot } from "./boot.ts";

boot(quickjsSys()).catch((e: Error) => {
  console.log(`stubdom-init: unexpected failure: ${e.message}\n${e.stack ?? ""}`);
});
