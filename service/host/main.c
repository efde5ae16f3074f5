/* dosvc.exe: the opendo Delivery Optimization service.
 *   dosvc                    run under the service control manager (services DoSvc and BITS)
 *   dosvc install            create the service and register the COM class + proxy/stub
 *   dosvc install --bits     make opendo the prefix's BITS service (Wine's registration saved)
 *   dosvc uninstall          stop and delete the service, remove the registration (and give
 *                            BITS back to Wine if the prefix was switched)
 *   dosvc uninstall --bits   give BITS back to Wine, exactly as it was
 *   dosvc console [--bits]   run the same server in the foreground (debugging); --bits also
 *                            serves the BITS classes
 * Any other command line (`dosvc install --anything`, a misspelled word) prints the usage on
 * stderr, does nothing and exits 2. */
#include <stdio.h>
#include <wchar.h>

#include "dosvc.h"

int wmain(int argc, wchar_t **argv)
{
    if (argc < 2)
        return service_dispatch();
    int bits = argc == 3 && !wcscmp(argv[2], L"--bits");
    if (argc == 2 || bits) {
        if (!wcscmp(argv[1], L"install"))
            return bits ? registration_install_bits() : registration_install();
        if (!wcscmp(argv[1], L"uninstall"))
            return bits ? registration_uninstall_bits() : registration_uninstall();
        if (!wcscmp(argv[1], L"console"))
            return service_run_console(bits);
    }
    fprintf(stderr, "usage: dosvc [install | uninstall | console] [--bits]\n");
    return 2;
}
