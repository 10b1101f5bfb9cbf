// Error output of the host; QuickJS errors carry their stack as a separate property.
#include <stdio.h>
#include "host.h"

static void print_string(JSContext *ctx, JSValueConst v)
{
    const char *s = JS_ToCString(ctx, v);
    fputs(s ? s : "[value not convertible to a string]", stderr);
    JS_FreeCString(ctx, s);
    if (!s)
        JS_FreeValue(ctx, JS_GetException(ctx));
}

void report_value(JSContext *ctx, const char *what, JSValueConst value)
{
    fprintf(stderr, "stubjs: %s: ", what);
    print_string(ctx, value);
    fputc('\n', stderr);
    if (JS_IsError(ctx, value)) {
        JSValue stack = JS_GetPropertyStr(ctx, value, "stack");
        if (JS_IsString(stack))
            print_string(ctx, stack); /* already newline-terminated, one "    at" line per frame */
        JS_FreeValue(ctx, stack);
    }
    fflush(stderr);
}
