#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(text_t *text, size_t extra)
{
    if (text->failed)
        return 0;
    if (text->len + extra + 1 <= text->cap)
        return 1;
    size_t cap = text->cap ? text->cap : 256;
    while (cap < text->len + extra + 1)
        cap *= 2;
    char *data = realloc(text->data, cap);
    if (!data) {
        text->failed = 1;
        return 0;
    }
    text->data = data;
    text->cap = cap;
    return 1;
}

void text_append(text_t *text, const char *bytes, size_t count)
{
    if (!reserve(text, count))
        return;
    memcpy(text->data + text->len, bytes, count);
    text->len += count;
    text->data[text->len] = '\0';
}

void text_puts(text_t *text, const char *string)
{
    text_append(text, string, strlen(string));
}

void text_printf(text_t *text, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int needed = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    if (needed < 0 || !reserve(text, (size_t)needed))
        return;
    va_start(args, fmt);
    vsnprintf(text->data + text->len, (size_t)needed + 1, fmt, args);
    va_end(args);
    text->len += (size_t)needed;
}

char *text_finish(text_t *text)
{
    char *result = text->failed ? NULL : text->data ? text->data : calloc(1, 1);
    if (text->failed)
        free(text->data);
    memset(text, 0, sizeof *text);
    return result;
}

void text_free(text_t *text)
{
    free(text->data);
    memset(text, 0, sizeof *text);
}
