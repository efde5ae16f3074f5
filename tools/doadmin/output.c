/* output.c: everything doadmin writes. To a console it writes UTF-16 (WriteConsoleW); to a file
 * or a pipe, UTF-8 with CRLF line ends, as Windows tools do. Error lines go to stderr, one per
 * failure, and start with the switch and its job ("doadmin: /resume myjob: ..."). */
#include "doadmin.h"
#include "version.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    HANDLE handle;
    int console;
} stream;

static stream out_stream, err_stream;
static HANDLE interrupt_event;

static stream open_stream(DWORD which)
{
    stream s = { GetStdHandle(which), 0 };
    DWORD mode;
    s.console = s.handle != INVALID_HANDLE_VALUE && s.handle && GetConsoleMode(s.handle, &mode);
    return s;
}

void out_init(void)
{
    out_stream = open_stream(STD_OUTPUT_HANDLE);
    err_stream = open_stream(STD_ERROR_HANDLE);
}

int out_is_console(void)
{
    return out_stream.console;
}

/* UTF-8 with CRLF for a file or pipe: "\n" becomes "\r\n" (a "\r\n" already there stays). */
static void write_redirected(HANDLE handle, const wchar_t *text, size_t length)
{
    size_t newlines = 0;
    for (size_t i = 0; i < length; i++)
        newlines += text[i] == L'\n' && (i == 0 || text[i - 1] != L'\r');
    wchar_t *crlf = malloc((length + newlines) * sizeof *crlf);
    if (!crlf)
        return;
    size_t n = 0;
    for (size_t i = 0; i < length; i++) {
        if (text[i] == L'\n' && (i == 0 || text[i - 1] != L'\r'))
            crlf[n++] = L'\r';
        crlf[n++] = text[i];
    }
    int bytes = n ? WideCharToMultiByte(CP_UTF8, 0, crlf, (int)n, NULL, 0, NULL, NULL) : 0;
    char *utf8 = bytes > 0 ? malloc((size_t)bytes) : NULL;
    DWORD written;
    if (utf8 && WideCharToMultiByte(CP_UTF8, 0, crlf, (int)n, utf8, bytes, NULL, NULL) == bytes)
        WriteFile(handle, utf8, (DWORD)bytes, &written, NULL);
    free(utf8);
    free(crlf);
}

static void write_text(const stream *to, const wchar_t *text, size_t length)
{
    DWORD written;
    if (to->console)
        WriteConsoleW(to->handle, text, (DWORD)length, &written, NULL);
    else
        write_redirected(to->handle, text, length);
}

/* Formats into a heap buffer (the caller frees it); NULL when out of memory. */
static wchar_t *format_alloc(const wchar_t *fmt, va_list ap)
{
    for (size_t size = 512; size <= (1u << 24); size *= 2) {
        wchar_t *buf = malloc(size * sizeof *buf);
        if (!buf)
            return NULL;
        va_list copy;
        va_copy(copy, ap);
        int n = vswprintf(buf, size, fmt, copy);
        va_end(copy);
        if (n >= 0 && (size_t)n < size - 1)
            return buf;
        free(buf);
    }
    return NULL;
}

static void vprint(const stream *to, const wchar_t *fmt, va_list ap)
{
    wchar_t *text = format_alloc(fmt, ap);
    if (text)
        write_text(to, text, wcslen(text));
    free(text);
}

void out_printf(const wchar_t *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint(&out_stream, fmt, ap);
    va_end(ap);
}

int out_value(const session *s, const wchar_t *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint(&out_stream, fmt, ap);
    va_end(ap);
    if (!s->raw)
        out_printf(L"\n");
    return EXIT_OK;
}

int out_done(const session *s, const wchar_t *fmt, ...)
{
    if (s->raw)
        return EXIT_OK;
    va_list ap;
    va_start(ap, fmt);
    vprint(&out_stream, fmt, ap);
    va_end(ap);
    out_printf(L"\n");
    return EXIT_OK;
}

void out_banner(const session *s)
{
    if (!s->raw)
        out_printf(L"DOADMIN version %hs (opendo)\n"
                   L"Delivery Optimization administration tool, bitsadmin-compatible.\n\n",
                   OPENDO_VERSION);
}

/* "switch subject", the subject cut to what fits (a job name can be anything the user typed). */
void session_context(session *s, const wchar_t *switch_name, const wchar_t *subject)
{
    size_t room = ARRAYSIZE(s->context) - wcslen(switch_name) - 2;
    swprintf(s->context, ARRAYSIZE(s->context), subject ? L"%ls %.*ls" : L"%ls", switch_name,
             (int)room, subject);
}

int fail(const session *s, int status, const wchar_t *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wchar_t *message = format_alloc(fmt, ap);
    va_end(ap);
    wchar_t *line = NULL;
    if (message) {
        size_t size = wcslen(message) + wcslen(s->context) + 16;
        line = malloc(size * sizeof *line);
        if (line)
            swprintf(line, size, s->context[0] ? L"doadmin: %ls: %ls\n" : L"doadmin: %ls%ls\n",
                     s->context, message);
    }
    if (line)
        write_text(&err_stream, line, wcslen(line));
    free(line);
    free(message);
    return status;
}

/* The service's text for hr (IBackgroundCopyManager::GetErrorDescription), else the system's. */
static wchar_t *describe(const session *s, HRESULT hr)
{
    LPWSTR text = NULL;
    if (s->manager &&
        SUCCEEDED(IBackgroundCopyManager_GetErrorDescription(s->manager, hr, 0, &text)) && text) {
        wchar_t *copy = _wcsdup(text);
        CoTaskMemFree(text);
        return copy;
    }
    wchar_t *system = NULL;
    if (!FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                            FORMAT_MESSAGE_IGNORE_INSERTS,
                        NULL, (DWORD)hr, 0, (LPWSTR)&system, 0, NULL))
        return NULL;
    wchar_t *copy = _wcsdup(system);
    LocalFree(system);
    return copy;
}

void hr_text(const session *s, HRESULT hr, wchar_t *buf, size_t size)
{
    wchar_t *text = describe(s, hr);
    size_t length = text ? wcslen(text) : 0;
    while (length > 0 && wcschr(L"\r\n\t ", text[length - 1]))
        text[--length] = L'\0';
    for (size_t i = 0; i < length; i++) /* one line, whatever the message table says */
        if (text[i] == L'\r' || text[i] == L'\n')
            text[i] = L' ';
    swprintf(buf, size, length ? L"0x%08lX - %ls" : L"0x%08lX", (unsigned long)hr,
             length ? text : L"");
    free(text);
}

int fail_hr(const session *s, HRESULT hr)
{
    wchar_t text[1024];
    hr_text(s, hr, text, ARRAYSIZE(text));
    return fail(s, EXIT_FAILED, L"%ls", text);
}

/* ---- console redrawing ---------------------------------------------------------------------- */

int out_console_width(void)
{
    CONSOLE_SCREEN_BUFFER_INFO info;
    if (!GetConsoleScreenBufferInfo(out_stream.handle, &info))
        return 80;
    int width = info.srWindow.Right - info.srWindow.Left + 1;
    return width > 20 ? width : 80;
}

/* text cut or padded to one column less than the console, so it never wraps. */
static void write_console_row(const wchar_t *text)
{
    int width = out_console_width() - 1;
    int length = (int)wcslen(text);
    out_printf(L"%-*.*ls", width, length < width ? length : width, text);
}

void out_redraw_line(const wchar_t *text)
{
    out_printf(L"\r");
    write_console_row(text);
}

void out_redraw_block(wchar_t **lines, int count)
{
    static SHORT top_row;
    static int drawn; /* rows drawn last time */
    CONSOLE_SCREEN_BUFFER_INFO info;
    if (drawn) {
        COORD top = { 0, top_row };
        SetConsoleCursorPosition(out_stream.handle, top);
    }
    for (int i = 0; i < count; i++) {
        write_console_row(lines[i]);
        out_printf(L"\n");
    }
    if (!GetConsoleScreenBufferInfo(out_stream.handle, &info))
        return;
    /* The block may have scrolled the buffer: where it starts now. */
    top_row = (SHORT)(info.dwCursorPosition.Y - count);
    for (int i = count; i < drawn; i++) {
        write_console_row(L"");
        out_printf(L"\n");
    }
    COORD end = { 0, (SHORT)(top_row + count) };
    SetConsoleCursorPosition(out_stream.handle, end);
    drawn = count;
}

/* ---- Ctrl+C ---------------------------------------------------------------------------------- */

static BOOL WINAPI on_console_control(DWORD type)
{
    if (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT)
        return FALSE;
    SetEvent(interrupt_event);
    return TRUE;
}

int interrupted(DWORD wait_ms)
{
    if (!interrupt_event) {
        interrupt_event = CreateEventW(NULL, TRUE, FALSE, NULL);
        SetConsoleCtrlHandler(on_console_control, TRUE);
    }
    return WaitForSingleObject(interrupt_event, wait_ms) == WAIT_OBJECT_0;
}
