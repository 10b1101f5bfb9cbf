// Work that a flood of triggers must not multiply: a dom0 that writes a watched key 500 times in a
// row gets one re-read running and at most one more queued, never 500. The last trigger always
// gets a run that starts after it, so the final state is the one acted on.

/** Returns `trigger`: runs `task` now, or once more after the current run when triggered meanwhile. */
export function coalesced(task: () => Promise<void>, onError: (e: Error) => void): () => void {
  let running = false;
  let again = false;
  const run = (): void => {
    running = true;
    again = false;
    task()
      .catch((e: Error) => onError(e))
      .then(() => {
        running = false;
        if (again) run();
      });
  };
  return () => {
    if (running) again = true;
    else run();
  };
}
