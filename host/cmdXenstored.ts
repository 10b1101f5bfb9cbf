// `stubdomctl xenstored --socket PATH`: the development daemon in the foreground.
import { parseArgs } from "node:util";
import { XenStoreServer } from "./xenstored/server.ts";

export async function xenstoredCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { socket: { type: "string" }, help: { type: "boolean", short: "h" } } });
  if (values.help || !values.socket) {
    process.stdout.write("usage: stubdomctl xenstored --socket PATH\n");
    return values.help ? 0 : 2;
  }
  const server = new XenStoreServer((line) => console.log(line));
  await server.listen(values.socket, 0);
  console.log(`xenstored: serving ${values.socket} (dom0); XENSTORED_PATH=${values.socket} xenstore-ls works against it`);
  await new Promise<void>((resolve) => {
    for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => resolve());
  });
  await server.close();
  return 0;
}
