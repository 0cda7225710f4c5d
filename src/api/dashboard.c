/* dashboard.c - embeds src/api/dashboard.html (see dashboard.h). The path
 * is relative to the project root, where make runs the compiler; the
 * Makefile's dependency files do not see .incbin, so after editing the page
 * `touch` this file (or make clean). */
#include "api/dashboard.h"

extern const char dashboardHtml[];
extern const char dashboardHtmlEnd[];

__asm__(".section .rodata\n"
        ".global dashboardHtml\n"
        ".type dashboardHtml, @object\n"
        "dashboardHtml:\n"
        ".incbin \"src/api/dashboard.html\"\n"
        ".global dashboardHtmlEnd\n"
        "dashboardHtmlEnd:\n"
        ".byte 0\n"
        ".size dashboardHtml, . - dashboardHtml\n"
        ".previous\n");

slice dashboardPage(void) {
    return sliceMake(dashboardHtml, (size_t)(dashboardHtmlEnd - dashboardHtml));
}
