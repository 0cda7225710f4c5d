/* load_report_html.c - embeds src/load/report.html (see
 * load_report_html.h). The path is relative to the project root, where
 * make runs the compiler; edit report.html, then `touch` this file (make's
 * dependency files do not see .incbin). */
#include "load/load_report_html.h"

__asm__(".section .rodata\n"
        ".global loadReportTemplate\n"
        ".type loadReportTemplate, @object\n"
        "loadReportTemplate:\n"
        ".incbin \"src/load/report.html\"\n"
        ".byte 0\n"
        ".size loadReportTemplate, . - loadReportTemplate\n"
        ".previous\n");
