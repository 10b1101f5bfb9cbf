// stubjsc: compiles one ES module to the QuickJS bytecode stubjs runs (a .jsbc file), on the build
// machine. It links the very QuickJS objects stubjs links, so the bytecode's version and layout are
// the runtime's; the image then skips parsing the init at every boot.
//   stubjsc SOURCE.js OUTPUT.jsbc MODULE-NAME
// MODULE-NAME is what stack traces and import.meta.url show; no build path enters the output.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "quickjs-libc.h"
#include "../native/bytecode_file.h"

/* stubjs's built-in modules (stubjs.c's new_context). A bundle imports nothing else. */
static const char *const BUILTIN_MODULES[] = { "std", "os", "sys" };

/* Compiling resolves imports: a built-in is an empty stand-in here, linked for real by stubjs. */
static JSModuleDef *builtin_only(JSContext *ctx, const char *name, void *opaque)
{
    for (size_t i = 0; i < sizeof(BUILTIN_MODULES) / sizeof(BUILTIN_MODULES[0]); i++)
        if (strcmp(name, BUILTIN_MODULES[i]) == 0)
            return JS_NewCModule(ctx, name, NULL);
    JS_ThrowReferenceError(ctx, "imports '%s', which is not a stubjs built-in module (std, os, sys): bundle it", name);
    return NULL;
}

static int fail(JSContext *ctx, const char *what)
{
    JSValue e = JS_GetException(ctx);
    const char *message = JS_ToCString(ctx, e);
    fprintf(stderr, "stubjsc: %s: %s\n", what, message ? message : "(no message)");
    JS_FreeCString(ctx, message);
    JS_FreeValue(ctx, e);
    return 1;
}

static int write_file(const char *path, const uint8_t *bytecode, size_t len)
{
    uint8_t header[JSBC_HEADER_SIZE];
    jsbc_header(header, bytecode, len);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(header, 1, sizeof(header), f) != sizeof(header) || fwrite(bytecode, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "stubjsc: writing %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: stubjsc SOURCE.js OUTPUT.jsbc MODULE-NAME\n");
        return 2;
    }
    JSRuntime *rt = JS_NewRuntime();
    JSContext *ctx = rt ? JS_NewContext(rt) : NULL;
    if (!ctx) {
        fprintf(stderr, "stubjsc: cannot create the JS runtime\n");
        return 1;
    }
    JS_SetModuleLoaderFunc(rt, NULL, builtin_only, NULL);
#ifdef JS_STRIP_SOURCE
    /* Since 2025-04-26 functions keep their source text (for toString) unless stripped, which would
     * more than double the init's file; line and column numbers stay for stack traces. */
    JS_SetStripInfo(rt, JS_STRIP_SOURCE);
#endif
    size_t len;
    uint8_t *source = js_load_file(ctx, &len, argv[1]);
    if (!source) {
        fprintf(stderr, "stubjsc: cannot read %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    JSValue module = JS_Eval(ctx, (const char *)source, len, argv[3], JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);
    js_free(ctx, source);
    if (JS_IsException(module))
        return fail(ctx, argv[1]);
    size_t size;
    uint8_t *bytecode = JS_WriteObject(ctx, &size, module, JS_WRITE_OBJ_BYTECODE);
    JS_FreeValue(ctx, module);
    if (!bytecode)
        return fail(ctx, "writing the bytecode");
    int rc = write_file(argv[2], bytecode, size);
    js_free(ctx, bytecode);
    JS_FreeContext(ctx);
    JS_FreeRuntime(rt);
    return rc;
}
