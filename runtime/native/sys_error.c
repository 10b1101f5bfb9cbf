// Errors thrown by `sys`: an Error whose message names the call and its arguments, so a boot log line
// is enough to see what failed, and whose .code is the errno name for programmatic checks.
#include <errno.h>
#include <string.h>
#include "cutils.h"
#include "sys.h"

static void append_args(JSContext *ctx, DynBuf *b, int argc, JSValueConst *argv)
{
    for (int i = 0; i < argc; i++) {
        JSValue json = JS_JSONStringify(ctx, argv[i], JS_UNDEFINED, JS_UNDEFINED);
        const char *s = JS_IsException(json) || JS_IsUndefined(json) ? NULL : JS_ToCString(ctx, json);
        if (JS_IsException(json))
            JS_FreeValue(ctx, JS_GetException(ctx)); /* e.g. a cyclic object: show a placeholder */
        if (i > 0)
            dbuf_putstr(b, ", ");
        dbuf_putstr(b, s ? s : "undefined");
        JS_FreeCString(ctx, s);
        JS_FreeValue(ctx, json);
    }
}

JSValue sys_throw(JSContext *ctx, int err, const char *call, int argc, JSValueConst *argv,
                  const char *detail)
{
    DynBuf b;
    dbuf_init(&b);
    dbuf_printf(&b, "%s(", call);
    append_args(ctx, &b, argc, argv);
    dbuf_putstr(&b, "): ");
    if (detail)
        dbuf_printf(&b, "%s: ", detail);
    dbuf_putstr(&b, strerror(err));

    JSValue global = JS_GetGlobalObject(ctx);
    JSValue ctor = JS_GetPropertyStr(ctx, global, "Error");
    JSValue msg = b.error ? JS_NewString(ctx, strerror(err)) : JS_NewStringLen(ctx, (char *)b.buf, b.size);
    dbuf_free(&b);
    /* Calling the constructor (rather than JS_NewError) records a stack trace. */
    JSValue e = JS_CallConstructor(ctx, ctor, 1, (JSValueConst *)&msg);
    JS_FreeValue(ctx, msg);
    JS_FreeValue(ctx, ctor);
    JS_FreeValue(ctx, global);
    if (JS_IsException(e))
        return e;
    const char *name = sys_errno_name(err);
    JS_SetPropertyStr(ctx, e, "code", JS_NewString(ctx, name ? name : "EUNKNOWN"));
    JS_SetPropertyStr(ctx, e, "errno", JS_NewInt32(ctx, err));
    return JS_Throw(ctx, e);
}

const char *sys_opt_cstring(JSContext *ctx, JSValueConst v, int *failed)
{
    if (JS_IsNull(v) || JS_IsUndefined(v))
        return NULL;
    const char *s = JS_ToCString(ctx, v);
    if (!s)
        *failed = 1;
    return s;
}
