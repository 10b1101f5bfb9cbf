// Which CD vbds the init hands to QEMU for libxl's cd-insert and cd-eject: table-driven over the
// listings the stubdom's device/vbd goes through while libxl swaps a disc.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fdsetOpaque, namesNoFile, reviewVbds, type VbdView } from "../../init/cdromMedia.ts";

const cd = (devid: string, state: string, attachment: string): VbdView => ({ devid, state, deviceType: "cdrom", attachment, empty: false });
const disk = (devid: string, attachment: string): VbdView => ({ devid, state: "4", deviceType: "disk", attachment, empty: false });
/** An empty drive's vbd: its backend's params is empty; served by a dom0 QEMU, it never connects. */
const emptyCd = (devid: string, state: string): VbdView => ({ devid, state, deviceType: "cdrom", attachment: "", empty: true });

const cases: [string, VbdView[], [string, string][], string[], [string, string][]][] = [
  ["the boot-time CD, still the one QEMU opened", [cd("5632", "4", "11"), disk("768", "9")], [["5632", "11"], ["768", "9"]], [], [["5632", "11"], ["768", "9"]]],
  ["the old CD closing: forgotten, nothing to add", [cd("5632", "5", "11"), disk("768", "9")], [["5632", "11"], ["768", "9"]], [], [["768", "9"]]],
  ["the old CD detached: forgotten, nothing to add", [disk("768", "9")], [["5632", "11"], ["768", "9"]], [], [["768", "9"]]],
  ["the empty drive's vbd connected with the old one's event channel: handed to QEMU", [cd("5632", "4", "11")], [], ["5632"], [["5632", "11"]]],
  ["the new CD attached but not yet connected", [cd("5632", "3", "14"), disk("768", "9")], [["768", "9"]], [], [["768", "9"]]],
  ["the new CD connected: handed to QEMU", [cd("5632", "4", "14"), disk("768", "9")], [["768", "9"]], ["5632"], [["768", "9"], ["5632", "14"]]],
  ["a swap missed between two reads: same devid, another event channel", [cd("5632", "4", "15")], [["5632", "14"]], ["5632"], [["5632", "15"]]],
  ["a disk that appears is not a CD: left alone", [disk("832", "20")], [], [], []],
  ["cd-eject's empty drive, never connected (qdisk): handed to QEMU", [emptyCd("5632", "1")], [], ["5632"], [["5632", ""]]],
  ["the empty drive stays: not handed twice", [emptyCd("5632", "1")], [["5632", ""]], [], [["5632", ""]]],
  ["the empty drive being taken away: forgotten", [emptyCd("5632", "5")], [["5632", ""]], [], []],
  ["cd-insert into the empty drive, missed removal: the new disc is new", [cd("5632", "4", "12")], [["5632", ""]], ["5632"], [["5632", "12"]]],
  ["two drives change at once", [cd("5632", "4", "30"), cd("5696", "4", "31")], [], ["5632", "5696"], [["5632", "30"], ["5696", "31"]]],
];
for (const [name, vbds, served, add, after] of cases) {
  test(`reviewVbds: ${name}`, () => {
    const r = reviewVbds(vbds, new Map(served));
    assert.equal(r.add.map((v) => v.devid), add);
    assert.equal([...r.served], after);
  });
}

const params: [string, boolean][] = [["aio:", true], ["", true], ["aio:/var/tmp/cd2.iso", false], ["/var/run/xen/empty-cdrom.1", false], ["/dev/loop3", false], ["qcow2:/images/x.qcow2", false]];
for (const [p, empty] of params) test(`namesNoFile(${JSON.stringify(p)}) is ${empty}`, () => assert.is(namesNoFile(p), empty));

test("the opaque is the one libxl looks for", () => assert.is(fdsetOpaque("5632"), "stub-devid:5632"));

test.run();
