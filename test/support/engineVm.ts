// The engine tier's event loop: the init bundle inside quickjs-emscripten, its `os`/`std`/`sys`
// imports served as shims over the World, and a loop shaped like quickjs-libc's js_std_loop:
// run every pending job, then one event (a pending signal's handler, else one expired timer, else
// one readable fd's handler), and only when nothing is ready move the virtual clock to the next
// timer. Every wait is bounded in virtual time and in loop steps; the real clock only guards a
// guest that spins (the interrupt handler).
import { newQuickJSWASMModule, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime, type QuickJSWASMModule } from "quickjs-emscripten";
import { GLOBAL_HELPERS, SHIM_MODULES } from "./engineShims.ts";
import { Syscalls } from "./engineSyscalls.ts";
import type { World } from "./engineWorld.ts";

/** A guest entry that runs longer than this (real time) is interrupted: the init must not spin. */
const SPIN_LIMIT_MS = 10_000;
/** The stubdom has 64-128 MiB for everything; the init's heap should be a small part of it. */
const MEMORY_LIMIT = 32 * 2 ** 20;
const DEFAULT_MAX_STEPS = 100_000;

export interface Bound {
  /** Virtual milliseconds from now. */
  virtualMs: number;
  /** Loop iterations (default 100 000). */
  steps?: number;
}

let wasm: Promise<QuickJSWASMModule> | undefined;

/** Lets the host's own queued work run (the in-process xenstored answers in microtasks). */
const hostTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

export class EngineVm {
  /** Exceptions that escaped a handler or a job: stubjs logs these; a test usually wants none. */
  readonly uncaught: string[] = [];
  private deadline = 0;
  private dispatchFn: QuickJSHandle | undefined;

  private constructor(
    readonly world: World,
    private readonly runtime: QuickJSRuntime,
    private readonly ctx: QuickJSContext,
  ) {}

  static async create(world: World): Promise<EngineVm> {
    wasm ??= newQuickJSWASMModule();
    const runtime = (await wasm).newRuntime();
    runtime.setMemoryLimit(MEMORY_LIMIT);
    const vm = new EngineVm(world, runtime, runtime.newContext());
    runtime.setInterruptHandler(() => Date.now() > vm.deadline);
    runtime.setModuleLoader((name) => SHIM_MODULES[name] ?? { error: new Error(`the engine serves no module named ${JSON.stringify(name)}`) });
    vm.installHost();
    return vm;
  }

  private installHost(): void {
    const { ctx, world } = this;
    const calls = new Syscalls(world);
    const guard =
      <A extends QuickJSHandle[]>(name: string, fn: (...a: A) => QuickJSHandle) =>
      (...a: A): QuickJSHandle => {
        try {
          return fn(...a);
        } catch (e) {
          world.problems.push(`host ${name} failed: ${(e as Error).stack ?? e}`);
          throw e;
        }
      };
    const host = ctx.newObject();
    const fns: [string, QuickJSHandle][] = [
      ["call", ctx.newFunction("call", guard("call", (name, args) => ctx.newString(calls.call(ctx.getString(name), JSON.parse(ctx.getString(args)) as unknown[]))))],
      [
        "read",
        ctx.newFunction(
          "read",
          guard("read", (fd, max) => {
            const r = calls.read(ctx.getNumber(fd), ctx.getNumber(max));
            return typeof r === "number" ? ctx.newNumber(r) : ctx.newArrayBuffer(r.slice().buffer);
          }),
        ),
      ],
      [
        "write",
        ctx.newFunction(
          "write",
          guard("write", (fd, buf) => {
            const bytes = ctx.getArrayBuffer(buf).consume((view) => view.value.slice());
            return ctx.newNumber(calls.write(ctx.getNumber(fd), bytes));
          }),
        ),
      ],
    ];
    for (const [name, fn] of fns) {
      ctx.setProp(host, name, fn);
      fn.dispose();
    }
    ctx.setProp(ctx.global, "__engineHost", host);
    host.dispose();
  }

  private enter<T>(fn: () => T): T {
    this.deadline = Date.now() + SPIN_LIMIT_MS;
    return fn();
  }

  private record(err: QuickJSHandle, where: string): void {
    const e = this.ctx.dump(err) as { name?: string; message?: string; stack?: string } | string;
    err.dispose();
    this.uncaught.push(typeof e === "object" && e !== null ? `${where}: ${e.name}: ${e.message}\n${e.stack ?? ""}` : `${where}: ${String(e)}`);
  }

  /** Runs the promise jobs until none is left. */
  private drainJobs(): void {
    while (this.runtime.hasPendingJob()) {
      const r = this.enter(() => this.runtime.executePendingJobs());
      if (r.error) this.record(r.error, "job");
      else r.dispose();
    }
  }

  /** Evaluates the bundle as the main module (the way stubjs loads /init's script). */
  load(source: string, filename: string): void {
    const helpers = this.enter(() => this.ctx.evalCode(GLOBAL_HELPERS, "helpers.js", { type: "global" }));
    this.ctx.unwrapResult(helpers).dispose();
    const r = this.enter(() => this.ctx.evalCode(source, filename, { type: "module" }));
    if (r.error) {
      const e = this.ctx.dump(r.error) as { message?: string };
      r.error.dispose();
      throw new Error(`${filename} failed to load in QuickJS: ${e?.message ?? JSON.stringify(e)}`);
    }
    const evaluated = r.value;
    this.drainJobs();
    const state = this.ctx.getPromiseState(evaluated);
    if (state.type === "rejected") {
      const e = this.ctx.dump(state.error) as { message?: string };
      state.error.dispose();
      evaluated.dispose();
      throw new Error(`${filename} failed while evaluating: ${e?.message ?? JSON.stringify(e)}`);
    }
    if (state.type === "fulfilled" && state.value !== evaluated) state.value.dispose();
    evaluated.dispose();
    this.dispatchFn = this.ctx.getProp(this.ctx.global, "__engineDispatch");
  }

  private invoke(kind: "timer" | "read" | "write" | "signal", id: number): void {
    const fn = this.dispatchFn;
    if (!fn) throw new Error("the bundle is not loaded");
    const k = this.ctx.newString(kind);
    const n = this.ctx.newNumber(id);
    const r = this.enter(() => this.ctx.callFunction(fn, this.ctx.undefined, k, n));
    k.dispose();
    n.dispose();
    if (r.error) this.record(r.error, `${kind} ${id} handler`);
    else r.value.dispose();
  }

  /** One event that is ready now, as quickjs-libc's os_poll picks it; false when none is. */
  private stepReady(): boolean {
    const w = this.world;
    const soon = w.loop.takeSoon();
    if (soon) {
      soon();
      return true;
    }
    const sig = w.loop.takeSignal();
    if (sig !== undefined) {
      this.invoke("signal", sig);
      return true;
    }
    const timer = w.loop.takeDueTimer(w.clock);
    if (timer !== undefined) {
      this.invoke("timer", timer);
      return true;
    }
    const fd = w.readyFd();
    if (fd !== undefined) {
      this.invoke("read", fd);
      return true;
    }
    const out = w.loop.writableFd();
    if (out !== undefined) {
      this.invoke("write", out);
      return true;
    }
    return false;
  }

  private async settle(): Promise<void> {
    await hostTurn();
    this.drainJobs();
  }

  /** Runs the loop until `cond` holds; throws, naming `what`, when the bound passes first. */
  async runUntil(what: string, cond: () => boolean | Promise<boolean>, bound: Bound): Promise<void> {
    const w = this.world;
    const until = w.clock + bound.virtualMs;
    const maxSteps = bound.steps ?? DEFAULT_MAX_STEPS;
    for (let step = 0; ; step++) {
      await this.settle();
      if (await cond()) return;
      const fail = (why: string): Error => new Error(`waiting for ${what}: ${why} (virtual time ${w.clock} ms, ${step} steps)`);
      if (w.poweredOff !== undefined) throw fail(`the domain powered off (${w.poweredOff})`);
      if (step >= maxSteps) throw fail(`no result after ${maxSteps} loop steps`);
      if (this.stepReady()) continue;
      const next = w.loop.nextDue();
      if (next === undefined) throw fail("the event loop ran dry: no timer is left");
      if (next > until) throw fail(`not within ${bound.virtualMs} virtual ms`);
      w.clock = next;
    }
  }

  /** Lets `virtualMs` of virtual time pass, running whatever falls due; stops early at power-off. */
  async runFor(virtualMs: number, maxSteps = DEFAULT_MAX_STEPS): Promise<void> {
    const w = this.world;
    const until = w.clock + virtualMs;
    for (let step = 0; step < maxSteps; step++) {
      await this.settle();
      if (w.poweredOff !== undefined) return;
      if (this.stepReady()) continue;
      const next = w.loop.nextDue();
      if (next === undefined || next > until) {
        w.clock = until;
        return;
      }
      w.clock = next;
    }
    throw new Error(`${virtualMs} virtual ms did not pass within ${maxSteps} loop steps (virtual time ${w.clock} ms)`);
  }

  /** The guest heap in use, in bytes. */
  memoryUsed(): number {
    const h = this.runtime.computeMemoryUsage();
    const m = this.ctx.dump(h) as { memory_used_size: number };
    h.dispose();
    return m.memory_used_size;
  }

  dispose(): void {
    this.dispatchFn?.dispose();
    this.ctx.dispose();
    this.runtime.dispose();
  }
}
