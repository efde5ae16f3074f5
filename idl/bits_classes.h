/* The ten BITS classes of idl/deliveryoptimization.idl, oldest first: Wine's BITS serves the
 * first only; opendo serves all ten once a prefix is switched (`dosvc install --bits`).
 *   static const CLSID *const classes[BITS_CLASS_COUNT] = BITS_CLASSES; */
#ifndef OPENDO_BITS_CLASSES_H
#define OPENDO_BITS_CLASSES_H

#define BITS_CLASS_COUNT 10
#define BITS_CLASSES                                                                               \
    {                                                                                              \
        &CLSID_BackgroundCopyManager, &CLSID_BackgroundCopyManager1_5,                             \
        &CLSID_BackgroundCopyManager2_0, &CLSID_BackgroundCopyManager2_5,                          \
        &CLSID_BackgroundCopyManager3_0, &CLSID_BackgroundCopyManager4_0,                          \
        &CLSID_BackgroundCopyManager5_0, &CLSID_BackgroundCopyManager10_1,                         \
        &CLSID_BackgroundCopyManager10_2, &CLSID_BackgroundCopyManager10_3,                        \
    }

#endif
