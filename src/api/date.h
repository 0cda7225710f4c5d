/* date.h - validation of the `nascimento` field: a real calendar date. */
#ifndef BARDO_DATE_H
#define BARDO_DATE_H

#include <stdbool.h>

#include "core/slice.h"

/* True when s is exactly "YYYY-MM-DD" (ASCII digits), year 0001..9999,
 * month 01..12 and a day that exists in that month of the proleptic
 * Gregorian calendar (2000-02-29 yes, 1900-02-29 and 2021-02-29 no). */
bool dateValid(slice s);

#endif
