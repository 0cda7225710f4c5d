/* date.c - see date.h. Fixed positions, no sscanf: digits at 0-3, 5-6,
 * 8-9 and '-' at 4 and 7; then the day is checked against the month's
 * length with the Gregorian leap rule. */
#include "api/date.h"

/* Value of n ASCII digits at s, or -1 when one is not a digit. */
static int digitsAt(const char *s, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static bool isLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool dateValid(slice s) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (s.len != 10 || s.ptr[4] != '-' || s.ptr[7] != '-') return false;
    int y = digitsAt(s.ptr, 4), m = digitsAt(s.ptr + 5, 2), d = digitsAt(s.ptr + 8, 2);
    if (y < 1 || m < 1 || m > 12 || d < 1) return false;
    int max = days[m - 1] + (m == 2 && isLeap(y));
    return d <= max;
}
