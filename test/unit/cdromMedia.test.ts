// Which CD vbds the init hands to QEMU for libxl's cd-insert and cd-eject: table-driven over the
// listings the stubdom's device/vbd goes through while libxl swaps a disc.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fdsetOpaque, reviewVbds, type VbdView } from "../../init/cdromMedia.ts";

const cd = (devid: string, state: string, attachment: string): VbdView => ({ devid, state, deviceType: "cdrom", attachment });
const disk = (devid: string, attachment: string): VbdView => ({ devid, state: "4", deviceType: "disk", attachment });

const cases: [string, VbdView[], [string, string][], string[], [string, string][]][] = [
  ["the boot-time CD, still the one QEMU opened", [cd("5632", "4", "11"), disk("768", "9")], [["5632", "11"], ["768", "9"]], [], [["5632", "11"], ["768", "9"]]],
  ["the old CD closing: forgotten, nothing to add", [cd("5632", "5", "11"), disk("768", "9")], [["5632", "11"], ["768", "9"]], [], [["768", "9"]]],
  ["the old CD detached: forgotten, nothing to add", [disk("768", "9")], [["5632", "11"], ["768", "9"]], [], [["768", "9"]]],
  ["the empty drive's vbd connected with the old one's event channel: handed to QEMU", [cd("5632", "4", "11")], [], ["5632"], [["5632", "11"]]],
  ["the new CD attached but not yet connected", [cd("5632", "3", "14"), disk("768", "9")], [["768", "9"]], [], [["768", "9"]]],
  ["the new CD connected: handed to QEMU", [cd("5632", "4", "14"), disk("768", "9")], [["768", "9"]], ["5632"], [["768", "9"], ["5632", "14"]]],
  ["a swap missed between two reads: same devid, another event channel", [cd("5632", "4", "15")], [["5632", "14"]], ["5632"], [["5632", "15"]]],
  ["a disk that appears is not a CD: left alone", [disk("832", "20")], [], [], []],
  ["two drives change at once", [cd("5632", "4", "30"), cd("5696", "4", "31")], [], ["5632", "5696"], [["5632", "30"], ["5696", "31"]]],
];
for (const [name, vbds, served, add, after] of cases) {
  test(`reviewVbds: ${name}`, () => {
    const r = reviewVbds(vbds, new Map(served));
    assert.equal(r.add.map((v) => v.devid), add);
    assert.equal([...r.served], after);
  });
}

test("the opaque is the one libxl looks for", () => assert.is(fdsetOpaque("5632"), "stub-devid:5632"));

test.run();
