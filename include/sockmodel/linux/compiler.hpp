// Kernel tables are written with designated initializers that leave out what
// they do not set, as the kernel's C does. GCC 12's -Wextra warns about every
// member left out (-Wmissing-field-initializers) even though each has a
// default; the library's table headers silence that one warning for their own
// definitions only.
#pragma once

#define SOCKMODEL_TABLES_BEGIN \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"")
#define SOCKMODEL_TABLES_END _Pragma("GCC diagnostic pop")
