// The bridge's reports on its stdout, as the init reads them into health under display/.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { afterReport, formatReport, initialDisplayView, parseReport, type BridgeReport } from "../../display/bridgeReport.ts";

const reports: BridgeReport[] = [
  { kind: "connected", name: "QEMU (hvm)" },
  { kind: "mode", width: 720, height: 400 },
  { kind: "frames", count: 12 },
  { kind: "input", device: "Xen Virtual Keyboard" },
  { kind: "problem", sentence: "no Xen virtual keyboard" },
];
for (const r of reports) test(`${r.kind}: read back as written`, () => assert.equal(parseReport(formatReport(r)), r));

test("a problem's sentence stays on one line; other output is not a report", () => {
  assert.is(formatReport({ kind: "problem", sentence: "a\nb" }), "problem a b");
  for (const line of ["", "frames many", "mode big", "stubjs: event loop ran dry", "connected"]) assert.is(parseReport(line), undefined, line);
});

test("the view: mode, frames and the last problem; a new connection starts again", () => {
  const v = reports.reduce(afterReport, initialDisplayView());
  assert.equal(v, { mode: "720x400", frames: 12, error: "no Xen virtual keyboard" });
  assert.equal(afterReport(v, { kind: "connected", name: "" }), { mode: "720x400", frames: 0, error: "" });
});

test.run();
