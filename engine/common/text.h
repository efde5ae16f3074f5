/* A growing UTF-8 text (reports, log excerpts). An allocation failure is remembered: later
 * appends do nothing and text_finish returns NULL, so callers check once at the end. */
#ifndef OPENDO_TEXT_H
#define OPENDO_TEXT_H

#include <stddef.h>

typedef struct text {
    char *data; /* NUL-terminated while len > 0 */
    size_t len, cap;
    int failed;
} text_t;

void text_append(text_t *text, const char *bytes, size_t count);
void text_puts(text_t *text, const char *string);
void text_printf(text_t *text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (malloc'ed, "" when empty), or NULL after an allocation failure; text is reset. */
char *text_finish(text_t *text);
void text_free(text_t *text);

#endif
