/* lifecycle.c: /create, the switches that add files, and those that move a job through its life
 * (/resume /suspend /cancel /complete /takeownership). */
#include "doadmin.h"

#include <stdlib.h>
#include <wctype.h>

#define LISTFILE_MAX_BYTES (16u << 20)

/* The type options of /create and /transfer: at most one, DOWNLOAD when none. */
static int job_type(const session *s, const invocation *inv, BG_JOB_TYPE *type)
{
    static const int options[] = { OPT_DOWNLOAD, OPT_UPLOAD, OPT_UPLOAD_REPLY };
    int given = 0;
    *type = BG_JOB_TYPE_DOWNLOAD;
    for (int i = 0; i < 3; i++)
        if (inv->present & OPTION(options[i])) {
            *type = (BG_JOB_TYPE)i;
            given++;
        }
    return given > 1 ? fail(s, EXIT_USAGE, L"give at most one of /download, /upload, /upload-reply")
                     : EXIT_OK;
}

int create_job(session *s, const wchar_t *name, const invocation *inv, GUID *id,
               IBackgroundCopyJob5 **job)
{
    BG_JOB_TYPE type;
    IBackgroundCopyJob *created = NULL;
    int status = job_type(s, inv, &type);
    if (status != EXIT_OK)
        return status;
    HRESULT hr = IBackgroundCopyManager_CreateJob(s->manager, name, type, id, &created);
    if (SUCCEEDED(hr)) {
        hr = IBackgroundCopyJob_QueryInterface(created, &IID_IBackgroundCopyJob5, (void **)job);
        IBackgroundCopyJob_Release(created);
    }
    if (hr == E_NOTIMPL && type != BG_JOB_TYPE_DOWNLOAD) {
        wchar_t text[512];
        hr_text(s, hr, text, ARRAYSIZE(text));
        return fail(s, EXIT_UNSUPPORTED,
                    L"%ls jobs are not supported by this service (CreateJob answered %ls)",
                    type_name(type), text);
    }
    return FAILED(hr) ? fail_hr(s, hr) : EXIT_OK;
}

/* /create [/download | /upload | /upload-reply] name */
int run_create(session *s, const command *cmd, const invocation *inv)
{
    GUID id;
    wchar_t id_text[39];
    IBackgroundCopyJob5 *job = NULL;
    (void)cmd;
    int status = create_job(s, inv->argv[0], inv, &id, &job);
    if (status != EXIT_OK)
        return status;
    IBackgroundCopyJob5_Release(job);
    guid_text(&id, id_text);
    return s->raw ? out_value(s, L"%ls", id_text) : out_done(s, L"Created job %ls.", id_text);
}

/* pairs: remote, local, remote, local...; added all at once (AddFileSet: all or none). */
HRESULT add_file_pairs(IBackgroundCopyJob5 *job, wchar_t **pairs, int pair_count)
{
    BG_FILE_INFO *files = calloc((size_t)pair_count, sizeof *files);
    if (!files)
        return E_OUTOFMEMORY;
    for (int i = 0; i < pair_count; i++) {
        files[i].RemoteName = pairs[2 * i];
        files[i].LocalName = pairs[2 * i + 1];
    }
    HRESULT hr = IBackgroundCopyJob5_AddFileSet(job, (ULONG)pair_count, files);
    free(files);
    return hr;
}

/* The service's answer names no file: the line does. */
static int fail_add(job_call *call, HRESULT hr)
{
    wchar_t text[1024];
    hr_text(call->s, hr, text, ARRAYSIZE(text));
    return fail(call->s, EXIT_FAILED, L"cannot add %ls -> %ls: %ls", call->argv[0], call->argv[1],
                text);
}

/* /addfile job remote local */
int op_addfile(job_call *call)
{
    HRESULT hr = add_file_pairs(call->job, call->argv, 1);
    return FAILED(hr)
               ? fail_add(call, hr)
               : out_done(call->s, L"Added %ls -> %ls to the job.", call->argv[0], call->argv[1]);
}

/* ---- /addfileset: bitsadmin's list file ------------------------------------------------------ */

/* The whole list file as text: UTF-16 with a BOM, else UTF-8 (BOM optional), else the ANSI
 * code page. NULL with *error set when it cannot be read. */
static wchar_t *read_text_file(const wchar_t *path, DWORD *error)
{
    HANDLE file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                              FILE_ATTRIBUTE_NORMAL, NULL);
    LARGE_INTEGER size;
    if (file == INVALID_HANDLE_VALUE || !GetFileSizeEx(file, &size) ||
        size.QuadPart > LISTFILE_MAX_BYTES) {
        *error = file == INVALID_HANDLE_VALUE ? GetLastError() : ERROR_FILE_TOO_LARGE;
        if (file != INVALID_HANDLE_VALUE)
            CloseHandle(file);
        return NULL;
    }
    DWORD length = (DWORD)size.QuadPart, got = 0;
    unsigned char *bytes = malloc(length + 4);
    wchar_t *text = NULL;
    if (bytes && ReadFile(file, bytes, length, &got, NULL) && got == length) {
        memset(bytes + length, 0, 4); /* ends the text as bytes and as UTF-16, even or odd */
        if (length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE) {
            text = _wcsdup((const wchar_t *)(bytes + 2));
        } else {
            const char *start =
                (const char *)bytes + (length >= 3 && !memcmp(bytes, "\xEF\xBB\xBF", 3) ? 3 : 0);
            UINT page = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, start, -1, NULL, 0)
                            ? CP_UTF8
                            : CP_ACP;
            int units = MultiByteToWideChar(page, 0, start, -1, NULL, 0);
            if (units > 0 && (text = malloc((size_t)units * sizeof *text)))
                MultiByteToWideChar(page, 0, start, -1, text, units);
        }
    }
    *error = text ? ERROR_SUCCESS : ERROR_READ_FAULT;
    free(bytes);
    CloseHandle(file);
    return text;
}

/* Cuts the next name out of *cursor (blanks around it skipped; "double quotes" allow blanks
 * inside); NULL at the end of the line. */
static wchar_t *next_name(wchar_t **cursor)
{
    wchar_t *p = *cursor;
    while (*p == L' ' || *p == L'\t')
        p++;
    if (!*p)
        return NULL;
    int quoted = *p == L'"';
    wchar_t *start = p + quoted;
    p = start;
    while (*p && (quoted ? *p != L'"' : *p != L' ' && *p != L'\t'))
        p++;
    if (*p)
        *p++ = L'\0';
    *cursor = p;
    return start;
}

/* Splits the list file's lines into remote/local pairs; blank lines and lines starting with '#'
 * are skipped. *pairs points into text. */
static int parse_listfile(job_call *call, wchar_t *text, wchar_t ***pairs, int *pair_count)
{
    size_t lines = 1;
    for (wchar_t *p = text; *p; p++)
        lines += *p == L'\n';
    *pair_count = 0;
    if (!(*pairs = calloc(lines * 2, sizeof **pairs)))
        return fail_hr(call->s, E_OUTOFMEMORY);
    wchar_t *line = text;
    for (int number = 1; line; number++) {
        wchar_t *end = wcschr(line, L'\n');
        if (end)
            *end = L'\0';
        size_t length = wcslen(line);
        if (length && line[length - 1] == L'\r')
            line[length - 1] = L'\0';
        wchar_t *cursor = line, *remote = next_name(&cursor);
        if (remote && remote[0] != L'#') {
            wchar_t *local = next_name(&cursor);
            if (!local || next_name(&cursor))
                return fail(call->s, EXIT_USAGE,
                            L"%ls, line %d: expected a remote name and a local name", call->argv[0],
                            number);
            (*pairs)[2 * *pair_count] = remote;
            (*pairs)[2 * (*pair_count)++ + 1] = local;
        }
        line = end ? end + 1 : NULL;
    }
    return *pair_count ? EXIT_OK : fail(call->s, EXIT_USAGE, L"%ls lists no files", call->argv[0]);
}

/* /addfileset job listfile */
int op_addfileset(job_call *call)
{
    DWORD error;
    wchar_t *text = read_text_file(call->argv[0], &error);
    if (!text)
        return fail(call->s, EXIT_FAILED, L"cannot read %ls: error %lu", call->argv[0],
                    (unsigned long)error);
    wchar_t **pairs = NULL;
    int count = 0;
    int status = parse_listfile(call, text, &pairs, &count);
    if (status == EXIT_OK) {
        HRESULT hr = add_file_pairs(call->job, pairs, count);
        status = FAILED(hr) ? fail_hr(call->s, hr)
                            : out_done(call->s, L"Added %d file(s) to the job.", count);
    }
    free(pairs);
    free(text);
    return status;
}

/* ---- /addfilewithranges ---------------------------------------------------------------------- */

/* "offset:length[,offset:length...]", length a number or eof; NULL when malformed. */
static BG_FILE_RANGE *parse_ranges(const wchar_t *text, DWORD *count)
{
    size_t commas = 0;
    for (const wchar_t *p = text; *p; p++)
        commas += *p == L',';
    wchar_t *copy = _wcsdup(text);
    BG_FILE_RANGE *ranges = calloc(commas + 1, sizeof *ranges);
    int ok = copy && ranges;
    *count = 0;
    for (wchar_t *item = copy, *next; ok && item; item = next) {
        next = wcschr(item, L',');
        if (next)
            *next++ = L'\0';
        wchar_t *colon = wcschr(item, L':');
        ok = colon != NULL;
        if (ok)
            *colon = L'\0';
        BG_FILE_RANGE *range = &ranges[(*count)++];
        ok = ok && parse_number(item, BG_LENGTH_TO_EOF - 1, &range->InitialOffset);
        if (ok && _wcsicmp(colon + 1, L"eof") == 0)
            range->Length = BG_LENGTH_TO_EOF;
        else
            ok = ok && parse_number(colon + 1, BG_LENGTH_TO_EOF - 1, &range->Length);
    }
    free(copy);
    if (!ok) {
        free(ranges);
        return NULL;
    }
    return ranges;
}

/* /addfilewithranges job remote local ranges */
int op_addfilewithranges(job_call *call)
{
    DWORD count;
    BG_FILE_RANGE *ranges = parse_ranges(call->argv[2], &count);
    if (!ranges)
        return fail(
            call->s, EXIT_USAGE,
            L"'%ls' is not a range list: offset:length[,offset:length...], length a number or eof",
            call->argv[2]);
    HRESULT hr = IBackgroundCopyJob5_AddFileWithRanges(call->job, call->argv[0], call->argv[1],
                                                       count, ranges);
    free(ranges);
    return FAILED(hr) ? fail_add(call, hr)
                      : out_done(call->s, L"Added %ls -> %ls (%lu range(s)) to the job.",
                                 call->argv[0], call->argv[1], (unsigned long)count);
}

/* /replaceremoteprefix job old new */
int op_replaceremoteprefix(job_call *call)
{
    HRESULT hr = IBackgroundCopyJob5_ReplaceRemotePrefix(call->job, call->argv[0], call->argv[1]);
    return FAILED(hr) ? fail_hr(call->s, hr)
                      : out_done(call->s, L"Remote names starting with %ls now start with %ls.",
                                 call->argv[0], call->argv[1]);
}

/* ---- a job's life ---------------------------------------------------------------------------- */

int op_lifecycle(job_call *call)
{
    static const wchar_t *const done[] = {
        [ACTION_RESUME] = L"Job resumed.",
        [ACTION_SUSPEND] = L"Job suspended.",
        [ACTION_CANCEL] = L"Job canceled.",
        [ACTION_COMPLETE] = L"Job completed.",
        [ACTION_TAKE_OWNERSHIP] = L"Ownership of the job taken.",
    };
    IBackgroundCopyJob5 *job = call->job;
    HRESULT hr = E_UNEXPECTED;
    switch (call->cmd->property) {
    case ACTION_RESUME:
        hr = IBackgroundCopyJob5_Resume(job);
        break;
    case ACTION_SUSPEND:
        hr = IBackgroundCopyJob5_Suspend(job);
        break;
    case ACTION_CANCEL:
        hr = IBackgroundCopyJob5_Cancel(job);
        break;
    case ACTION_COMPLETE:
        hr = IBackgroundCopyJob5_Complete(job);
        break;
    case ACTION_TAKE_OWNERSHIP:
        hr = IBackgroundCopyJob5_TakeOwnership(job);
        break;
    }
    return FAILED(hr) ? fail_hr(call->s, hr) : out_done(call->s, L"%ls", done[call->cmd->property]);
}
