// Entry point of the display bridge's bundle, run by stubjs as a child of the init:
//   stubjs /lib/stubdom/display.js
// Reports go to stdout (bridgeReport.ts); when the bridge cannot go on it says why and exits 1,
// and the init starts it again.
import * as std from "qjs:std";
import { quickjsSys } from "../runtime/sysQuickjs.ts";
import { formatReport } from "./bridgeReport.ts";
import { DEFAULT_PATHS, DisplayBridge } from "./displayBridge.ts";

const bridge = new DisplayBridge(
  quickjsSys(),
  DEFAULT_PATHS,
  (r) => console.log(formatReport(r)),
  (sentence) => {
    console.log(formatReport({ kind: "problem", sentence }));
    std.exit(1);
  },
);
bridge.start();
