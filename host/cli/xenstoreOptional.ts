// Reads where a missing key or directory is an answer, not an error: the CLI looks at domains that
// may be gone or not yet set up. Any other refusal (EACCES, a broken connection) stays the caller's.
import { XenStoreError, type XenStoreClient } from "../../runtime/xenstore/client.ts";

export const isMissing = (e: unknown): boolean => e instanceof XenStoreError && e.code === "ENOENT";

/** A key's value, or undefined when it does not exist. */
export const readOptional = (xs: XenStoreClient, path: string): Promise<string | undefined> => xs.readString(path).catch((e) => (isMissing(e) ? undefined : Promise.reject(e)));

/** A directory's children, or none when it does not exist. */
export const listOptional = (xs: XenStoreClient, path: string): Promise<string[]> => xs.directory(path).catch((e) => (isMissing(e) ? [] : Promise.reject(e)));

/** The domain ids under /local/domain. */
export const domainIds = async (xs: XenStoreClient): Promise<number[]> => (await listOptional(xs, "/local/domain")).filter((d) => /^[0-9]+$/.test(d)).map(Number);
