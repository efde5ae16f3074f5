/* dosvc.exe: the opendo Delivery Optimization service.
 *   dosvc                    run under the service control manager (services DoSvc and BITS)
 *   dosvc install            create the service and register the COM class + proxy/stub
 *   dosvc uninstall          stop and delete the service, remove the registration
 *   dosvc console [--bits]   run the same server in the foreground (debugging); --bits also
 *                            serves the BITS classes */
#include <stdio.h>
#include <wchar.h>

#include "dosvc.h"

int wmain(int argc, wchar_t **argv)
{
    if (argc < 2)
        return service_dispatch();
    int bits = argc == 3 && !wcscmp(argv[2], L"--bits");
    if (argc == 2 && !wcscmp(argv[1], L"install"))
        return registration_install();
    if (argc == 2 && !wcscmp(argv[1], L"uninstall"))
        return registration_uninstall();
    if ((argc == 2 || bits) && !wcscmp(argv[1], L"console"))
        return service_run_console(bits);
    fprintf(stderr, "usage: dosvc [install | uninstall | console [--bits]]\n");
    return 2;
}
