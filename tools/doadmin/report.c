/* report.c: bitsadmin's layouts. A /list line:
 *   {GUID} name STATE files_done / files_total bytes_done / bytes_total|UNKNOWN
 * /info /verbose: the block of docs/admin-guide.md (bitsadmin-examples.md), and the ERROR
 * FILE / CODE / CONTEXT lines that /info, /geterror and /transfer share. Each report reads
 * every value first and prints only when all reads succeeded: never half a block. */
#include "doadmin.h"

#include <stdlib.h>

HRESULT job_summary_read(IBackgroundCopyJob5 *job, job_summary *summary)
{
    GUID id;
    summary->name = NULL;
    HRESULT hr = IBackgroundCopyJob5_GetId(job, &id);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob5_GetDisplayName(job, &summary->name);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob5_GetState(job, &summary->state);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob5_GetProgress(job, &summary->progress);
    if (SUCCEEDED(hr))
        guid_text(&id, summary->id);
    else
        job_summary_free(summary);
    return hr;
}

void job_summary_free(job_summary *summary)
{
    CoTaskMemFree(summary->name);
    summary->name = NULL;
}

void job_summary_line(const job_summary *summary, wchar_t *buf, size_t size)
{
    wchar_t total[24];
    bytes_total_text(summary->progress.BytesTotal, total, ARRAYSIZE(total));
    swprintf(buf, size, L"%ls %ls %ls %lu / %lu %llu / %ls", summary->id, summary->name,
             state_caps(summary->state), (unsigned long)summary->progress.FilesTransferred,
             (unsigned long)summary->progress.FilesTotal,
             (unsigned long long)summary->progress.BytesTransferred, total);
}

/* ---- files ----------------------------------------------------------------------------------- */

typedef struct {
    LPWSTR remote, local;
    BG_FILE_PROGRESS progress;
} file_row;

static void free_files(file_row *rows, ULONG count)
{
    for (ULONG i = 0; i < count; i++) {
        CoTaskMemFree(rows[i].remote);
        CoTaskMemFree(rows[i].local);
    }
    free(rows);
}

static HRESULT read_file_row(IBackgroundCopyFile *file, file_row *row)
{
    HRESULT hr = IBackgroundCopyFile_GetRemoteName(file, &row->remote);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyFile_GetLocalName(file, &row->local);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyFile_GetProgress(file, &row->progress);
    return hr;
}

static HRESULT read_files(IBackgroundCopyJob5 *job, file_row **rows, ULONG *count)
{
    IEnumBackgroundCopyFiles *files = NULL;
    ULONG total = 0;
    *rows = NULL;
    *count = 0;
    HRESULT hr = IBackgroundCopyJob5_EnumFiles(job, &files);
    if (SUCCEEDED(hr))
        hr = IEnumBackgroundCopyFiles_GetCount(files, &total);
    if (SUCCEEDED(hr) && !(*rows = calloc(total ? total : 1, sizeof **rows)))
        hr = E_OUTOFMEMORY;
    while (SUCCEEDED(hr) && *count < total) {
        IBackgroundCopyFile *file = NULL;
        hr = IEnumBackgroundCopyFiles_Next(files, 1, &file, NULL);
        if (hr != S_OK)
            break; /* S_FALSE: fewer files than counted */
        hr = read_file_row(file, &(*rows)[(*count)++]);
        IBackgroundCopyFile_Release(file);
    }
    if (files)
        IEnumBackgroundCopyFiles_Release(files);
    if (FAILED(hr)) {
        free_files(*rows, *count);
        *rows = NULL;
        *count = 0;
    }
    return FAILED(hr) ? hr : S_OK;
}

/* <done> / <total|UNKNOWN> <WORKING|TRANSFERRED> <remote> -> <local> */
static void print_file_rows(const file_row *rows, ULONG count)
{
    for (ULONG i = 0; i < count; i++) {
        wchar_t total[24];
        bytes_total_text(rows[i].progress.BytesTotal, total, ARRAYSIZE(total));
        out_printf(L"%llu / %ls %ls %ls -> %ls\n",
                   (unsigned long long)rows[i].progress.BytesTransferred, total,
                   rows[i].progress.Completed ? L"TRANSFERRED" : L"WORKING", rows[i].remote,
                   rows[i].local);
    }
}

HRESULT print_job_files(const session *s, IBackgroundCopyJob5 *job)
{
    file_row *rows;
    ULONG count;
    HRESULT hr = read_files(job, &rows, &count);
    if (FAILED(hr))
        return hr;
    print_file_rows(rows, count);
    if (!s->raw)
        out_printf(L"\nListed %lu file(s).\n", (unsigned long)count);
    free_files(rows, count);
    return S_OK;
}

/* ---- the job's error ------------------------------------------------------------------------- */

typedef struct {
    int present;
    file_row file; /* remote NULL: the error is not tied to a file */
    HRESULT code;
    BG_ERROR_CONTEXT context;
    LPWSTR code_text, context_text;
} job_error;

static void free_error(job_error *error)
{
    CoTaskMemFree(error->file.remote);
    CoTaskMemFree(error->file.local);
    CoTaskMemFree(error->code_text);
    CoTaskMemFree(error->context_text);
}

static HRESULT read_error_file(IBackgroundCopyError *error, file_row *row)
{
    IBackgroundCopyFile *file = NULL;
    HRESULT hr = IBackgroundCopyError_GetFile(error, &file);
    if (hr == DO_E_FILE_NOT_AVAILABLE)
        return S_OK;
    if (SUCCEEDED(hr))
        hr = read_file_row(file, row);
    if (file)
        IBackgroundCopyFile_Release(file);
    return hr;
}

/* present stays 0 when the job has no error (DO_E_ERROR_INFORMATION_UNAVAILABLE). */
static HRESULT read_error(IBackgroundCopyJob5 *job, job_error *out)
{
    IBackgroundCopyError *error = NULL;
    memset(out, 0, sizeof *out);
    HRESULT hr = IBackgroundCopyJob5_GetError(job, &error);
    if (hr == DO_E_ERROR_INFORMATION_UNAVAILABLE)
        return S_OK;
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyError_GetError(error, &out->context, &out->code);
    /* A code or context the service has no text for is still shown, without its text. */
    if (SUCCEEDED(hr) &&
        FAILED(IBackgroundCopyError_GetErrorDescription(error, 0, &out->code_text)))
        out->code_text = NULL;
    if (SUCCEEDED(hr) &&
        FAILED(IBackgroundCopyError_GetErrorContextDescription(error, 0, &out->context_text)))
        out->context_text = NULL;
    if (SUCCEEDED(hr))
        hr = read_error_file(error, &out->file);
    if (error)
        IBackgroundCopyError_Release(error);
    out->present = SUCCEEDED(hr);
    return hr;
}

static void print_error_lines(const job_error *error)
{
    if (error->file.remote)
        out_printf(L"ERROR FILE:    %ls -> %ls\n", error->file.remote, error->file.local);
    static const wchar_t no_text[] = L"(the service has no text for it)";
    out_printf(L"ERROR CODE:    0x%08lx - %ls\n", (unsigned long)error->code,
               error->code_text ? error->code_text : no_text);
    out_printf(L"ERROR CONTEXT: 0x%08lx - %ls\n", (unsigned long)error->context,
               error->context_text ? error->context_text : no_text);
}

HRESULT print_job_error(IBackgroundCopyJob5 *job, HRESULT *code)
{
    job_error error;
    HRESULT hr = read_error(job, &error);
    if (SUCCEEDED(hr) && !error.present)
        hr = DO_E_ERROR_INFORMATION_UNAVAILABLE;
    if (SUCCEEDED(hr)) {
        print_error_lines(&error);
        *code = error.code;
    }
    free_error(&error);
    return hr;
}

void cmdline_text(LPCWSTR program, LPCWSTR parameters, wchar_t *buf, size_t size)
{
    if (!program)
        swprintf(buf, size, L"none");
    else
        swprintf(buf, size, parameters ? L"%ls %ls" : L"%ls", program, parameters);
}

/* ---- /info /verbose -------------------------------------------------------------------------- */

typedef struct {
    job_summary summary;
    BG_JOB_TYPE type;
    LPWSTR owner, description, proxy_list, proxy_bypass, program, parameters;
    BG_JOB_PRIORITY priority;
    BG_JOB_TIMES times;
    int notify_registered;
    ULONG notify_flags, retry_delay, no_progress_timeout, error_count;
    BG_JOB_PROXY_USAGE proxy_usage;
    job_error error;
    file_row *files;
    ULONG file_count;
} job_details;

static void free_details(job_details *d)
{
    job_summary_free(&d->summary);
    CoTaskMemFree(d->owner);
    CoTaskMemFree(d->description);
    CoTaskMemFree(d->proxy_list);
    CoTaskMemFree(d->proxy_bypass);
    CoTaskMemFree(d->program);
    CoTaskMemFree(d->parameters);
    free_error(&d->error);
    free_files(d->files, d->file_count);
}

/* REGISTERED when the job has a callback interface; the call hands back that object's proxy. */
HRESULT read_notify_registered(IBackgroundCopyJob5 *job, int *registered)
{
    IUnknown *sink = NULL;
    HRESULT hr = IBackgroundCopyJob5_GetNotifyInterface(job, &sink);
    *registered = sink != NULL;
    if (sink)
        IUnknown_Release(sink);
    return hr;
}

static HRESULT read_details(IBackgroundCopyJob5 *job, job_details *d)
{
    memset(d, 0, sizeof *d);
    HRESULT hr = job_summary_read(job, &d->summary);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob5_GetType(job, &d->type);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob5_GetOwner(job, &d->owner);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob5_GetPriority(job, &d->priority);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob5_GetTimes(job, &d->times);
    if (SUCCEEDED(hr))
        hr = read_notify_registered(job, &d->notify_registered);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob5_GetNotifyFlags(job, &d->notify_flags);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob5_GetMinimumRetryDelay(job, &d->retry_delay);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob5_GetNoProgressTimeout(job, &d->no_progress_timeout);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob5_GetErrorCount(job, &d->error_count);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob5_GetProxySettings(job, &d->proxy_usage, &d->proxy_list,
                                                  &d->proxy_bypass);
    if (SUCCEEDED(hr))
        hr = read_error(job, &d->error);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob5_GetDescription(job, &d->description);
    if (SUCCEEDED(hr))
        hr = read_files(job, &d->files, &d->file_count);
    if (SUCCEEDED(hr))
        hr = IBackgroundCopyJob5_GetNotifyCmdLine(job, &d->program, &d->parameters);
    return hr;
}

static void print_details(const job_details *d)
{
    wchar_t owner[600], created[40], modified[40], completed[40], total[24], cmdline[4400];
    owner_text(d->owner, owner, ARRAYSIZE(owner));
    time_text(d->times.CreationTime, created, ARRAYSIZE(created));
    time_text(d->times.ModificationTime, modified, ARRAYSIZE(modified));
    time_text(d->times.TransferCompletionTime, completed, ARRAYSIZE(completed));
    bytes_total_text(d->summary.progress.BytesTotal, total, ARRAYSIZE(total));
    out_printf(L"GUID: %ls DISPLAY: %ls\n", d->summary.id, d->summary.name);
    out_printf(L"TYPE: %ls STATE: %ls OWNER: %ls\n", type_name(d->type),
               state_caps(d->summary.state), owner);
    out_printf(L"PRIORITY: %ls FILES: %lu / %lu BYTES: %llu / %ls\n",
               enum_name(priority_names, 4, (int)d->priority),
               (unsigned long)d->summary.progress.FilesTransferred,
               (unsigned long)d->summary.progress.FilesTotal,
               (unsigned long long)d->summary.progress.BytesTransferred, total);
    out_printf(L"CREATION TIME: %ls MODIFICATION TIME: %ls\n", created, modified);
    out_printf(L"COMPLETION TIME: %ls\n", completed);
    out_printf(L"NOTIFY INTERFACE: %ls NOTIFICATION FLAGS: %lu\n",
               d->notify_registered ? L"REGISTERED" : L"UNREGISTERED",
               (unsigned long)d->notify_flags);
    out_printf(L"RETRY DELAY: %lu NO PROGRESS TIMEOUT: %lu ERROR COUNT: %lu\n",
               (unsigned long)d->retry_delay, (unsigned long)d->no_progress_timeout,
               (unsigned long)d->error_count);
    out_printf(L"PROXY USAGE: %ls PROXY LIST: %ls PROXY BYPASS LIST: %ls\n",
               enum_name(proxy_usage_names, 4, (int)d->proxy_usage),
               d->proxy_list ? d->proxy_list : L"NULL",
               d->proxy_bypass ? d->proxy_bypass : L"NULL");
    if (d->error.present)
        print_error_lines(&d->error);
    out_printf(d->description[0] ? L"DESCRIPTION: %ls\n" : L"DESCRIPTION:%ls\n", d->description);
    out_printf(L"JOB FILES:\n");
    print_file_rows(d->files, d->file_count);
    cmdline_text(d->program, d->parameters, cmdline, ARRAYSIZE(cmdline));
    out_printf(L"NOTIFICATION COMMAND LINE: %ls\n", cmdline);
}

HRESULT print_job_info(IBackgroundCopyJob5 *job, int verbose)
{
    HRESULT hr;
    if (!verbose) {
        job_summary summary;
        wchar_t line[1024];
        hr = job_summary_read(job, &summary);
        if (SUCCEEDED(hr)) {
            job_summary_line(&summary, line, ARRAYSIZE(line));
            out_printf(L"%ls\n", line);
            job_summary_free(&summary);
        }
        return hr;
    }
    job_details details;
    hr = read_details(job, &details);
    if (SUCCEEDED(hr))
        print_details(&details);
    free_details(&details);
    return hr;
}
