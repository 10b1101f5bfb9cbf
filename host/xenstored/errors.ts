// A request that fails with one of xs_wire.h's errno names; anything else thrown while handling
// a request is a bug in the daemon, not an answer.
import type { XsErrorName } from "../../runtime/xenstore/wire.ts";

export class XsError extends Error {
  constructor(
    readonly code: XsErrorName,
    message: string,
  ) {
    super(message);
  }
}
