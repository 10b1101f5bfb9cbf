// stubjs: runs one ES module (source, or bytecode from stubjsc) with the std, os (quickjs-libc) and
// sys modules, then the event loop.
// As PID 1 it ignores argv (the kernel passes stray cmdline words) and never returns.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "quickjs-libc.h"
#include "bytecode_file.h"
#include "host.h"
#include "sys.h"

#define DEFAULT_INIT "/lib/stubdom/init" JSBC_SUFFIX

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The module in bytecode (a .jsbc file, written by stubjsc from the same QuickJS build) as an
 * unresolved module; JS_EXCEPTION on failure. */
static JSValue module_from_bytecode(JSContext *ctx, const uint8_t *buf, size_t len)
{
    const char *unfit = jsbc_check(buf, len);
    if (unfit)
        return JS_ThrowSyntaxError(ctx, "%s", unfit);
    JSValue func = JS_ReadObject(ctx, buf + JSBC_HEADER_SIZE, len - JSBC_HEADER_SIZE, JS_READ_OBJ_BYTECODE);
    if (!JS_IsException(func) && JS_VALUE_GET_TAG(func) != JS_TAG_MODULE) {
        JS_FreeValue(ctx, func);
        return JS_ThrowTypeError(ctx, "the bytecode is not a module (stubjsc writes modules)");
    }
    if (!JS_IsException(func) && JS_ResolveModule(ctx, func) < 0) {
        JS_FreeValue(ctx, func);
        return JS_EXCEPTION;
    }
    return func;
}

/* The module in buf, compiled from source or read as bytecode, resolved and ready to evaluate;
 * JS_EXCEPTION on failure. */
static JSValue module_from(JSContext *ctx, const uint8_t *buf, size_t len, const char *path)
{
    int bytecode = has_suffix(path, JSBC_SUFFIX);
    JSValue func = bytecode ? module_from_bytecode(ctx, buf, len)
                            : JS_Eval(ctx, (const char *)buf, len, path, JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);
    /* Bytecode's source path is not in the image: import.meta.url is the module's name as compiled. */
    if (!JS_IsException(func) && js_module_set_import_meta(ctx, func, !bytecode, 1) < 0) {
        JS_FreeValue(ctx, func);
        return JS_EXCEPTION;
    }
    return func;
}

/* A module's evaluation as an exception if it threw. Since top-level await (JS_EVAL_FLAG_ASYNC,
 * QuickJS 2024-01-13) it is a promise, rejected when the module threw before its first await; a
 * rejection after that is the rejection tracker's to report. */
static JSValue settled(JSContext *ctx, JSValue evaluation)
{
#ifdef JS_EVAL_FLAG_ASYNC
    if (!JS_IsException(evaluation) && JS_PromiseState(ctx, evaluation) == JS_PROMISE_REJECTED) {
        JSValue reason = JS_PromiseResult(ctx, evaluation);
        JS_FreeValue(ctx, evaluation);
        return JS_Throw(ctx, reason);
    }
#endif
    return evaluation;
}

/* Loads and evaluates the module; -1 (already reported) on failure. */
static int run_module(JSContext *ctx, const char *path)
{
    size_t len;
    uint8_t *buf = js_load_file(ctx, &len, path);
    if (!buf) {
        fprintf(stderr, "stubjs: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    JSValue func = module_from(ctx, buf, len, path);
    js_free(ctx, buf);
    JSValue result = settled(ctx, JS_IsException(func) ? func : JS_EvalFunction(ctx, func)); /* takes func */
    if (JS_IsException(result)) {
        JSValue e = JS_GetException(ctx);
        char what[4096];
        snprintf(what, sizeof(what), "%s failed to load", path);
        report_value(ctx, what, e);
        JS_FreeValue(ctx, e);
        return -1;
    }
    JS_FreeValue(ctx, result);
    return 0;
}

static JSContext *new_context(int argc, char **argv)
{
    JSRuntime *rt = JS_NewRuntime();
    JSContext *ctx = rt ? JS_NewContext(rt) : NULL;
    if (!ctx)
        return NULL;
    js_std_init_handlers(rt);
    JS_SetModuleLoaderFunc(rt, NULL, js_module_loader, NULL);
    track_rejections(rt); /* instead of js_std's tracker */
    if (!js_init_module_std(ctx, "std") || !js_init_module_os(ctx, "os") || !js_init_module_sys(ctx, "sys"))
        return NULL;
    js_std_add_helpers(ctx, argc, argv);
    return ctx;
}

int main(int argc, char **argv)
{
    int pid1 = getpid() == 1;
    char *init_argv[2] = { getenv("STUBJS_SCRIPT"), NULL };
    if (pid1) {
        if (!init_argv[0])
            init_argv[0] = DEFAULT_INIT;
        argc = 1;
        argv = init_argv;
    } else if (argc < 2) {
        fprintf(stderr, "usage: stubjs SCRIPT.js|SCRIPT.jsbc [args...]\n");
        return 2;
    } else {
        argc--;
        argv++;
    }
    /* print() output must reach a pipe or the console per line, even though we never exit. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* A write to a closed socket or pipe should be an EPIPE error, not the death of the supervisor. */
    signal(SIGPIPE, SIG_IGN);

    JSContext *ctx = new_context(argc, argv);
    if (!ctx) {
        fprintf(stderr, "stubjs: cannot create the JS runtime\n");
    } else if (run_module(ctx, argv[0]) == 0) {
        js_std_loop(ctx);
        if (!pid1)
            return 0;
        fprintf(stderr, "stubjs: event loop of %s ran dry; PID 1 now only reaps children\n", argv[0]);
        reap_forever();
    }
    if (!pid1)
        return 1;
    fprintf(stderr, "stubjs: %s did not start; PID 1 now only reaps children\n", argv[0]);
    reap_forever();
}
