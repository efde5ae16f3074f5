/* help.c: /help (/?), /examples, and the answer of every switch this service cannot support. */
#include "doadmin.h"

#define SYNTAX_COLUMN 44

int run_help(session *s, const command *cmd, const invocation *inv)
{
    const wchar_t *group = NULL;
    (void)s, (void)cmd, (void)inv;
    out_printf(
        L"USAGE: doadmin [/rawreturn] [/wrap | /nowrap] <switch> [options] [arguments]\n"
        L"  <job> is a job's GUID, {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}, or its display\n"
        L"  name among your jobs. /rawreturn prints bare values for scripts (no banner, no\n"
        L"  line end after a single value). /wrap and /nowrap are accepted; lines are never\n"
        L"  broken by doadmin.\n");
    for (size_t i = 0; i < command_count; i++) {
        const command *c = &commands[i];
        wchar_t usage[200];
        if (!group || wcscmp(group, c->group) != 0)
            out_printf(L"\n%ls\n", group = c->group);
        swprintf(usage, ARRAYSIZE(usage), L"%ls%ls%ls", c->name, c->syntax[0] ? L" " : L"",
                 c->syntax);
        if (wcslen(usage) < SYNTAX_COLUMN - 2)
            out_printf(L"  %-*ls%ls\n", SYNTAX_COLUMN - 2, usage, c->summary);
        else
            out_printf(L"  %ls\n  %-*ls%ls\n", usage, SYNTAX_COLUMN - 2, L"", c->summary);
    }
    return EXIT_OK;
}

int run_examples(session *s, const command *cmd, const invocation *inv)
{
    (void)s, (void)cmd, (void)inv;
    out_printf(
        L"Download one file in one step (progress until done, then the file is in place):\n"
        L"  doadmin /transfer myDownloadJob /download /priority normal "
        L"https://downloadsrv/10mb.zip c:\\10mb.zip\n"
        L"\n"
        L"The same, step by step:\n"
        L"  doadmin /create myDownloadJob                  prints the job's GUID\n"
        L"  doadmin /addfile myDownloadJob https://downloadsrv/10mb.zip c:\\10mb.zip\n"
        L"  doadmin /resume myDownloadJob\n"
        L"  doadmin /info myDownloadJob /verbose           TRANSFERRED when all files are in\n"
        L"  doadmin /complete myDownloadJob                the files appear under their names\n"
        L"\n"
        L"Watch or clear the queue:\n"
        L"  doadmin /list /verbose\n"
        L"  doadmin /monitor /refresh 2                    Ctrl+C stops it\n"
        L"  doadmin /reset                                 cancels all of your jobs\n"
        L"\n"
        L"In a script:\n"
        L"  doadmin /rawreturn /getstate myDownloadJob     Transferred, with no line end\n"
        L"\n"
        L"A name that several of your jobs have is refused: give the GUID that /list shows.\n");
    return EXIT_OK;
}

int run_not_supported(session *s, const command *cmd, const invocation *inv)
{
    (void)inv;
    return fail(s, EXIT_UNSUPPORTED, L"not supported by this service: %ls", cmd->summary);
}
